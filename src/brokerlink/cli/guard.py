"""``brokerlink guard``: what the credential guard's store holds (counts by reason and age, per
API base URL) and forgetting a combination the user has fixed, by its credentials or by account
id. Nothing it prints is a hash, login, server name or password.

The default store is one SQLite file per base URL (see ``docs/credential-guard.md``); ``show``
lists them all. With ``--credential-cache`` (or ``$BROKERLINK_CACHE_URL``) both commands work on
the store a ``brokerlink call metaapi`` against ``--base-url`` would use.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from brokerlink.cli.settings import CONFIG_ENV
from brokerlink.environment import env_var

if TYPE_CHECKING:
    from brokerlink.credentials import CredentialStore, Entry
    from brokerlink.credentials.keys import Keys

PASSWORD_ENV = "BROKERLINK_GUARD_PASSWORD"
PLATFORMS = ("mt4", "mt5")
AGES = ((3600.0, "< 1 hour"), (86400.0, "< 1 day"), (7 * 86400.0, "< 1 week"), (math.inf, "older"))
"""Age buckets of ``show``: how long ago an entry was first seen."""
LABELS = {"record": "account records", "cooldown": "end-user cool-downs"}  # not refusals
F = TypeVar("F", bound=Callable[..., Any])


def _store_options(command: F) -> F:
    options = [
        click.option(
            "--base-url",
            envvar=env_var("metaapi", "base_url"),
            metavar="URL",
            help="The MetaApi base URL whose refusals to use (default: [metaapi] base_url of the "
            "config file, else MetaApi's public endpoint).",
        ),
        click.option(
            "--credential-cache",
            envvar="BROKERLINK_CACHE_URL",
            metavar="URL",
            help="The store: sqlite:///PATH or redis://HOST:PORT/DB (default: the SQLite files "
            "in the user cache directory, one per base URL).",
        ),
        click.option("--config", envvar=CONFIG_ENV, metavar="PATH", help="The config file."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass
class Place:
    """One store and the base URL it serves (None: every base URL, a file or prefix you named)."""

    store: CredentialStore
    scope: str | None
    where: str

    def absent(self) -> bool:
        """Whether it is a SQLite file not made yet (then it holds nothing, and stays unmade)."""
        path = getattr(self.store, "path", None)
        return isinstance(path, Path) and not path.exists()

    def name(self) -> str:
        return self.scope or self.where


def _base_url(option: str | None, config: str | None) -> str:
    from brokerlink.cli.manifest import apis
    from brokerlink.cli.settings import load_config

    if option:
        return option
    api = apis()["metaapi"]
    url = load_config(api, config)[0].get("base_url") or api.default_base_url
    assert url is not None  # MetaApi has a public endpoint
    return url


def _explicit_place(cache: str, base_url: str) -> Place:
    """The store ``cache`` names, as a call against ``base_url`` would open it."""
    from brokerlink.credentials import RedisStore, SQLiteStore
    from brokerlink.credentials.redis_store import DEFAULT_PREFIX
    from brokerlink.credentials.resolve import scope_of, store_from_url
    from brokerlink.errors import InvalidRequest

    scope = scope_of(base_url)
    store = store_from_url(cache, scope=scope)
    if isinstance(store, SQLiteStore):
        return Place(store, store.scope, str(store.path))
    if isinstance(store, RedisStore):
        shared = store.prefix != f"{DEFAULT_PREFIX}{scope}:"  # a prefix you named
        return Place(store, None if shared else scope, f"{store!r}")
    raise InvalidRequest(f"credential_cache {cache!r}: memory:// keeps nothing between processes")


def _default_places(base_url: str | None) -> Iterator[Place]:
    """The default SQLite files: the one of ``base_url``, or every one that exists."""
    from brokerlink.credentials import SQLiteStore
    from brokerlink.credentials.resolve import scope_of
    from brokerlink.credentials.sqlite_store import default_path

    if base_url is not None:
        store = SQLiteStore(scope=scope_of(base_url))
        yield Place(store, store.scope, str(store.path))
        return
    for path in sorted(default_path().parent.glob("*.sqlite3")):
        store = SQLiteStore(path)
        yield Place(store, store.recorded_scope(), str(path))


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Typed errors as one line and the exit code of their family (as ``brokerlink call``)."""
    from brokerlink.errors import BrokerLinkError

    try:
        yield
    except BrokerLinkError as exc:
        from brokerlink.cli import exit_codes

        click.echo(exit_codes.one_line(exc), err=True)
        raise click.exceptions.Exit(exit_codes.exit_code(exc)) from None


@click.group()
def guard() -> None:
    """Inspect the credential guard's store and forget a combination you have fixed.

    The guard remembers keyed hashes of trading-account credentials MetaApi rejected and refuses
    to send them again (see docs/credential-guard.md). These commands print counts only.
    """


def summary(entries: Sequence[Entry], now: float) -> dict[str, dict[str, int]]:
    """reason -> {"total": n, age bucket: n, ...} of the entries live at ``now``."""
    table: dict[str, Counter[str]] = {}
    for entry in entries:
        if not entry.live(now):
            continue
        age = max(now - entry.first_seen, 0.0)
        row = table.setdefault(entry.reason, Counter())
        row["total"] += 1
        row[next(label for limit, label in AGES if age < limit)] += 1
    order = sorted(table, key=lambda r: (r in LABELS, r))  # refusals first
    return {r: {k: table[r][k] for k in ("total", *(label for _, label in AGES))} for r in order}


