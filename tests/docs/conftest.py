from tests.cli.conftest import _clean_environment

__all__ = ["_clean_environment"]
