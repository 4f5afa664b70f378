"""The ``brokerlink`` command line (console script ``brokerlink = brokerlink.cli:main``).

Modules: ``app`` (the root group, ``sandbox``), ``call`` (one command per operation, from the
generated manifest), ``arguments`` (``--param``/``--body``/``--form`` parsing), ``settings``
(credentials and base URLs: option > env var > config file), ``execute`` (the facade call),
``output`` (JSON / table), ``exit_codes``, ``progress`` (waits on stderr), ``manifest``.
"""

from __future__ import annotations

from brokerlink.cli.app import cli, main

__all__ = ["cli", "main"]
