"""The error-code tables are generated from the specs' ``x-brokerlink-error-*`` extensions: the
committed ``generated/<api>/error_codes.py`` says what the spec says, an edited spec changes the
table through ``python -m generator`` alone, and the facades hand the tables to their clients."""

from __future__ import annotations

import importlib
import importlib.util
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

import brokerlink
from brokerlink import errors, hookimpl
from generator.apis import APIS, Api
from generator.build import GenerationFailed, generate_api

ROOT = Path(__file__).resolve().parent.parent


def spec_tables(spec: dict[str, Any]) -> tuple[dict[str, type], tuple[tuple[str, type], ...], set]:
    """The tables the extensions describe, read independently of the generator."""

    def entry(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {"description": value}

    prefixes = tuple(
        (prefix, getattr(errors, entry(value)["error"]))
        for prefix, value in (spec.get("x-brokerlink-error-code-prefixes") or {}).items()
    )
    codes: dict[str, type] = {}
    for code, value in (spec.get("x-brokerlink-error-codes") or {}).items():
        name = entry(value).get("error")
        if name is not None:
            codes[str(code)] = getattr(errors, name)
        else:
            by_prefix = [cls for prefix, cls in prefixes if str(code).startswith(prefix)]
            codes[str(code)] = by_prefix[0] if by_prefix else errors.ApiError
    return codes, prefixes, set(spec.get("x-brokerlink-retryable-error-codes") or [])


def load(path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_error_codes_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
def test_generated_tables_are_what_the_spec_says(api: Api) -> None:
    spec = yaml.safe_load(api.spec_path.read_text(encoding="utf-8"))
    module = importlib.import_module(f"brokerlink.generated.{api.name}.error_codes")
    codes, prefixes, retryable = spec_tables(spec)
    assert codes == module.CODES
    assert list(module.CODES) == list(codes)  # in spec order
    assert prefixes == module.PREFIXES
    assert frozenset(retryable) == module.RETRYABLE
    assert all(issubclass(cls, errors.ApiError) for cls in module.CODES.values())


# What the hand-kept plugin tables said before the specs carried the classes.
BROKERWORK_CLASSES = {
    "BW_INVALID_PARAM": errors.ValidationError,
    "BW_INVALID_SERVERID": errors.ValidationError,
    "-1": errors.ServiceUnavailable,
    "BW_REQUEST_TOO_MUCH": errors.RateLimited,
    "BW_API_0000001": errors.AuthenticationError,
    "BW_API_0000003": errors.AuthenticationError,
    "BW_API_0000004": errors.PermissionDenied,
    "PUB_AUTH_0000001": errors.ValidationError,
    "PUB_AUTH_0000002": errors.ValidationError,
    "PUB_AUTH_0000007": errors.Conflict,
    "BW_USER_EMAIL_REPEAT": errors.Conflict,
    "BW_USER_ENTITYNO_REPEAT": errors.Conflict,
    "BW_USER_NAME_NULL": errors.ValidationError,
    "BW_USER_ROLE_NULL": errors.ValidationError,
}
METAAPI_CLASSES = {
    "E_AUTH": errors.InvalidBrokerCredentials,
    "E_SRV_NOT_FOUND": errors.BrokerServerNotFound,
    "E_SERVER_TIMEZONE": errors.BrokerSettingsDetectionFailed,
    "E_RESOURCE_SLOTS": errors.ResourceSlotsTooLow,
    "E_NO_SYMBOLS": errors.NoSymbols,
    "ERR_OTP_REQUIRED": errors.OtpRequired,
    "E_PASSWORD_CHANGE_REQUIRED": errors.PasswordChangeRequired,
    "E_TRADING_ACCOUNT_DISABLED": errors.TradingAccountDisabled,
}


def test_the_tables_keep_the_hand_kept_mapping() -> None:
    from brokerlink.generated.b2core import error_codes as b2core
    from brokerlink.generated.brokerwork import error_codes as brokerwork
    from brokerlink.generated.metaapi import error_codes as metaapi

    assert {c: brokerwork.CODES[c] for c in BROKERWORK_CLASSES} == BROKERWORK_CLASSES
    others = {c: cls for c, cls in brokerwork.CODES.items() if c not in BROKERWORK_CLASSES}
    assert others["RIGHT_NO_00000001"] is errors.PermissionDenied  # by its prefix
    del others["RIGHT_NO_00000001"]
    assert others and set(others.values()) == {errors.ApiError}
    assert (("RIGHT_NO_", errors.PermissionDenied),) == brokerwork.PREFIXES
    assert frozenset({"-1", "BW_REQUEST_TOO_MUCH"}) == brokerwork.RETRYABLE
    assert metaapi.CODES == METAAPI_CLASSES
    assert ((), frozenset()) == (metaapi.PREFIXES, metaapi.RETRYABLE)
    assert ({}, (), frozenset()) == (b2core.CODES, b2core.PREFIXES, b2core.RETRYABLE)


def _edited_brokerwork(tmp_path: Path, edit: Any) -> Api:
    spec = yaml.safe_load((ROOT / "specs" / "brokerwork.yaml").read_text(encoding="utf-8"))
    edit(spec)
    path = tmp_path / "brokerwork.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    (api,) = [a for a in APIS if a.name == "brokerwork"]
    return Api(**{**vars(api), "spec": str(path)})


def test_an_edited_spec_changes_the_generated_table(tmp_path: Path) -> None:
    def edit(spec: dict[str, Any]) -> None:
        codes = spec["x-brokerlink-error-codes"]
        codes["BW_INVALID_PARAM"]["error"] = "Conflict"
        codes["BW_NEW_0001"] = {"error": "NotFound", "description": "Added later."}
        codes["BW_NEW_0002"] = "Listed without a class."
        spec["x-brokerlink-error-code-prefixes"]["BW_NEW_"] = {"error": "ServerError"}
        spec["x-brokerlink-retryable-error-codes"] = ["BW_NEW_0001"]

    out = tmp_path / "out"
    generate_api(_edited_brokerwork(tmp_path, edit), out)
    module = load(out / "error_codes.py")

    assert module.CODES["BW_INVALID_PARAM"] is errors.Conflict
    assert module.CODES["BW_NEW_0001"] is errors.NotFound
    assert module.CODES["BW_NEW_0002"] is errors.ServerError  # its prefix's class
    assert module.PREFIXES[-1] == ("BW_NEW_", errors.ServerError)
    assert frozenset({"BW_NEW_0001"}) == module.RETRYABLE
    facade = (out / "facade.py").read_text(encoding="utf-8")
    assert "from . import error_codes as _codes" in facade


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda s: s["x-brokerlink-error-codes"].update(X={"error": "NoSuchError"}), "NoSuchError"),
        (lambda s: s["x-brokerlink-error-codes"].update(X={"error": "PollTimeout"}), "PollTimeout"),
        (lambda s: s["x-brokerlink-retryable-error-codes"].append("UNLISTED"), "UNLISTED"),
        (lambda s: s["x-brokerlink-error-code-prefixes"].update(P={"eror": "X"}), "P"),
    ],
    ids=["unknown class", "not an ApiError", "unlisted retryable", "misspelt key"],
)
def test_a_bad_error_code_extension_fails_the_run(
    tmp_path: Path, edit: Any, complaint: str
) -> None:
    with pytest.raises(GenerationFailed, match=complaint):
        generate_api(_edited_brokerwork(tmp_path, edit), tmp_path / "out")


class _Overrides:
    @hookimpl
    def brokerlink_error_classes(self, vendor: str) -> Mapping[str, type[Exception]] | None:
        return {"BW_INVALID_PARAM": errors.NotFound} if vendor == "brokerwork" else None


def test_the_facade_hands_the_tables_to_its_client_and_plugins_win() -> None:
    from brokerlink.generated.brokerwork import error_codes

    plain = brokerlink.BrokerWork(tenant_id="T1", token="t", base_url="https://bw.example")
    tuned = brokerlink.BrokerWork(
        tenant_id="T1", token="t", base_url="https://bw.example", plugins=[_Overrides()]
    )
    try:
        state = plain._state
        assert {c: state.error_classes[c] for c in error_codes.CODES} == error_codes.CODES
        assert state.code_prefixes == error_codes.PREFIXES
        assert state.retryable_codes == error_codes.RETRYABLE
        assert tuned._state.error_classes["BW_INVALID_PARAM"] is errors.NotFound
        assert tuned._state.error_classes["BW_USER_EMAIL_REPEAT"] is errors.Conflict
    finally:
        plain.close()
        tuned.close()
