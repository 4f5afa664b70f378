"""brokerlink's hook layer: hookspecs, the plugin manager, the hook transport and built-in plugins.

Plugin authors need only :data:`hookimpl` (also exported as ``brokerlink.hookimpl``) and the types
in :mod:`brokerlink.plugins.call`.
"""

from brokerlink.plugins.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
