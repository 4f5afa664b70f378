"""Remembering rejected broker credentials (the credential guard's stores)."""

from __future__ import annotations

from typing import Protocol


class CredentialStore(Protocol):
    """A backend the credential guard keeps keyed hashes of rejected credentials in."""

    def close(self) -> None: ...