@guard.command()
@_store_options
@click.option(
    "-o", "--output", type=click.Choice(("table", "json")), default="table", show_default=True
)
def show(
    base_url: str | None, credential_cache: str | None, config: str | None, output: str
) -> None:
    """Count what the store holds, by reason and age, for each base URL.

    Without --credential-cache every default SQLite file is listed (or only the one of
    --base-url when given).
    """
    now = time.time()
    report: list[dict[str, Any]] = []
    with _errors():
        if credential_cache:
            url = _base_url(base_url, config)
            places: Iterator[Place] = iter([_explicit_place(credential_cache, url)])
        else:
            places = _default_places(base_url)
        for place in places:
            try:
                held = [] if place.absent() else list(_entries(place.store).values())
            finally:
                place.store.close()
            report.append(
                {"base_url": place.scope, "store": place.where, "reasons": summary(held, now)}
            )
    if output == "json":
        click.echo(json.dumps(report, indent=2))
        return
    _print_tables(report)


def _entries(store: CredentialStore) -> dict[bytes, Entry]:
    entries = getattr(store, "entries", None)
    assert callable(entries)  # SQLiteStore and RedisStore list their entries
    return entries()  # type: ignore[no-any-return]


def _print_tables(report: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=False)
    if not report:
        console.print("The credential guard's store holds nothing yet.")
    for item in report:
        scope = item["base_url"] or "every base URL (a store you named)"
        table = Table(title=f"{scope}\n{item['store']}", title_justify="left")
        table.add_column("reason")
        for column in ("total", *(label for _, label in AGES)):
            table.add_column(column, justify="right")
        for reason, counts in item["reasons"].items():
            table.add_row(LABELS.get(reason, reason), *(str(n) for n in counts.values()))
        if not item["reasons"]:
            table.add_row("nothing remembered", *("0" for _ in range(len(AGES) + 1)))
        console.print(table)


def _combination_keys(
    keys: Keys, platform: str | None, server: str, login: str | None, password: str | None
) -> list[bytes]:
    """The keys the guard remembers a combination under (``Keys`` as ``plan.prepare``): with
    a login, its credentials on each platform asked; without, the server's settings detection."""
    platforms: Sequence[str | None] = [platform] if platform else [*PLATFORMS, None]
    if login is None:
        return [keys.tz(p, server) for p in platforms if p]
    assert password is not None
    return [keys.cred(keys.secret(keys.ident(p, login), password), server) for p in platforms]


def _account_keys(keys: Keys, store: CredentialStore, account_id: str, now: float) -> list[bytes]:
    """An account's own mark, and the credential and server hashes on its record."""
    from brokerlink.credentials.plan import RECORD, Record

    held = store.fetch([keys.record(account_id)], now)[0]
    record = Record.decode(held.data) if held is not None and held.reason == RECORD else None
    found = [] if record is None else [record.cred, record.tz]
    return [keys.account(account_id), *(k for k in found if k is not None)]


@guard.command()
@_store_options
@click.option("--account-id", metavar="ID", help="Forget the refusals of this account.")
@click.option("--server", metavar="NAME", help="The trading server of the combination.")
@click.option("--login", metavar="LOGIN", help="The trading login (the password is asked for).")
@click.option(
    "--platform",
    type=click.Choice(PLATFORMS, case_sensitive=False),
    callback=lambda _ctx, _param, value: value and value.lower(),
    help="mt4 or mt5 (default: both, and none).",
)
def forget(
    base_url: str | None,
    credential_cache: str | None,
    config: str | None,
    account_id: str | None,
    server: str | None,
    login: str | None,
    platform: str | None,
) -> None:
    """Forget what MetaApi rejected for a combination you have fixed.

    --login L --server S: the credentials (the password is read from $BROKERLINK_GUARD_PASSWORD,
    else asked for without echo). --server S alone: the server's failed settings detection
    (E_SERVER_TIMEZONE). --account-id ID: the account's own mark (deploy/redeploy refused) and
    the credentials on record for it. Other entries are kept.
    """
    if (account_id is None) == (server is None):
        raise click.UsageError("give --account-id, or --server (with --login for credentials)")
    if login is not None and server is None:
        raise click.UsageError("--login needs --server")
    password = None
    if login is not None:
        import os

        password = os.environ.get(PASSWORD_ENV) or click.prompt(
            f"Password of login {login}", hide_input=True, err=True
        )
    with _errors():
        from brokerlink.credentials import Write
        from brokerlink.credentials.keys import Keys

        url = _base_url(base_url, config)
        if credential_cache:
            place = _explicit_place(credential_cache, url)
        else:
            place = next(_default_places(url))
        store, now, found = place.store, time.time(), []
        try:
            if not place.absent():
                keys = Keys(store.open())
                if account_id is not None:
                    wanted = _account_keys(keys, store, account_id, now)
                else:
                    assert server is not None
                    wanted = _combination_keys(keys, platform, server, login, password)
                found = [e.reason for e in store.fetch(wanted, now) if e is not None]
                store.apply([Write(key) for key in wanted], now)
        finally:
            store.close()
    what = f"account {account_id}" if account_id else "this combination"
    if not found:
        click.echo(f"Nothing was remembered for {what} ({place.name()}).")
        return
    counts = ", ".join(f"{n} {reason}" for reason, n in sorted(Counter(found).items()))
    click.echo(f"Forgot {counts} for {what} ({place.name()}).")
