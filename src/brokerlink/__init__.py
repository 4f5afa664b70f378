"""brokerlink: one typed client for MetaApi, Broker Work and B2Core."""
