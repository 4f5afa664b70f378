"""No password, login, server name or end-user id in clear: not in any store's contents (files,
Redis values, limits counters), nor in messages, reprs or logs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from brokerlink import errors
from brokerlink.credentials import GuardPolicy, RateLimit
from tests.credentials.conftest import StoreFactory
from tests.credentials.test_guard_sandbox import rejected
from tests.recording_server import RecordingServer

PASSWORD = "Zebra!pw-93871"
NEW_PASSWORD = "Okapi!pw-22806"
LOGIN = "5550123487"
SERVER = "Secret-Broker-Live7"
END_USER = "alice.secret@example.com"
SECRETS = [PASSWORD, NEW_PASSWORD, LOGIN, SERVER, SERVER.lower(), SERVER.upper(), END_USER]


def body(**fields: Any) -> dict[str, Any]:
    base = {"name": "n", "server": SERVER, "magic": 1, "platform": "mt5", "login": LOGIN}
    return {**base, "password": PASSWORD, **fields}


def rejection(code: str, **extra: Any) -> dict[str, Any]:
    details: Any = {"code": code, **extra} if extra else code
    return {"id": 3, "error": "ValidationError", "message": "no", "details": details}


def store_contents(backend: str, store: Any, tmp_path: Path) -> bytes:
    """Everything the store holds, as raw bytes."""
    if backend == "memory":
        limits = store._limits
        return repr((store.entries(), vars(limits) if limits else None)).encode()
    if backend == "sqlite":
        files = sorted(p for p in tmp_path.iterdir() if p.name.startswith("main.sqlite3"))
        assert {p.name for p in files} >= {"main.sqlite3", "main.sqlite3.key"}
        rows = [store.query(f"SELECT * FROM {t}", ()) for t in ("guard_entries", "guard_hits")]
        return b"".join(p.read_bytes() for p in files) + repr(rows).encode()
    import redis

    with redis.Redis.from_url(store.url) as client:
        names = list(client.scan_iter(match=store.prefix + "*"))
        assert names
        return b"".join(name + (client.dump(name) or b"") for name in names)


async def test_no_secret_in_clear_anywhere(
    backend: str,
    new_store: StoreFactory,
    make_api: Any,
    server: RecordingServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = new_store(GuardPolicy(rate_limit=RateLimit(max_rejections=2)))
    api = make_api(store, base_url=server.url).with_options(end_user_id=END_USER)
    raised: list[Exception] = []
    server.reply(400, rejection("E_AUTH"))
    raised.append(await rejected(api, "create_account", body=body()))
    raised.append(await rejected(api, "create_account", body=body(server=SERVER.upper())))
    server.reply(201, {"id": "acc-1", "state": "DEPLOYED"})
    await api("create_account", body=body(password=NEW_PASSWORD, type="cloud-g2"))
    unlimited = api.with_options(end_user_id=None)
    server.reply(204)
    changed = {"name": "n", "server": SERVER, "password": "p"}
    await unlimited("update_account", "acc-1", body=changed)
    server.reply(400, rejection("E_RESOURCE_SLOTS", recommendedResourceSlots=4))
    update = {"name": "n", "server": SERVER.lower(), "resourceSlots": 1}
    raised.append(await rejected(unlimited, "update_account", "acc-1", body=update))
    raised.append(await rejected(unlimited, "update_account", "acc-1", body=update))
    assert isinstance(raised[-1], errors.KnownBadCredentials)
    assert raised[-1].recommended_resource_slots == 4
    server.reply(400, rejection("E_SERVER_TIMEZONE"))
    raised.append(await rejected(api, "redeploy_account", "acc-1"))
    assert isinstance(raised[-1], errors.BrokerSettingsDetectionFailed)
    raised.append(await rejected(api, "create_account", body=body(login="999")))
    assert isinstance(raised[-1], errors.KnownBadCredentials)  # detection failed: same server
    raised.append(await rejected(api, "create_account", body=body(server="Other", password="x")))
    assert isinstance(raised[-1], errors.TooManyRejectedAttempts)

    contents = store_contents(backend, store, tmp_path)
    assert len(contents) > 200
    texts = [str(e) + repr(e) for e in raised] + [r.getMessage() for r in caplog.records]
    texts += [repr(store), repr(api.client)]
    for secret in SECRETS:
        assert secret.encode() not in contents, secret
        assert not any(secret in text for text in texts), secret
