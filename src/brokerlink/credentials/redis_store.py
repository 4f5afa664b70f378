"""The Redis store: one guard shared by processes and machines (``pip install brokerlink[redis]``).

Entries are JSON strings under ``<prefix><hex of the keyed hash>`` with a Redis expiry (``SET
... PX``, the same as EXPIRE); a group is a set of those hex names under ``<prefix>g:<hex>``,
expiring with its longest-lived member. A check is one round trip: an ``MGET``, or for
``fetch_linked`` and ``fetch_grouped`` a Lua script that reads the linked keys or the group
too (so every guard key must live on one server: no Redis Cluster). All writes of one answer
are one Lua script call, which also keeps the older ``first_seen`` and files group members
atomically. Every process sharing the Redis must hash with the same key: pass ``key=`` or set
``BROKERLINK_CACHE_KEY``.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from brokerlink.credentials.keys import KEY_ENV, configured_key
from brokerlink.credentials.policy import GuardPolicy
from brokerlink.credentials.store import (
    GROUP,
    GROUP_LIMIT,
    LINKS,
    Entry,
    Grouped,
    Write,
    decode_entry,
    encode_entry,
)
from brokerlink.errors import CredentialCacheUnavailable, InvalidRequest

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX = "brokerlink:guard:"

APPLY = """
local now = tonumber(ARGV[1])
local prefix = ARGV[2]
for i = 1, #KEYS do
  local value = ARGV[3 * i]
  local ttl = tonumber(ARGV[3 * i + 1])
  local group = ARGV[3 * i + 2]
  local set = prefix .. 'g:' .. group
  local member = string.sub(KEYS[i], #prefix + 1)
  if value == '' then
    redis.call('DEL', KEYS[i])
    if group ~= '' then redis.call('SREM', set, member) end
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
    if group ~= '' then
      -- the set lives as long as its longest-lived member
      local left = redis.call('PTTL', set)
      redis.call('SADD', set, member)
      if ttl <= 0 then
        redis.call('PERSIST', set)
      elseif left == -2 or (left >= 0 and left < ttl) then
        redis.call('PEXPIRE', set, ttl)
      end
    end
  end
end
return #KEYS
"""

FETCH_LINKED = """
local values = redis.call('MGET', unpack(KEYS))
local n = #KEYS
for i = 2, #ARGV do values[n + i - 1] = false end
local ok, entry = pcall(cjson.decode, values[1] or '')
if ok and type(entry) == 'table' and type(entry.d) == 'string' then
  local ok2, doc = pcall(cjson.decode, entry.d)
  if ok2 and type(doc) == 'table' then
    for i = 2, #ARGV do
      local hex = doc[ARGV[i]]
      if type(hex) == 'string' and #hex % 2 == 0 and string.find(hex, '^[0-9a-f]+$') then
        values[n + i - 1] = redis.call('GET', ARGV[1] .. hex)
      end
    end
  end
end
return values
"""
"""MGET of KEYS, then a GET of ``ARGV[1] .. hex`` for each field ``ARGV[2:]`` (``LINKS``) of
the first entry's ``data``: the rules of ``store.links`` in one atomic step (false is nil)."""

FETCH_GROUPED = """
local values = redis.call('MGET', unpack(KEYS))
local n = #KEYS
local hex = nil
if not values[1] then
  hex = string.sub(KEYS[1], #ARGV[1] + 1)
else
  local ok, entry = pcall(cjson.decode, values[1])
  if ok and type(entry) == 'table' and type(entry.d) == 'string' then
    local ok2, doc = pcall(cjson.decode, entry.d)
    if ok2 and type(doc) == 'table' then
      hex = doc[ARGV[2]]
    end
  end
end
if type(hex) == 'string' and #hex % 2 == 0 and string.find(hex, '^[0-9a-f]+$') then
  local set = ARGV[1] .. 'g:' .. hex
  if redis.call('SCARD', set) > tonumber(ARGV[3]) then
    values[n + 1] = 'over'
    return values
  end
  for _, member in ipairs(redis.call('SMEMBERS', set)) do
    local value = redis.call('GET', ARGV[1] .. member)
    if value then
      values[n + 1] = member
      values[n + 2] = value
      n = n + 2
    end
  end
end
return values
"""
"""MGET of KEYS, then the members of the set ``ARGV[1] .. 'g:' .. hex``, each followed by its
value, for those still held; just 'over' when the set has more than ``ARGV[3]`` (``GROUP_LIMIT``)
members. ``hex`` is named by field ``ARGV[2]`` (``GROUP``) of the first entry's ``data`` (the
rules of ``store.group_of``) or, when the first key holds nothing, is that key's own name."""


def _unhex(name: str | bytes) -> bytes | None:
    """The guard key a group member names, None for anything else in the set."""
    try:
        return bytes.fromhex(name if isinstance(name, str) else name.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None


def redacted(url: str) -> str:
    """``url`` without its password (for reprs, logs and messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


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
        self.url = url
        self.prefix = prefix
        self.policy = policy or GuardPolicy()
        self._key = configured_key(key)
        self._options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            **redis_options,
        }
        self._lock = threading.Lock()
        self._client: Any = None
        self._script: Any = None
        self._follow: Any = None
        self._members: Any = None
        self._aclient: Any = None
        self._ascript: Any = None
        self._afollow: Any = None
        self._amembers: Any = None

    def __repr__(self) -> str:
        return f"RedisStore({redacted(self.url)!r}, prefix={self.prefix!r})"

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        import redis

        try:
            yield
        except (redis.RedisError, OSError) as exc:
            raise CredentialCacheUnavailable(
                f"credential cache {self!r}: {doing} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _shared_key(self) -> bytes:
        if self._key is None:
            raise InvalidRequest(
                f"credential cache {self!r}: a shared HMAC key is needed; set {KEY_ENV} or pass "
                "RedisStore(key=...), the same in every process using this Redis"
            )
        return self._key

    def open(self) -> bytes:
        key = self._shared_key()
        with self._lock:
            if self._client is None:
                import redis

                client = redis.Redis.from_url(self.url, **self._options)
                self._script = client.register_script(APPLY)
                self._follow = client.register_script(FETCH_LINKED)
                self._members = client.register_script(FETCH_GROUPED)
                self._client = client
        return key

    async def aopen(self) -> bytes:
        key = self._shared_key()
        self._async_client()
        return key

    def _async_client(self) -> Any:
        """The asyncio client, made on first use (no I/O: redis-py connects lazily)."""
        if self._aclient is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(self.url, **self._options)
            self._ascript = client.register_script(APPLY)
            self._afollow = client.register_script(FETCH_LINKED)
            self._amembers = client.register_script(FETCH_GROUPED)
            self._aclient = client
        return self._aclient

    def name(self, key: bytes) -> str:
        """The Redis key of a guard key."""
        return self.prefix + key.hex()

    @staticmethod
    def _live(value: Any, now: float) -> Entry | None:
        if value is None:
            return None
        entry = decode_entry(value)
        return entry if entry is not None and entry.live(now) else None

    def _script_args(self, writes: Sequence[Write], now: float) -> tuple[list[str], list[Any]]:
        names: list[str] = []
        args: list[Any] = [repr(now), self.prefix]
        for write in writes:
            names.append(self.name(write.key))
            entry = write.entry
            group = "" if write.group is None else write.group.hex()
            if entry is None or (entry.expires_at is not None and entry.expires_at <= now):
                args += ["", 0, group]
            else:
                ttl = 0 if entry.expires_at is None else math.ceil((entry.expires_at - now) * 1000)
                args += [encode_entry(entry), ttl, group]
        return names, args

    def fetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if not keys:
            return []
        if self._client is None:
            self.open()
        with self._errors("read"):
            values = self._client.mget([self.name(k) for k in keys])
        return [self._live(v, now) for v in values]

    async def afetch(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if not keys:
            return []
        if self._aclient is None:
            await self.aopen()
        with self._errors("read"):
            values = await self._aclient.mget([self.name(k) for k in keys])
        return [self._live(v, now) for v in values]

    def _linked(self, values: list[Any], now: float) -> list[Entry | None]:
        entries = [self._live(v, now) for v in values]
        if entries[0] is None:  # expired by the caller's clock: follow nothing
            entries[-len(LINKS) :] = [None] * len(LINKS)
        return entries

    def fetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        """``fetch`` plus the entries the first one links to: one ``EVALSHA``."""
        if self._client is None:
            self.open()
        names = [self.name(k) for k in keys]
        with self._errors("read"):
            values = self._follow(keys=names, args=[self.prefix, *LINKS])
        return self._linked(values, now)

    async def afetch_linked(self, keys: Sequence[bytes], now: float) -> list[Entry | None]:
        if self._aclient is None:
            await self.aopen()
        names = [self.name(k) for k in keys]
        with self._errors("read"):
            values = await self._afollow(keys=names, args=[self.prefix, *LINKS])
        return self._linked(values, now)

    def _grouped(self, values: list[Any], n: int, now: float) -> Grouped:
        entries = [self._live(v, now) for v in values[:n]]
        if len(values) == n + 1:  # the group is too large to ship
            return entries, None
        if values[0] is not None and entries[0] is None:
            return entries, None  # expired by the caller's clock: the script read its group
        members: dict[bytes, Entry] = {}
        for index in range(n, len(values) - 1, 2):
            entry = self._live(values[index + 1], now)
            key = _unhex(values[index])
            if entry is not None and key is not None:
                members[key] = entry
        return entries, members

    def fetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        """``fetch`` plus the live members of ``shipped_group``: one ``EVALSHA``."""
        if self._client is None:
            self.open()
        names = [self.name(k) for k in keys]
        with self._errors("read"):
            values = self._members(keys=names, args=[self.prefix, GROUP, GROUP_LIMIT])
            return self._grouped(values, len(names), now)

    async def afetch_grouped(self, keys: Sequence[bytes], now: float) -> Grouped:
        if self._aclient is None:
            await self.aopen()
        names = [self.name(k) for k in keys]
        with self._errors("read"):
            values = await self._amembers(keys=names, args=[self.prefix, GROUP, GROUP_LIMIT])
            return self._grouped(values, len(names), now)

    def apply(self, writes: Sequence[Write], now: float) -> None:
        if not writes:
            return
        if self._client is None:
            self.open()
        names, args = self._script_args(writes, now)
        with self._errors("write"):
            self._script(keys=names, args=args)

    async def aapply(self, writes: Sequence[Write], now: float) -> None:
        if not writes:
            return
        if self._aclient is None:
            await self.aopen()
        names, args = self._script_args(writes, now)
        with self._errors("write"):
            await self._ascript(keys=names, args=args)

    def limits_storage(self) -> Any:
        """``limits``' Redis storage on this store's sync connection pool."""
        from limits.storage import RedisStorage

        if self._client is None:
            self.open()
        return RedisStorage(
            self.url,
            connection_pool=self._client.connection_pool,
            key_prefix=self.prefix + "limits",
        )

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
            client, self._client = self._client, None
            self._script = self._follow = self._members = None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        client, self._aclient = self._aclient, None
        self._ascript = self._afollow = self._amembers = None
        if client is not None:
            await client.aclose()
        self.close()
