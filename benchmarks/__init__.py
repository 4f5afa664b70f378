"""brokerlink's benchmarks (``nox -s bench``): every figure is a ratio against a baseline measured
in the same run, so the numbers compare across machines."""
