"""``python -m brokerlink.sandbox --host 127.0.0.1 --port 8787``."""

from __future__ import annotations

import argparse

from brokerlink.sandbox.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="brokerlink-sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args()
    serve(args.host, args.port, access_log=args.access_log)


if __name__ == "__main__":
    main()
