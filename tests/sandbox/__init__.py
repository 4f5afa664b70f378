"""Tests of brokerlink.sandbox, the local simulator of the three vendor APIs."""
