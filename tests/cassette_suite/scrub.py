"""Scrubbing: what reaches a cassette carries no credential, and replays still match exactly.

vcrpy runs ``before_record_request`` both before writing a request and on every live request before
matching it, so the same function makes recorded and live requests comparable: a replay that sends
the real secret matches the recording that holds only the placeholder, and nothing else in the body
is loosened. Replacements are fixed strings (never a hash of the secret, which would leak a weak
password to a dictionary attack).

vcrpy's own ``filter_post_data_parameters`` sees only top-level POST keys; these scrubbers walk
JSON at any depth, in requests and responses alike, for every method.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PLACEHOLDER = "<SCRUBBED>"
"""Every secret value becomes this exact string."""
TENANT_PLACEHOLDER = "<TENANT-ID>"
"""The Broker Work tenant id: not a credential on its own, but it names the recorder's broker."""
MULTIPART_BOUNDARY = "brokerlink-cassette-boundary"
"""httpx draws a random multipart boundary per request; a fixed one makes upload bodies match."""

PLACEHOLDER_BASES = {
    "metaapi": "https://metaapi.cassette.invalid",
    "brokerwork": "https://brokerwork.cassette.invalid",
    "b2core": "https://b2core.cassette.invalid",
}
"""Cassette URIs use these hosts, whatever server was recorded (sandbox port or vendor host)."""

SANDBOX_ORIGIN = "https://sandbox.cassette.invalid"
"""Stands for the sandbox's ``http://127.0.0.1:<free port>`` inside recorded bodies and headers."""

SECRET_HEADERS = frozenset(
    {
        "auth-token",
        "x-api-token",
        "x-api-signature",
        "x-auth-token",
        "x-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "proxy-authorization",
    }
)
TENANT_HEADERS = frozenset({"x-api-tenantid"})
AUTHORIZATION_HEADERS = frozenset({"authorization"})

_SECRET_KEYS = frozenset(
    {
        "password",
        "pass",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "otp",
        "pin",
        "signature",
        "sessionid",
        "cookie",
        "privatekey",
        "credentials",
    }
)
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "signature")


def is_secret_key(name: str) -> bool:
    """``investorPassword``, ``client_secret``, ``access_token``, ``x-api-token``... but not
    ``token_type`` (the suffix must end the name)."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return key in _SECRET_KEYS or key.endswith(_SECRET_SUFFIXES)


_AUTH_SCHEME = re.compile(r"^\s*(?P<scheme>[A-Za-z][A-Za-z0-9_-]*)\s+\S")
_BEARER_IN_TEXT = re.compile(r"\b(Bearer|Basic)\s+(?!<SCRUBBED>)[A-Za-z0-9\-._~+/]+=*")
_URL_SECRET = re.compile(r"(?P<lead>[?&;](?P<name>[A-Za-z0-9_.\-\[\]]+)=)(?P<value>[^&#\s\"'<>]+)")
_BOUNDARY = re.compile(rb"boundary=\"?([^\";\s]+)\"?")


def scrub_authorization(value: str) -> str:
    """Keep the scheme (``Bearer``, ``Basic``): it shows which flow was used; drop the rest."""
    match = _AUTH_SCHEME.match(value)
    return f"{match.group('scheme')} {PLACEHOLDER}" if match else PLACEHOLDER


def scrub_text(text: str) -> str:
    """Secrets that ride inside free text: ``?token=...`` in a URL, ``Bearer ...`` in a message."""

    def url_param(match: re.Match[str]) -> str:
        if is_secret_key(match.group("name")) and match.group("value") != PLACEHOLDER:
            return match.group("lead") + PLACEHOLDER
        return match.group(0)

    text = _URL_SECRET.sub(url_param, text)
    return _BEARER_IN_TEXT.sub(lambda m: f"{m.group(1)} {PLACEHOLDER}", text)


def scrub_json(value: Any) -> Any:
    """A copy of a decoded JSON document with every secret-named member replaced, at any depth.

    Empty strings and nulls stay as they are: they say "no password", which is no secret.
    """
    if isinstance(value, dict):
        return {
            key: (
                PLACEHOLDER
                if is_secret_key(str(key)) and item not in ("", None)
                else scrub_json(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_query(query: str) -> str:
    """Secret-named query parameters get the placeholder; order and the rest stay."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(is_secret_key(name) for name, _ in pairs):
        return query
    return urlencode(
        [(name, PLACEHOLDER if is_secret_key(name) and value else value) for name, value in pairs],
        safe="<>",
    )


_JSON_MEMBER = re.compile(
    r'"(?P<key>[^"\\]{1,64})"(?P<sep>\s*:\s*)"(?P<value>(?:[^"\\]|\\.)*)(?P<end>"|$)'
)


def scrub_broken_json(text: str) -> str:
    """Secret members of JSON that does not parse (a truncated answer), found by pattern; a value
    cut off by the truncation counts too."""

    def member(match: re.Match[str]) -> str:
        if not is_secret_key(match.group("key")) or match.group("value") in ("", PLACEHOLDER):
            return match.group(0)
        return f'"{match.group("key")}"{match.group("sep")}"{PLACEHOLDER}{match.group("end")}'

    return scrub_text(_JSON_MEMBER.sub(member, text))


