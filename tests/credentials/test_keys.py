"""Keyed hashes: an unambiguous field encoding, domain-separated tags, and keys kept secret."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokerlink.credentials.keys import Keys, configured_key, encode
from brokerlink.errors import InvalidRequest

KEY = b"0123456789abcdef0123456789abcdef"
fields = st.lists(st.one_of(st.text(), st.binary()), max_size=6)


def decode(raw: bytes) -> list[bytes]:
    """The inverse of ``encode`` (as bytes): it exists, so ``encode`` is injective."""
    out, at = [], 0
    while at < len(raw):
        size = int.from_bytes(raw[at : at + 4], "big")
        out.append(raw[at + 4 : at + 4 + size])
        at += 4 + size
    assert at == len(raw)
    return out


def as_bytes(values: list[str | bytes]) -> list[bytes]:
    return [v.encode() if isinstance(v, str) else v for v in values]


@given(fields)
def test_encoding_is_reversible(values: list[str | bytes]) -> None:
    assert decode(encode(*values)) == as_bytes(values)


@given(fields, fields)
def test_different_fields_never_share_an_encoding(
    a: list[str | bytes], b: list[str | bytes]
) -> None:
    if as_bytes(a) != as_bytes(b):
        assert encode(*a) != encode(*b)


def test_the_classic_concatenation_collisions_do_not_collide() -> None:
    h = Keys(KEY).mac
    assert h("cred", "ab", "c") != h("cred", "a", "bc")
    assert h("cred", "a", "") != h("cred", "", "a")
    assert h("cred", "mt5", "srv", "1", "pw") != h("cred", "mt5srv", "1", "pw")


def test_digest_is_hmac_sha256_of_the_encoding() -> None:
    expected = hmac.new(KEY, encode("tz", "mt5", "srv"), hashlib.sha256).digest()
    assert Keys(KEY).mac("tz", "mt5", "srv") == expected


def test_tags_and_keys_separate_everything() -> None:
    keys, other = Keys(KEY), Keys(KEY[::-1])
    ident = keys.ident("mt5", "123")
    assert len({keys.account("x"), keys.record("x"), keys.cooldown("x")}) == 3
    assert keys.tz("mt5", "Srv") == keys.tz("mt5", "SRV")  # server names ignore case
    assert keys.cred(keys.secret(ident, "Pw"), "s") != keys.cred(keys.secret(ident, "pw"), "s")
    assert other.ident("mt5", "123") != ident
    assert "0123" not in repr(keys)


def test_key_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROKERLINK_CACHE_KEY", raising=False)
    assert configured_key() is None
    monkeypatch.setenv("BROKERLINK_CACHE_KEY", "from-the-environment!")
    assert configured_key() == b"from-the-environment!"
    assert configured_key("explicit-key-wins-here") == b"explicit-key-wins-here"
    with pytest.raises(InvalidRequest):
        configured_key("too-short")
    with pytest.raises(InvalidRequest):
        Keys(b"short")


@given(st.text(), st.text(), st.binary(max_size=40))
def test_each_kind_hashes_the_documented_fields(a: str, b: str, raw: bytes) -> None:
    """Each kind is ``H(tag, *fields)`` of the documented fields (the hashes stores already
    hold stay valid)."""
    keys = Keys(KEY)
    h = keys.mac
    assert keys.ident(a or None, b) == h("ident", a, b)
    assert keys.secret(raw, a) == h("secret", raw, a)
    assert keys.cred(raw, a) == h("cred", raw, a.casefold())
    assert keys.tz(a, b) == h("tz", a, b.casefold())
    assert keys.record(a) == h("record", a)
    assert keys.account(a) == h("account", a)
    assert keys.cooldown(a) == h("cooldown", a)
    assert keys.user(a) == h("user", a).hex()
