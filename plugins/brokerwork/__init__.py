"""Built-in plugins for Lean Work's Broker Work API: failures inside HTTP 200 (``errors``)."""
