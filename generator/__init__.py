"""The generator step: ``specs/*.yaml`` -> ``generated/<api>/`` (``python -m generator``)."""
