"""MetaApi expert advisors in the sandbox: written by id, validated per platform, file uploaded."""

from __future__ import annotations

import base64

import httpx

from brokerlink.sandbox.seed import EXPERT_ID, MT4_ACCOUNT_ID, MT5_ACCOUNT_ID

ACCOUNTS = "/users/current/accounts"
PRESET = base64.b64encode(b"key1=value1\nsuper=true\n").decode()


def experts(account_id: str) -> str:
    return f"{ACCOUNTS}/{account_id}/expert-advisors"


def test_write_read_upload_delete(metaapi: httpx.Client) -> None:
    url = experts(MT5_ACCOUNT_ID)
    assert metaapi.get(url).json() == []
    body = {"period": "1h", "symbol": "EURUSD", "preset": PRESET}
    assert metaapi.put(f"{url}/grid", json=body).status_code == 204
    expert = metaapi.get(f"{url}/grid").json()
    assert expert == {"expertId": "grid", "period": "1h", "symbol": "EURUSD", "fileUploaded": False}
    upload = metaapi.put(f"{url}/grid/file", files={"file": ("grid.ex5", b"\x00program")})
    assert upload.status_code == 204
    assert metaapi.put(f"{url}/grid", json={**body, "period": "4h"}).status_code == 204
    assert metaapi.get(url).json() == [{**expert, "period": "4h", "fileUploaded": True}]
    assert metaapi.delete(f"{url}/grid").status_code == 204
    assert metaapi.get(f"{url}/grid").status_code == 404
    assert metaapi.delete(f"{url}/grid").status_code == 404


def test_the_mt4_account_has_a_seeded_advisor(metaapi: httpx.Client) -> None:
    seeded = metaapi.get(experts(MT4_ACCOUNT_ID)).json()
    assert [(e["expertId"], e["fileUploaded"]) for e in seeded] == [(EXPERT_ID, True)]


def test_periods_follow_the_platform(metaapi: httpx.Client) -> None:
    body = {"period": "2h", "symbol": "EURUSD", "preset": PRESET}
    assert metaapi.put(f"{experts(MT5_ACCOUNT_ID)}/a", json=body).status_code == 204
    refused = metaapi.put(f"{experts(MT4_ACCOUNT_ID)}/a", json=body)
    assert refused.status_code == 400
    assert refused.json()["details"][0]["parameter"] == "period"


def test_validation_and_missing_things(metaapi: httpx.Client) -> None:
    url = experts(MT4_ACCOUNT_ID)
    bad = metaapi.put(f"{url}/a", json={"period": "1h", "symbol": "", "preset": "not base64!"})
    assert [d["parameter"] for d in bad.json()["details"]] == ["symbol", "preset"]
    assert metaapi.get(experts("nope")).status_code == 404
    assert metaapi.put(f"{url}/ghost/file", files={"file": ("x", b"1")}).status_code == 404
    metaapi.put(f"{url}/a", json={"period": "1h", "symbol": "EURUSD", "preset": PRESET})
    assert metaapi.put(f"{url}/a/file", content=b"raw").status_code == 400
    empty = metaapi.put(f"{url}/a/file", files={"file": ("x", b"")})
    assert empty.json()["details"][0]["parameter"] == "file"
