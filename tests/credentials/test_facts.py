"""The account id of a guarded request's path: found by search, as a segment-wise reading would."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
from hypothesis import given
from hypothesis import strategies as st

from brokerlink.credentials.facts import account_id_of

segments = st.lists(
    st.sampled_from(["users", "current", "accounts", "", "acc-1", "a%2Fb", "deploy", "x?y"]),
    max_size=7,
)


def by_segments(path: str) -> str | None:
    """The definition: the segment after the first ``current``/``accounts`` pair."""
    parts = path.split("?", 1)[0].split("/")
    for index, segment in enumerate(parts[:-1]):
        if segment == "accounts" and index >= 2 and parts[index - 1] == "current":
            return unquote(parts[index + 1]) or None
    return None


@given(segments)
def test_the_search_reads_what_the_segments_say(parts: list[str]) -> None:
    path = "/" + "/".join(parts)
    request = httpx.Request("POST", "https://mt.example" + path)
    assert account_id_of(request) == by_segments(request.url.raw_path.decode())


def test_examples() -> None:
    def of(path: str) -> str | None:
        return account_id_of(httpx.Request("POST", "https://mt.example" + path))

    assert of("/users/current/accounts/acc-1/redeploy") == "acc-1"
    assert of("/users/current/accounts/acc%2F1") == "acc/1"
    assert of("/users/current/accounts/") is None
    assert of("/users/current/accounts") is None
    assert of("/users/xcurrent/accounts/acc-1") is None
    assert of("/users/current/accounts?next=/current/accounts/acc-1") is None
