"""MetaApi expert advisors: per-account advisors written by id, then given their program file."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from brokerlink.sandbox.metaapi_errors import error, field_errors, not_found
from brokerlink.sandbox.responses import empty_response, json_response, read_object
from brokerlink.sandbox.state import MtAccount

MT4_PERIODS = frozenset(["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1mn"])
MT5_PERIODS = MT4_PERIODS | frozenset(
    ["2m", "3m", "4m", "6m", "10m", "12m", "20m", "2h", "3h", "6h", "8h", "12h"]
)


def _is_base64(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class ExpertAdvisors:
    """Handlers of the expert-advisor operations; ``find`` looks an account up (None if gone)."""

    def __init__(self, find: Callable[[str], MtAccount | None]) -> None:
        self.find = find

    def _lookup(self, request: Request) -> tuple[MtAccount | None, str, Response]:
        account_id = request.path_params["accountId"]
        expert_id = request.path_params.get("expertId", "")
        account = self.find(account_id)
        return account, expert_id, not_found("Trading account", account_id)

    async def list(self, request: Request) -> Response:
        account, _, missing = self._lookup(request)
        if account is None:
            return missing
        return json_response(list(account.experts.values()))

    async def get(self, request: Request) -> Response:
        account, expert_id, missing = self._lookup(request)
        if account is None:
            return missing
        expert = account.experts.get(expert_id)
        if expert is None:
            return not_found("Expert advisor", expert_id)
        return json_response(expert)

    async def update(self, request: Request) -> Response:
        account, expert_id, missing = self._lookup(request)
        if account is None:
            return missing
        body = await read_object(request)
        periods = MT4_PERIODS if account.doc.get("version") == 4 else MT5_PERIODS
        problems: list[tuple[str, Any, str]] = []
        if body.get("period") not in periods:
            problems.append(("period", body.get("period"), "Not a period of this platform"))
        symbol = body.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            problems.append(("symbol", symbol, "A symbol is required"))
        if not _is_base64(body.get("preset")):
            problems.append(("preset", None, "The preset must be a base64-encoded file"))
        if problems:
            return field_errors(problems)
        uploaded = account.experts.get(expert_id, {}).get("fileUploaded", False)
        account.experts[expert_id] = {
            "expertId": expert_id,
            "period": body["period"],
            "symbol": symbol,
            "fileUploaded": uploaded,
        }
        return empty_response()

    async def delete(self, request: Request) -> Response:
        account, expert_id, missing = self._lookup(request)
        if account is None:
            return missing
        if account.experts.pop(expert_id, None) is None:
            return not_found("Expert advisor", expert_id)
        return empty_response()

    async def upload_file(self, request: Request) -> Response:
        account, expert_id, missing = self._lookup(request)
        if account is None:
            return missing
        expert = account.experts.get(expert_id)
        if expert is None:
            return not_found("Expert advisor", expert_id)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return error(400, "The file must be sent as multipart/form-data (field 'file')")
        async with request.form() as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not await upload.read():
                return field_errors([("file", None, "The multipart field 'file' is required")])
        expert["fileUploaded"] = True
        return empty_response()
