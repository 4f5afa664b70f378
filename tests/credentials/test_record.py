"""An account record survives its own encoding, and no stored text can make decoding raise."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from brokerlink.credentials.plan import Record

digests = st.binary(min_size=32, max_size=32)
maybe = st.none() | digests
records = st.builds(
    Record,
    ident=digests,
    secret=maybe,
    cred=maybe,
    tz=maybe,
    platform=st.none() | st.sampled_from(["mt4", "mt5", "mt9"]),
    account_type=st.none() | st.text(max_size=12),
    slots=st.none() | st.integers(-5, 10**6),
    uses_profile=st.booleans(),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=8,
)


@given(records)
def test_a_record_decodes_to_itself(record: Record) -> None:
    assert Record.decode(record.encode()) == record


@given(st.dictionaries(st.sampled_from("iwczptsgx"), json_values) | json_values)
def test_any_stored_json_decodes_to_a_record_or_none(doc: object) -> None:
    decoded = Record.decode(json.dumps(doc))
    assert decoded is None or isinstance(decoded.ident, bytes)
    if decoded is not None:
        assert isinstance(doc, dict) and bytes.fromhex(doc["i"]) == decoded.ident
        assert decoded.slots is None or type(decoded.slots) is int


@given(st.text(max_size=80))
def test_any_text_decodes_to_a_record_or_none(text: str) -> None:
    assert Record.decode(text) is None or text.strip().startswith("{")


@given(records)
def test_the_record_text_is_compact_json_with_the_stored_field_names(record: Record) -> None:
    """Records other versions wrote decode alike: the field names are part of the store format."""
    doc = json.loads(record.encode())
    assert set(doc) == set("iwcztpsg") and doc["i"] == record.ident.hex()
