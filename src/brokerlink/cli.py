"""The ``brokerlink`` command. For now one subcommand: ``brokerlink sandbox --host H --port N``.

Imports stay inside the subcommands so ``brokerlink --help`` starts fast.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="brokerlink", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser(
        "sandbox", help="serve the local simulator of all three APIs (needs brokerlink[sandbox])"
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8787)
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        try:
            from brokerlink.sandbox import serve
        except ImportError as exc:
            print(
                f"brokerlink sandbox needs: pip install 'brokerlink[sandbox]' ({exc})",
                file=sys.stderr,
            )
            return 2
        print(f"sandbox on http://{args.host}:{args.port}/{{metaapi,brokerwork,b2core}}")
        serve(args.host, args.port)
    return 0
