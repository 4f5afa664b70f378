"""``python -m benchmarks``: import cost, regeneration time, sandbox start and throughput, CLI
start, credential-guard checks, hook-layer overhead per call, 1,000 concurrent polled creates.

- import: ``python -c "import brokerlink"`` against ``python -c "pass"`` (best of N, fresh
  interpreters); the target is under 150 ms of extra time.
- generate: wall time of ``python -m generator`` into a temporary folder; target under 15 s.
- cli: ``brokerlink --help`` and one operation's help against a bare interpreter; target 300 ms.
- credential guard: cost of the check before a guarded call (``benchmarks/credential_guard.py``).

The official MetaApi SDK is compared in ``benchmarks/peer.py`` (``nox -s bench_peer``, which
``nox -s bench`` runs next): it needs the SDK installed, in that session's environment only.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15


def best_of(args: list[str], runs: int = RUNS) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, check=True, cwd=tempfile.gettempdir())
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    baseline = best_of([sys.executable, "-c", "pass"])
    imported = best_of([sys.executable, "-c", "import brokerlink"])
    facades = best_of([sys.executable, "-c", "import brokerlink; brokerlink.MetaApi"])
    print(f"interpreter start      {baseline * 1000:7.1f} ms (baseline)")
    print(
        f"import brokerlink      {imported * 1000:7.1f} ms  +{(imported - baseline) * 1000:.1f} ms"
        f"  ratio {imported / baseline:.2f}  target +150 ms: "
        f"{'ok' if imported - baseline < 0.150 else 'OVER'}"
    )
    print(
        f"first facade access    {facades * 1000:7.1f} ms  +{(facades - baseline) * 1000:.1f} ms"
        " (loads one generated package)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "generator", "--check", "--target", str(Path(tmp) / "x")],
            cwd=ROOT,
            check=False,
            capture_output=True,
        )
        generate = time.perf_counter() - started
    print(
        f"regenerate all specs   {generate:7.1f} s   target 15 s: "
        f"{'ok' if generate < 15 else 'OVER'}"
    )
    from brokerlink.sandbox.testing import SandboxServer

    starts = []
    for _ in range(5):
        started = time.perf_counter()
        with SandboxServer():
            starts.append(time.perf_counter() - started)
    print(
        f"sandbox start+stop     {min(starts) * 1000:7.1f} ms  target 1000 ms: "
        f"{'ok' if min(starts) < 1 else 'OVER'}"
    )
    from benchmarks.sandbox_load import main as sandbox_load

    sandbox_load(3.0)
    # Each in a fresh interpreter: the guard's million entries must not slow the others' GC.
    for name in (
        "import_cost",
        "cli_startup",
        "credential_guard",
        "hook_overhead",
        "concurrent_polls",
    ):
        subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
