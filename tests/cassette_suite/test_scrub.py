"""The scrubbers and the secret scan on their own: what they replace, what they keep, and that
matching on the scrubbed body stays exact."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from vcr import matchers
from vcr.request import Request

from tests.cassette_suite.scrub import (
    MULTIPART_BOUNDARY,
    PLACEHOLDER,
    Scrubber,
    is_secret_key,
    scrub_json,
    scrub_text,
)
from tests.cassette_suite.secret_scan import scan_text, secret_forms

pytestmark = pytest.mark.block_network
LIVE = "http://127.0.0.1:45678/metaapi"
SCRUB = Scrubber({"metaapi": LIVE}, origins={"http://127.0.0.1:45678": "https://sandbox.x"})


def vcr_request(method: str, url: str, body: Any = None, **headers: str) -> Request:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers.setdefault("content-type", "application/json")
    return Request(method, url, body, headers)


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "investorPassword",
        "client_secret",
        "access_token",
        "refresh_token",
        "pass",
        "x-api-token",
        "auth-token",
        "apiKey",
        "passwd",
        "secret",
        "token",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["token_type", "expires_in", "login", "name", "tokens", "email"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_key(name)


def test_nested_json_at_any_depth_for_any_method() -> None:
    body = {
        "name": "a",
        "password": "pw-1",
        "accounts": [{"login": "1", "investorPassword": "pw-2"}, {"meta": {"secret": "s"}}],
        "token_type": "Bearer",
        "emptyPassword": "",
    }
    clean = SCRUB.request(vcr_request("PUT", LIVE + "/x", body))
    assert json.loads(clean.body) == {
        "name": "a",
        "password": PLACEHOLDER,
        "accounts": [
            {"login": "1", "investorPassword": PLACEHOLDER},
            {"meta": {"secret": PLACEHOLDER}},
        ],
        "token_type": "Bearer",
        "emptyPassword": "",
    }


def test_headers_keep_the_auth_scheme() -> None:
    clean = SCRUB.request(
        vcr_request(
            "GET",
            LIVE + "/x",
            **{"Authorization": "Bearer abc.def", "auth-token": "t", "x-api-tenantId": "T1"},
        )
    )
    assert clean.headers["Authorization"] == f"Bearer {PLACEHOLDER}"
    assert clean.headers["auth-token"] == PLACEHOLDER
    assert clean.headers["x-api-tenantId"] == "<TENANT-ID>"
    basic = SCRUB.request(vcr_request("POST", LIVE + "/x", Authorization="Basic aWQ6c2VjcmV0"))
    assert basic.headers["Authorization"] == f"Basic {PLACEHOLDER}"


def test_host_and_base_are_normalised() -> None:
    clean = SCRUB.request(vcr_request("GET", LIVE + "/users/current/accounts?limit=1", host="x"))
    assert clean.uri == "https://metaapi.cassette.invalid/users/current/accounts?limit=1"
    assert clean.headers["host"] == "metaapi.cassette.invalid"


def test_secrets_inside_text_and_urls() -> None:
    assert scrub_text("see http://h/x?accountId=1&token=abc&ttl=3") == (
        f"see http://h/x?accountId=1&token={PLACEHOLDER}&ttl=3"
    )
    assert scrub_text("send Bearer abc123 please") == f"send Bearer {PLACEHOLDER} please"
    clean = SCRUB.request(vcr_request("GET", LIVE + "/x?password=p&limit=2"))
    assert clean.uri.endswith(f"/x?password={PLACEHOLDER}&limit=2")


def test_response_body_headers_and_length() -> None:
    body = json.dumps({"access_token": "tok-123", "link": "http://127.0.0.1:45678/c?token=t"})
    response: dict[str, Any] = {
        "status": {"code": 200, "message": "OK"},
        "headers": {
            "Content-Type": ["application/json"],
            "Content-Length": [str(len(body))],
            "Set-Cookie": ["sid=1"],
        },
        "body": {"string": body.encode()},
    }
    clean = SCRUB.response(response)
    document = json.loads(clean["body"]["string"])
    assert document == {
        "access_token": PLACEHOLDER,
        "link": f"https://sandbox.x/c?token={PLACEHOLDER}",
    }
    assert clean["headers"]["Content-Length"] == [str(len(clean["body"]["string"]))]
    assert clean["headers"]["Set-Cookie"] == [PLACEHOLDER]
    assert response["body"]["string"] == body.encode()  # the live answer is left alone


def test_truncated_json_is_scrubbed_by_pattern() -> None:
    cut = b'{"login":"1","password":"abc","investorPassword":"de'
    response = {"headers": {"content-type": ["application/json"]}, "body": {"string": cut}}
    assert SCRUB.response(response)["body"]["string"] == (
        b'{"login":"1","password":"<SCRUBBED>","investorPassword":"<SCRUBBED>'
    )


def test_multipart_boundaries_are_fixed() -> None:
    def upload() -> Request:
        request = httpx.Request("PUT", LIVE + "/f", files={"file": ("a.srv", b"\x00\x01")})
        return Request("PUT", str(request.url), request.read(), dict(request.headers))

    one, two = SCRUB.request(upload()), SCRUB.request(upload())
    assert one.body == two.body and MULTIPART_BOUNDARY.encode() in one.body
    assert one.headers["content-type"].endswith(MULTIPART_BOUNDARY)


def test_matching_is_exact_but_blind_to_secrets() -> None:
    recorded = SCRUB.request(vcr_request("POST", LIVE + "/a", {"login": "1", "password": "x"}))
    same_but_secret = SCRUB.request(
        vcr_request("POST", LIVE + "/a", {"login": "1", "password": "y"})
    )
    other_login = SCRUB.request(vcr_request("POST", LIVE + "/a", {"login": "2", "password": "x"}))
    matchers.body(same_but_secret, recorded)
    with pytest.raises(AssertionError):
        matchers.body(other_login, recorded)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["a", "password", "token_type", "apiKey", "n"]), inner, max_size=3
        )
    ),
    max_leaves=12,
)


def _secret_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [
            item
            for key, item in value.items()
            for item in ([item] if is_secret_key(key) else _secret_values(item))
        ]
    if isinstance(value, list):
        return [found for item in value for found in _secret_values(item)]
    return []


@given(json_values)
def test_json_scrub_is_idempotent_and_complete(document: Any) -> None:
    once = scrub_json(document)
    assert scrub_json(once) == once
    assert all(v in (PLACEHOLDER, "", None) for v in _secret_values(once))


# --- the scan ---------------------------------------------------------------------------------
def cassette(request: dict[str, Any], response: dict[str, Any]) -> str:
    base_request = {"method": "GET", "uri": "https://x.invalid/a", "body": "", "headers": {}}
    base_response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {},
        "body": {"string": ""},
    }
    text: str = yaml.safe_dump(
        {
            "version": 1,
            "interactions": [
                {"request": {**base_request, **request}, "response": {**base_response, **response}}
            ],
        }
    )
    return text


FORMS = secret_forms(["known-secret-value"], [("client", "known-secret-value")])


def test_scan_accepts_a_scrubbed_cassette() -> None:
    text = cassette(
        {
            "headers": {"authorization": ["Bearer <SCRUBBED>"], "x-api-tenantid": ["<TENANT-ID>"]},
            "body": '{"password":"<SCRUBBED>","userId":"f6a1bc2e3d4f5a6b7c8d9e0f1a2b3c4d"}',
        },
        {"body": {"string": '{"access_token":"<SCRUBBED>","token_type":"Bearer","password":""}'}},
    )
    assert scan_text("ok", text, FORMS) == []


@pytest.mark.parametrize(
    ("request_part", "response_part"),
    [
        ({"headers": {"auth-token": ["abc"]}}, {}),
        ({"headers": {"Authorization": ["Bearer abc"]}}, {}),
        ({"headers": {"x-api-tenantid": ["T001117"]}}, {}),
        ({"body": '{"a":{"b":[{"investorPassword":"x"}]}}'}, {}),
        ({}, {"body": {"string": '[{"password":"cut-off'}}),
        ({}, {"headers": {"set-cookie": ["sid=1"]}}),
        ({"uri": "https://x.invalid/a?token=abc"}, {}),
        ({}, {"body": {"string": "link http://h/?access_token=abc"}}),
        ({}, {"body": {"string": '{"note":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig"}'}}),
        ({}, {"body": {"string": '{"id":"0123456789abcdef0123456789abcdef01234567"}'}}),
        ({"body": "known-secret-value"}, {}),
        ({"body": "Y2xpZW50Omtub3duLXNlY3JldC12YWx1ZQ"}, {}),
    ],
    ids=[
        "header",
        "bearer",
        "tenant",
        "nested-body",
        "truncated-body",
        "cookie",
        "uri-param",
        "text-param",
        "jwt",
        "hex-run",
        "known-secret",
        "basic-encoded",
    ],
)
def test_scan_finds_leaks(request_part: dict[str, Any], response_part: dict[str, Any]) -> None:
    assert scan_text("leak", cassette(request_part, response_part), FORMS)
