"""Built-in plugins for B2Broker's B2Core IB API: error mapping (``errors``) and the bearer token
flow (``auth``)."""
