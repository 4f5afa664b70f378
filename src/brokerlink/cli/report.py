"""What an error line says: the request (method and URL, no secrets), the answer, the fix.

``RequestTrail`` is a per-client plugin that remembers the last request sent, so the line of an
HTTP or connection error can name it (brokerlink's exceptions carry the operation, not the URL).
``describe`` turns an exception into the message part of the line: the server's field errors
from ``.details``, an HTML error page reduced to its ``<title>``, the status said once, and
Python hints translated into the command line's own syntax.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from brokerlink import errors
from brokerlink.hooks import hookimpl

# query parameters whose values are credentials (none of the three specs puts one in the query,
# but a base URL given by the user may carry one)
_SECRET_NAME = re.compile(r"token|secret|password|passwd|key|auth|signature|sig$|code", re.I)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_HTML = re.compile(r"^\s*(<!doctype html|<html|<head|<body)", re.I)
_MAX_DETAILS = 5
_MAX_VALUE = 40

# Python spellings in library messages -> the command line's
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"with_options\(credential_guard=False\)"), "--no-guard"),
    (re.compile(r"transaction_id=(['\"])([^'\"]*)\1"), r"-p transaction-id=\2"),
)


def safe_url(url: str) -> str:
    """``url`` without user info and with credential-looking query values replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if _SECRET_NAME.search(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class RequestTrail:
    """Per-client plugin: ``method`` and ``url`` (made safe) of the last request sent, and the
    body of the last answer (what the server sent, for JSON output)."""

    def __init__(self) -> None:
        self.method: str | None = None
        self.url: str | None = None
        self.body: bytes | None = None  # of the last answer (the result's, when the call ends)

    @hookimpl(tryfirst=True)
    def brokerlink_before_send(self, call: Any, request: Any) -> None:
        self.method = str(request.method)
        self.url = safe_url(str(request.url))
        self.body = None

    @hookimpl(tryfirst=True)
    def brokerlink_after_response(self, call: Any, request: Any, response: Any) -> None:
        self.body = bytes(response.content)

    @property
    def where(self) -> str | None:
        if self.method is None or self.url is None:
            return None
        return f"{self.method} {self.url}"


def html_title(text: bytes) -> str | None:
    """The ``<title>`` of an HTML page, whitespace folded and entities decoded."""
    match = _TITLE.search(text)
    if match is None:
        return None
    title = " ".join(html.unescape(match.group(1).decode("utf-8", "replace")).split())
    return title or None


def _value(name: str, value: Any) -> str:
    if _SECRET_NAME.search(name):
        return ""
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > _MAX_VALUE:
        text = text[: _MAX_VALUE - 3] + "..."
    return f"={text}"


def field_errors(details: Any) -> list[str]:
    """The field errors of a vendor's ``details``: MetaApi's ``[{parameter, value, message}]``,
    B2Core's ``{field: [message, ...]}``; nothing for other shapes (a code, an object)."""
    found: list[str] = []
    if isinstance(details, list):
        for item in details:
            if not isinstance(item, dict):
                continue
            name = item.get("parameter") or item.get("field") or item.get("name")
            message = item.get("message")
            if not isinstance(name, str) or not message:
                continue
            shown = _value(name, item["value"]) if "value" in item else ""
            found.append(f"{name}{shown}: {message}")
    elif isinstance(details, dict) and "code" not in details:
        for name, messages in details.items():
            if isinstance(messages, str):
                messages = [messages]
            if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
                found.append(f"{name}: {'; '.join(messages)}")
    return found


def _api_message(exc: errors.ApiError) -> str:
    message = " ".join(str(exc.message).split())
    status = str(exc.status)
    if _HTML.match(message) or (not message.strip() and exc.body):
        title = html_title(exc.body) or html_title(message.encode())
        if title is not None:
            message = f"{title.removeprefix(status + ' ')} (HTML page)"
    if message.startswith(status + " "):  # "404 Not Found" after "HTTP 404"
        message = message[len(status) + 1 :]
    problems = field_errors(exc.details)
    if problems:
        more = len(problems) - _MAX_DETAILS
        shown = problems[:_MAX_DETAILS] + ([f"and {more} more"] if more > 0 else [])
        message += " (" + "; ".join(shown) + ")"
    return message or "(no message)"


def translate_hints(text: str) -> str:
    for pattern, replacement in _HINTS:
        text = pattern.sub(replacement, text)
    return text


def describe(exc: BaseException, where: str | None = None) -> str:
    """The message of ``exc`` for the error line (without the class name), on one line."""
    if isinstance(exc, errors.ApiError):
        code = f" {exc.code}" if exc.code and exc.code != str(exc.status) else ""
        at = f" {where}:" if where else ""
        text = f"{exc.vendor}.{exc.operation}:{at} HTTP {exc.status}{code}: {_api_message(exc)}"
    else:
        text = " ".join(str(exc).split()) or "(no message)"
        if where and isinstance(exc, errors.TransportError):
            prefix = f"{exc.vendor}.{exc.operation}: " if exc.vendor else ""
            if prefix and text.startswith(prefix):
                text = f"{prefix}{where}: {text[len(prefix) :]}"
            else:
                text = f"{where}: {text}"
    return translate_hints(text)