def _json_bytes(body: bytes) -> bytes | None:
    """The body scrubbed when it is (or was meant to be) a JSON document, else None."""
    stripped = body.lstrip()
    if stripped[:1] not in (b"{", b"["):
        return None
    try:
        document = json.loads(body)
    except ValueError:
        # malformed or truncated: keep it byte for byte except for secret-looking members
        try:
            return scrub_broken_json(body.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return body
    scrubbed = scrub_json(document)
    if scrubbed == document:
        return body
    return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":")).encode()


def _form_bytes(body: bytes) -> bytes:
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return body
    if not any(is_secret_key(name) for name, _ in pairs):
        return body
    scrubbed = [(k, PLACEHOLDER if is_secret_key(k) and v else v) for k, v in pairs]
    return urlencode(scrubbed, safe="<>").encode()


def scrub_body(body: bytes, content_type: str) -> bytes:
    """Scrub a request or response body by its media type (JSON, form, multipart, text)."""
    if not body:
        return body
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return _form_bytes(body)
    if kind.startswith("multipart/"):
        return body  # boundaries are normalised separately; uploaded files are not JSON secrets
    scrubbed = _json_bytes(body)
    if scrubbed is not None:
        return scrubbed
    if kind.startswith("text/") or kind.endswith(("json", "xml")):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        return scrub_text(text).encode("utf-8")
    return body


def fixed_multipart_boundary(body: bytes, content_type: str) -> tuple[bytes, str]:
    """Swap httpx's random multipart boundary for a fixed one, in the body and the header."""
    found = _BOUNDARY.search(content_type.encode("latin-1"))
    if not content_type.lower().startswith("multipart/") or found is None:
        return body, content_type
    old = found.group(1)
    new = MULTIPART_BOUNDARY.encode()
    return body.replace(b"--" + old, b"--" + new), content_type.replace(
        old.decode("latin-1"), MULTIPART_BOUNDARY
    )


def scrub_header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in AUTHORIZATION_HEADERS:
        return scrub_authorization(value)
    if lowered in SECRET_HEADERS or is_secret_key(lowered):
        return PLACEHOLDER
    if lowered in TENANT_HEADERS:
        return TENANT_PLACEHOLDER
    return value


def _header(headers: Mapping[str, Any], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return ""


class Scrubber:
    """The request and response filters for one run.

    ``base_urls`` maps each API to the base URL this run talks to (the sandbox's free port, a
    vendor host, or the placeholder itself on replay); cassettes hold the placeholder instead.
    """

    def __init__(
        self,
        base_urls: Mapping[str, str],
        *,
        origins: Mapping[str, str] | None = None,
        date: Callable[[], str] | None = None,
    ) -> None:
        self._prefixes = sorted(
            ((url.rstrip("/"), PLACEHOLDER_BASES[api]) for api, url in base_urls.items()),
            key=lambda pair: -len(pair[0]),
        )
        self._origins = dict(origins or {})
        """Live origins replaced inside bodies (the sandbox's free port in links it answers)."""
        self._date = date
        """The sandbox's own time for the ``Date`` header (uvicorn writes the machine's), so a
        re-recording changes only what really changed."""

    def _text(self, body: bytes) -> bytes:
        for live, placeholder in self._origins.items():
            body = body.replace(live.encode(), placeholder.encode())
        return body

    def uri(self, uri: str) -> str:
        for live, placeholder in self._prefixes:
            if uri == live or uri.startswith(live + "/") or uri.startswith(live + "?"):
                uri = placeholder + uri[len(live) :]
                break
        parts = urlsplit(uri)
        return urlunsplit(parts._replace(query=scrub_query(parts.query)))

    def request(self, request: Any) -> Any:
        """vcrpy ``before_record_request``: a scrubbed copy of a ``vcr.request.Request``."""
        clean = copy.copy(request)
        clean.uri = self.uri(request.uri)
        host = urlsplit(clean.uri).netloc  # the Host header follows the normalised URI
        headers = {
            name: host if name.lower() == "host" else scrub_header(name, str(value))
            for name, value in request.headers.items()
        }
        # No body is no body: httpx's stub records b"", aiohttp's (the async default) None.
        body = b"" if request.body is None else request.body
        if isinstance(body, bytes | bytearray):
            content_type = _header(headers, "content-type")
            body, fixed = fixed_multipart_boundary(bytes(body), content_type)
            if fixed != content_type:
                headers = {
                    k: (fixed if k.lower() == "content-type" else v) for k, v in headers.items()
                }
            body = scrub_body(body, content_type)
            if "content-length" in {k.lower() for k in headers}:
                headers = {
                    k: (str(len(body)) if k.lower() == "content-length" else v)
                    for k, v in headers.items()
                }
            clean.body = body
        clean.headers = headers
        return clean

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy ``before_record_response``: scrub headers and body of the serialised answer."""
        clean = dict(response)
        headers: dict[str, list[str]] = {
            name: [self._text(scrub_header(name, str(v)).encode()).decode() for v in values]
            for name, values in response.get("headers", {}).items()
        }
        body = response.get("body", {}).get("string", b"")
        if isinstance(body, str):
            body = body.encode("utf-8")
        scrubbed = self._text(scrub_body(body, _header(headers, "content-type")))
        if scrubbed != body:
            for name in headers:
                if name.lower() == "content-length":
                    headers[name] = [str(len(scrubbed))]
        if self._date is not None:
            headers = {k: [self._date()] if k.lower() == "date" else v for k, v in headers.items()}
        clean["headers"] = headers
        clean["body"] = {**response.get("body", {}), "string": scrubbed}
        return clean

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The keyword arguments for ``vcr_config``."""
        return {"before_record_request": self.request, "before_record_response": self.response}
