"""Built-in plugins for the MetaApi provisioning API: error mapping (``errors``), wait advice of
202 and 429 answers (``advice``) and the credential guard (``credential_guard``, with the facts of
the operations it guards in ``guarded``). Not a plugin: ``waiters``, which the facades inherit."""
