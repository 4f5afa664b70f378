"""The cassette secret scan: reads cassette files as text and as YAML, reports anything that looks
like a credential in clear.

It does not trust the scrubbers (it shares only their notion of a secret-named field): a header,
body member or URL parameter that names a credential must hold the placeholder, the raw text must
contain none of the secrets the run used (nor their Basic-auth encodings), and nothing anywhere may
look like a JWT or a long random token.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.cassette_suite.scrub import (
    AUTHORIZATION_HEADERS,
    PLACEHOLDER,
    SECRET_HEADERS,
    TENANT_HEADERS,
    TENANT_PLACEHOLDER,
    is_secret_key,
)

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
LONG_RUN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")
AUTH_IN_TEXT = re.compile(r"\b(?:Bearer|Basic)\s+(?P<value>[^\s\"',]+)")
URL_PARAM = re.compile(r"[?&;](?P<name>[A-Za-z0-9_.\-\[\]]+)=(?P<value>[^&#\s\"'<>]*)")
JSON_MEMBER = re.compile(r'"(?P<key>[^"\\]{1,64})"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)')
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SCRUBBED_AUTH = re.compile(r"^[A-Za-z][A-Za-z0-9_-]* <SCRUBBED>$")


@dataclass(frozen=True)
class Finding:
    cassette: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.cassette}: {self.where}: {self.problem}"


def secret_forms(secrets: Iterable[str], pairs: Iterable[tuple[str, str]] = ()) -> set[str]:
    """Each secret as it could leak: itself, its base64, ``id:secret`` as HTTP Basic sends it."""
    forms = {s for s in secrets if len(s) >= 6}
    forms |= {base64.b64encode(s.encode()).decode().rstrip("=") for s in list(forms)}
    forms |= {base64.b64encode(f"{i}:{s}".encode()).decode().rstrip("=") for i, s in pairs}
    return forms


def looks_random(run: str) -> bool:
    """A 40+ character run that is all hex, or mixes upper case, lower case and digits."""
    if re.fullmatch(r"[0-9a-fA-F]+", run):
        return True
    return bool(re.search(r"[a-z]", run) and re.search(r"[A-Z]", run) and re.search(r"\d", run))


def _text_problems(text: str) -> Iterator[str]:
    if JWT.search(text):
        yield "a JWT"
    for run in LONG_RUN.findall(text):
        if looks_random(run):
            yield f"a token-like run of {len(run)} characters ({run[:6]}...)"
    for match in AUTH_IN_TEXT.finditer(text):
        if match.group("value") != PLACEHOLDER:
            yield "credentials after Bearer/Basic"
    for match in URL_PARAM.finditer(text):
        value = match.group("value")
        if is_secret_key(match.group("name")) and value not in ("", PLACEHOLDER):
            yield f"URL parameter {match.group('name')!r} in clear"


def _json_problems(value: Any, path: str = "$") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if is_secret_key(str(key)) and item not in ("", None, PLACEHOLDER):
                yield f"{here} is not scrubbed"
            else:
                yield from _json_problems(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_problems(item, f"{path}[{index}]")


def _body_problems(body: Any) -> Iterator[str]:
    if isinstance(body, dict):  # a response body: {"string": ...}
        body = body.get("string")
    if body in (None, b"", ""):
        return
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        document = json.loads(text)
    except ValueError:
        for match in JSON_MEMBER.finditer(text):  # truncated or malformed JSON
            if is_secret_key(match.group("key")) and match.group("value") not in ("", PLACEHOLDER):
                yield f"member {match.group('key')!r} in clear"
    else:
        yield from _json_problems(document)
    yield from _text_problems(text)


def _header_problems(headers: dict[str, Any]) -> Iterator[str]:
    for name, values in (headers or {}).items():
        lowered = name.lower()
        for value in values if isinstance(values, list) else [values]:
            text = str(value)
            if lowered in AUTHORIZATION_HEADERS:
                if not SCRUBBED_AUTH.match(text) and text != PLACEHOLDER:
                    yield f"header {name} in clear"
            elif lowered in SECRET_HEADERS or is_secret_key(lowered):
                if text != PLACEHOLDER:
                    yield f"header {name} in clear"
            elif lowered in TENANT_HEADERS:
                if text != TENANT_PLACEHOLDER:
                    yield f"header {name} in clear"
            else:
                yield from (f"header {name}: {p}" for p in _text_problems(text))


def scan_text(name: str, text: str, forms: set[str]) -> list[Finding]:
    """Every problem in one cassette's text."""
    findings = [
        Finding(name, "raw text", "a secret used in recording appears")
        for form in sorted(forms)
        if form in text
    ][:1]
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        return [*findings, Finding(name, "yaml", f"unreadable: {exc}")]
    interactions = data.get("interactions") if isinstance(data, dict) else None
    if not isinstance(interactions, list):
        return [*findings, Finding(name, "yaml", "no interactions list")]
    for index, interaction in enumerate(interactions):
        request = interaction.get("request", {})
        response = interaction.get("response", {})
        checks = {
            "request uri": _text_problems(str(request.get("uri", ""))),
            "request headers": _header_problems(request.get("headers", {})),
            "request body": _body_problems(request.get("body")),
            "response headers": _header_problems(response.get("headers", {})),
            "response body": _body_problems(response.get("body")),
        }
        for where, problems in checks.items():
            findings.extend(Finding(name, f"#{index} {where}", p) for p in problems)
    return findings


def scan(paths: Iterable[Path], forms: set[str]) -> list[Finding]:
    return [f for path in paths for f in scan_text(str(path), path.read_text("utf-8"), forms)]
