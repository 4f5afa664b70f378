"""Client settings from the environment: ``BROKERLINK_<API>_<SETTING>``, one naming for the
library's constructors and the CLI's options, read when a client is made, never at import."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from brokerlink.errors import ConfigurationError


def env_var(api: str, setting: str) -> str:
    """``BROKERLINK_METAAPI_TOKEN``, ``BROKERLINK_BROKERWORK_BASE_URL`` ..."""
    return f"BROKERLINK_{api.upper()}_{setting.upper()}"


def setting(api: str, name: str, given: str | None, default: str | None = None) -> str:
    """``given`` unless it is None, else the env var (empty counts as unset, as in the CLI), else
    ``default``; with none of them a :class:`ConfigurationError` naming the argument and the
    variable (never a value)."""
    if given is not None:
        return given
    value = os.environ.get(env_var(api, name)) or default
    if value is None:
        raise ConfigurationError(f"{name} is required: pass {name}=... or set {env_var(api, name)}")
    return value


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` names ``host``: ``*``, the host, a domain it is in (``example.com``
    or ``.example.com``, a port ignored), or a network it is in (``10.0.0.0/8``)."""
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        domain = (entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry).lstrip(".")
        if entry == "*" or (domain and (host == domain or host.endswith("." + domain))):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def environment_proxy(url: str) -> str | None:
    """The HTTP proxy the standard variables name for ``url``, as httpx and requests read them
    (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, in either case; ``NO_PROXY`` bypasses);
    None for none, and for this machine's own addresses (the sandbox, a local server), as Go's
    HTTP client does. The default transports go through it; a ``transport=`` you pass does not."""
    from urllib.request import getproxies

    proxies = getproxies()
    parts = urlsplit(url)
    host = parts.hostname or ""
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or _loopback(host) or _bypassed(host, proxies.get("no", "")):
        return None
    proxy = proxy if "://" in proxy else f"http://{proxy}"
    if not proxy.startswith(("http://", "https://")):
        variable = f"{parts.scheme.upper()}_PROXY or ALL_PROXY"
        raise ConfigurationError(
            f"{variable} (from the environment) is not an http:// proxy, the only kind "
            "brokerlink's default transports speak: unset it, or pass transport="
        )
    return proxy
