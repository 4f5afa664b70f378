"""``python -m brokerlink``: the same as the ``brokerlink`` console script."""

from brokerlink.cli.app import main

raise SystemExit(main())
