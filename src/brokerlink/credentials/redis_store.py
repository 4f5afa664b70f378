"""The Redis store, shared by processes and machines (``pip install brokerlink[redis]``): JSON
entries under ``<prefix><hex key>`` with a native expiry; a read is one ``MGET``, the writes of
an answer one Lua script call (one server: no Redis Cluster). Every process needs the same key."""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from brokerlink.credentials.keys import KEY_ENV, configured_key
from brokerlink.credentials.policy import GuardPolicy
from brokerlink.credentials.store import Entry, Write, decode_entry, encode_entry, failures
from brokerlink.errors import InvalidRequest

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX = "brokerlink:guard:"

APPLY = """
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local value = ARGV[2 * i]
  local ttl = tonumber(ARGV[2 * i + 1])
  if value == '' then
    redis.call('DEL', KEYS[i])
  else
    local old = redis.call('GET', KEYS[i])
    if old then
      local ok, prev = pcall(cjson.decode, old)
      if ok and type(prev) == 'table' and type(prev.f) == 'number' then
        local new = cjson.decode(value)
        local alive = type(prev.e) ~= 'number' or prev.e > now
        if prev.r == new.r and alive and prev.f < new.f then
          -- splice the old first_seen text in: cjson.encode would round the numbers
          local head = '^({"r":"[^"]*","f":)([^,}]+)'
          local oldf = select(2, string.match(old, head))
          local prefix, newf = string.match(value, head)
          if oldf and prefix then
            value = prefix .. oldf .. string.sub(value, #prefix + #newf + 1)
          end
        end
      end
    end
    if ttl > 0 then
      redis.call('SET', KEYS[i], value, 'PX', ttl)
    else
      redis.call('SET', KEYS[i], value)
    end
  end
end
return #KEYS
"""
"""KEYS[i] gets ARGV[2i] (an entry's JSON, '' to delete) with expiry ARGV[2i+1] ms (0: none),
keeping a live older ``first_seen`` of the same reason."""


def redacted(url: str) -> str:
    """``url`` without its password, as user info or ``password=`` query (reprs, logs, errors)."""
    parts, netloc = urlsplit(url), urlsplit(url).netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rsplit('@', 1)[1]}"
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class RedisStore:
    """A store in Redis (redis-py), one connection pool per flavour (sync, async) and store."""

    limits_blocking = True

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        key: str | bytes | None = None,
        policy: GuardPolicy | None = None,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 1.0,
        **redis_options: Any,
    ) -> None:
        self.url, self.prefix, self.policy = url, prefix, policy or GuardPolicy()
        self._key = configured_key(key)
        self._options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
        }
        self._options.update(redis_options)
        self._lock = threading.Lock()
        self._client: Any = None
        self._aclient: Any = None
        self._script: Any = None
        self._ascript: Any = None

    def __repr__(self) -> str:
        return f"RedisStore({redacted(self.url)!r}, prefix={self.prefix!r})"

    def _errors(self, doing: str) -> contextlib.AbstractContextManager[None]:
        import redis

        return failures(self, doing, redis.RedisError, OSError)

    def _shared_key(self) -> bytes:
        if self._key is None:
            raise InvalidRequest(
                f"credential cache {self!r}: a shared HMAC key is needed; set {KEY_ENV} or pass "
                "RedisStore(key=...), the same in every process using this Redis"
            )
        return self._key

    def open(self) -> bytes:
        """The shared key; the client is made here (redis-py connects lazily: no I/O)."""
        key = self._shared_key()
        with self._lock:
            if self._client is None:
                import redis

                client = redis.Redis.from_url(self.url, **self._options)
                self._script, self._client = client.register_script(APPLY), client
        return key

    async def aopen(self) -> bytes:
        key = self._shared_key()
        self._async_client()
        return key

    def _async_client(self) -> Any:
        if self._aclient is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(self.url, **self._options)
            self._ascript, self._aclient = client.register_script(APPLY), client
        return self._aclient

    def name(self, key: bytes) -> str:
        """The Redis key of a guard key."""
        return self.prefix + key.hex()

    @staticmethod
    def _live(values: list[Any], now: float) -> list[Entry | None]:
        entries = [None if v is None else decode_entry(v) for v in values]
        return [e if e is not None and e.live(now) else None for e in entries]

    def _script_args(self, writes: Sequence[Write], now: float) -> tuple[list[str], list[Any]]:
        args: list[Any] = [repr(now)]
        for entry in (write.entry for write in writes):
            if entry is None or not entry.live(now):
                args += ["", 0]
            else:
                ttl = 0 if entry.expires_at is None else math.ceil((entry.expires_at - now) * 1000)
                args += [encode_entry(entry), ttl]
        return [self.name(write.key) for write in writes], args

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if not keys:
            return []
        if self._client is None:
            self.open()
        with self._errors("read"):
            return self._live(self._client.mget([self.name(k) for k in keys]), now)

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if not keys:
            return []
        if self._aclient is None:
            await self.aopen()
        with self._errors("read"):
            return self._live(await self._aclient.mget([self.name(k) for k in keys]), now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        if writes:
            if self._client is None:
                self.open()
            names, args = self._script_args(writes, now)
            with self._errors("write"):
                self._script(keys=names, args=args)

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        if writes:
            if self._aclient is None:
                await self.aopen()
            names, args = self._script_args(writes, now)
            with self._errors("write"):
                await self._ascript(keys=names, args=args)

    def entries(self) -> dict[bytes, Entry]:
        """Everything under this store's prefix (for inspection: ``brokerlink guard show``)."""
        if self._client is None:
            self.open()
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.prefix) + "[0-9a-f]" * 64
        with self._errors("read"):
            names = list(self._client.scan_iter(match=pattern, count=1000))
            values = self._client.mget(names) if names else []
        held = zip(
            (bytes.fromhex(n.decode()[len(self.prefix) :]) for n in names), values, strict=True
        )
        return {k: e for k, v in held if v is not None and (e := decode_entry(v)) is not None}

    def limits_storage(self) -> Any:
        """``limits``' Redis storage on this store's sync connection pool."""
        from limits.storage import RedisStorage

        if self._client is None:
            self.open()
        pool = self._client.connection_pool
        return RedisStorage(self.url, connection_pool=pool, key_prefix=self.prefix + "limits")

    def async_limits_storage(self) -> Any:
        """``limits``' async Redis storage (redis-py) on this store's async connection pool."""
        from limits.aio.storage import RedisStorage

        return RedisStorage(
            "async+" + self.url,
            implementation="redispy",
            connection_pool=self._async_client().connection_pool,
            key_prefix=self.prefix + "limits",
        )

    def close(self) -> None:
        with self._lock:
            client, self._client, self._script = self._client, None, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        client, self._aclient, self._ascript = self._aclient, None, None
        if client is not None:
            await client.aclose()
        self.close()
