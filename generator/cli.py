"""``python -m generator [--check]``: regenerate ``generated/`` or verify it is up to date."""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
import time
from pathlib import Path

from generator.apis import GENERATED
from generator.build import GenerationFailed, generate_all


def _tree(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def stale_files(current: Path, fresh: Path) -> list[str]:
    """Relative paths that differ between the two trees (missing on either side included)."""
    have, want = _tree(current), _tree(fresh)
    differing = sorted(set(have) ^ set(want))
    differing += sorted(
        name
        for name in set(have) & set(want)
        if not filecmp.cmp(have[name], want[name], shallow=False)
    )
    return sorted(differing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if generated/ is stale")
    parser.add_argument("--target", type=Path, default=GENERATED, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                fresh = Path(tmp) / "generated"
                generate_all(fresh)
                stale = stale_files(args.target, fresh) if args.target.exists() else ["generated/"]
            if stale:
                print("generated/ is stale; run `python -m generator`. Differing files:")
                for name in stale[:50]:
                    print(f"  {name}")
                if len(stale) > 50:
                    print(f"  ... and {len(stale) - 50} more")
                return 1
            print(f"generated/ is up to date ({time.perf_counter() - started:.1f} s)")
            return 0
        generate_all(args.target)
    except GenerationFailed as exc:
        print(f"generation failed:\n{exc}", file=sys.stderr)
        return 2
    print(f"generated/ written ({time.perf_counter() - started:.1f} s)")
    return 0
