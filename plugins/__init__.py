"""brokerlink's built-in plugins: one subpackage per vendor (``metaapi``, ``brokerwork``,
``b2core``) with what that vendor's API needs, and the vendor-neutral ones (``polling``,
``retries``, ``logs``). They are ordinary pluggy plugins of the hook runtime in
:mod:`brokerlink.hooks`, registered like any third-party one.
"""
