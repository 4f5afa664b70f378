"""First-use import cost in fresh interpreters, median of 7, over a bare interpreter.

    python -m benchmarks.import_cost   (also part of ``nox -s bench``)

Targets: ``import brokerlink`` near 10 ms; the first facade access (``brokerlink.MetaApi``) and
``brokerlink --help`` at most 150 ms over ``python -c pass``. ``python -X importtime -c ...``
says where the time goes.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 7
TARGET = 0.150


def median_of(args: list[str], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(args, check=True, cwd=tempfile.gettempdir(), capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    script = shutil.which("brokerlink")
    cli = [script] if script else [sys.executable, "-m", "brokerlink.cli"]
    py = [sys.executable, "-c"]
    base = median_of([*py, "pass"])
    cases = {
        "import brokerlink": [*py, "import brokerlink"],
        "first facade access": [*py, "import brokerlink; brokerlink.MetaApi"],
        "first async client": [*py, "import brokerlink; brokerlink.AsyncMetaApi(token='t')"],
        "brokerlink --help": [*cli, "--help"],
    }
    print(f"import  bare interpreter {base * 1e3:6.1f} ms (median of {RUNS})")
    for name, args in cases.items():
        extra = median_of(args) - base
        limit = 0.015 if name == "import brokerlink" else TARGET
        verdict = (
            ""
            if name == "first async client"
            else (f"  target +{limit * 1e3:.0f} ms: {'ok' if extra <= limit else 'OVER'}")
        )
        print(f"import  {name:<22} +{extra * 1e3:6.1f} ms{verdict}")


if __name__ == "__main__":
    main()
