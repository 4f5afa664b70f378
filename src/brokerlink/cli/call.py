"""``brokerlink call <api> <operation>``: one click command per operation, built from the manifest.

Commands are made on demand (only the one asked for), from data only: listing and ``--help``
import neither httpx nor the generated clients.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import click
from click.core import ParameterSource

from brokerlink.cli import exit_codes
from brokerlink.cli.manifest import ApiInfo, Operation, apis
from brokerlink.cli.settings import CONFIG_ENV
from brokerlink.environment import env_var

_OUTPUTS = ("json", "compact", "table")


def _param_rows(operation: Operation) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for p in operation.params:
        notes = [p.location]
        if p.autogenerate:
            notes.append("generated when omitted")
        elif p.required:
            notes.append("required")
        if p.kind.items is not None:
            notes.append("repeat or comma-separate")
        kind = "object" if p.keys is not None else p.kind.describe()
        rows.append((p.name, f"{kind} ({', '.join(notes)}). {p.description}".strip()))
        for key in p.keys or ():
            text = f"{key.kind.describe()}. {key.description}".strip()
            rows.append((f"{p.name}.{key.name}", text))
    return rows


class OperationCommand(click.Command):
    """Help shows the spec's parameters and body fields before the common options."""

    def __init__(self, api: ApiInfo, operation: Operation, **kwargs: Any) -> None:
        self.api = api
        self.operation = operation
        super().__init__(**kwargs)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        op = self.operation
        pieces = [f"--param {p.name}=VALUE" for p in op.params if p.required and not p.autogenerate]
        if op.body is not None and op.body.required:
            pieces.append("--body JSON|@FILE|-" if op.body.content == "json" else "--form ...")
        return [*pieces, "[OPTIONS]"]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        op = self.operation
        if op.params:
            with formatter.section("Parameters (--param NAME=VALUE)"):
                formatter.write_dl(_param_rows(op))
        if op.body is not None:
            multipart = op.body.content == "multipart"
            how = "--form FIELD=@PATH|FIELD=VALUE" if multipart else "--body JSON|@FILE|-"
            required = ", required" if op.body.required else ""
            with formatter.section(f"Body: {op.body.model} ({how}{required})"):
                if op.body.description:
                    formatter.write_text(op.body.description)
                rows = [
                    (
                        f.name,
                        f"{f.kind.describe()}{', required' if f.required else ''}. "
                        f"{f.description}".strip(),
                    )
                    for f in op.body.fields
                ]
                if rows:
                    formatter.write_paragraph()
                    formatter.write_dl(rows)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)


def _options(api: ApiInfo, operation: Operation) -> list[click.Parameter]:
    options: list[click.Parameter] = [
        click.Option(
            ["-p", "--param", "params"],
            multiple=True,
            metavar="NAME=VALUE",
            help="A parameter of the operation (see Parameters); repeatable.",
        )
    ]
    if operation.body is not None and operation.body.content == "json":
        options.append(
            click.Option(
                ["--body"],
                metavar="JSON|@FILE|-",
                help="The request body: inline JSON, @path to a JSON file, or - for stdin.",
            )
        )
    elif operation.body is not None:
        options.append(
            click.Option(
                ["--form", "form"],
                multiple=True,
                metavar="FIELD=@PATH",
                help="A multipart field: FIELD=@PATH (a file, @- for stdin) or FIELD=VALUE.",
            )
        )
    options.append(
        click.Option(
            ["--sandbox"],
            is_flag=True,
            help="Start the local sandbox in this process and call it with demo credentials "
            "(env vars and config file are not used).",
        )
    )
    for credential in api.credentials:
        options.append(
            click.Option(
                [credential.option, credential.name],
                envvar=env_var(api.name, credential.name),
                show_envvar=True,
                metavar="TEXT",
                help=f"{credential.description} (Prefer the env var or config file: "
                "options show in the process list.)",
            )
        )
    default = f" (default: {api.default_base_url})" if api.default_base_url else ""
    options += [
        click.Option(
            ["--base-url"],
            envvar=env_var(api.name, "base_url"),
            show_envvar=True,
            metavar="URL",
            help=f"Root URL of the {api.title}{default}.",
        ),
        click.Option(
            ["--config"],
            metavar="PATH",
            help=f"TOML config file with a [{api.name}] table (default: ${CONFIG_ENV}, else "
            "config.toml in the user config directory).",
        ),
        click.Option(
            ["--timeout"],
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
            help="Timeout of each HTTP exchange (default 30).",
        ),
        click.Option(
            ["--max-retries"],
            type=click.IntRange(min=0),
            metavar="N",
            help="Retries of transient failures (default: the retries plugin's).",
        ),
    ]
    if api.polls:
        options.append(
            click.Option(
                ["--poll-timeout"],
                type=click.FloatRange(min=0),
                metavar="SECONDS",
                help="How long a 202-answered call may keep polling (default 10 minutes).",
            )
        )
    if api.guarded:
        options.append(
            click.Option(
                ["--no-guard"],
                is_flag=True,
                help="Send even a trading-account combination MetaApi already rejected (the "
                "credential guard's refusal is skipped; the rejection is still remembered).",
            )
        )
        options.append(
            click.Option(
                ["--credential-cache"],
                metavar="URL",
                help="Where rejected trading-account credentials are remembered: memory://, "
                "sqlite:///PATH or redis://HOST:PORT/DB (default: $BROKERLINK_CACHE_URL, else "
                "a SQLite file per base URL in the user cache directory).",
            )
        )
    options += [
        click.Option(
            ["-o", "--output"],
            type=click.Choice(_OUTPUTS),
            default="json",
            show_default=True,
            help="json (indented), compact (one line) or table (rich). JSON is what the server "
            "sent.",
        ),
        click.Option(
            ["--columns"],
            metavar="A,B,C",
            help="With -o table: the columns to show, in order (default: a readable set per "
            "resource; nested keys as a.b).",
        ),
        click.Option(
            ["-q", "--quiet"], is_flag=True, help="No progress lines on stderr while waiting."
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            help="Log brokerlink's brokerlink.* loggers to stderr: -v INFO (waits, retries), "
            "-vv DEBUG (every send and answer). Never a secret.",
        ),
    ]
    return options


def _invoke(api: ApiInfo, operation: Operation, values: dict[str, Any]) -> None:
    from brokerlink.cli.report import RequestTrail

    ctx = click.get_current_context()
    trail = RequestTrail()
    try:
        with _verbose(values["verbose"]):
            result = _call(ctx, api, operation, values, trail)
    except KeyboardInterrupt:
        click.echo(_interrupted(ctx, operation, values), err=True)
        ctx.exit(exit_codes.INTERRUPTED)
    except Exception as exc:  # every failure becomes one line and an exit code, no traceback
        click.echo(exit_codes.one_line(exc, trail.where), err=True)
        ctx.exit(exit_codes.exit_code(exc))
    from brokerlink.cli.output import as_sent, dump_json

    data = as_sent(result, trail.body)
    try:
        if values["output"] == "table":
            from brokerlink.cli.output import print_table

            columns = values["columns"]
            print_table(
                data,
                sys.stdout,
                title=f"{api.name} {operation.command}",
                columns=[c.strip() for c in columns.split(",") if c.strip()] if columns else None,
                resource=f"{api.name}.{operation.operation_id}",
            )
        else:
            click.echo(dump_json(data, compact=values["output"] == "compact"))
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`| head`): not a failure of the call
        _discard_stdout()


@contextlib.contextmanager
def _verbose(level: int) -> Iterator[None]:
    """brokerlink's warnings as ``WARNING logger: message`` lines on stderr; ``-v`` adds INFO,
    ``-vv`` DEBUG (for the call only).

    ``BROKERLINK_LOG`` is read first; its handler then serves ``-v`` too, which only adds detail.
    A ``BrokerLinkWarning`` is logged as well, so it is not printed a second time as a warning.
    """
    import logging
    import warnings

    from brokerlink import log_env
    from brokerlink.errors import BrokerLinkWarning

    logger = logging.getLogger("brokerlink")
    ours = logging.StreamHandler(sys.stderr)
    ours.setFormatter(logging.Formatter(log_env.FORMAT))
    ours.setLevel(logging.DEBUG if level else logging.WARNING)
    logger.addHandler(ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BrokerLinkWarning)
        log_env.from_environment()
        if any(h.get_name() == log_env.ENV for h in logger.handlers):
            logger.removeHandler(ours)  # BROKERLINK_LOG's handler prints them
        before = logger.level  # BROKERLINK_LOG's, if any
        if level:
            wanted = logging.DEBUG if level > 1 else logging.INFO
            logger.setLevel(min(wanted, before) if before else wanted)
        try:
            yield
        finally:
            logger.removeHandler(ours)
            logger.setLevel(before)


def _autogenerated(operation: Operation) -> list[Any]:
    return [p for p in operation.params if p.autogenerate]


def _interrupted(ctx: click.Context, operation: Operation, values: dict[str, Any]) -> str:
    """``Interrupted``, and for a call keyed by a transaction-id the command that resumes it."""
    import shlex

    keyed = [p for p in _autogenerated(operation) if p.name in values.get("_made", {})]
    if not keyed:
        return "Interrupted"
    made: dict[str, str] = values["_made"]
    words = [ctx.command_path]
    given = [v for v in values["params"] if v.partition("=")[0] not in _spellings_of(keyed)]
    for item in given:
        words += ["-p", item]
    for param in keyed:
        words += ["-p", f"{param.name}={made[param.name]}"]
    body = values.get("body")
    if body is not None:
        words += ["--body", body if body.startswith("@") or body == "-" else "JSON"]
    command = shlex.join(words).replace("--body JSON", "--body '<the same JSON>'")
    return (
        "Interrupted; the server keeps the transaction: resume it with the same body and "
        f"options: {command}"
    )


def _spellings_of(params: list[Any]) -> set[str]:
    names: set[str] = set()
    for p in params:
        names |= {p.name, p.python, p.python.rstrip("_"), p.python.rstrip("_").replace("_", "-")}
    return names


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _call(
    ctx: click.Context, api: ApiInfo, operation: Operation, values: dict[str, Any], trail: Any
) -> Any:
    from brokerlink.cli import arguments, settings
    from brokerlink.cli.execute import Request, run
    from brokerlink.errors import InvalidRequest

    sandbox = bool(values["sandbox"])
    given: dict[str, str | None] = {}
    for name in [*(c.name for c in api.credentials), "base_url"]:
        source = ctx.get_parameter_source(name)
        # --sandbox ignores env vars: they hold real credentials for the real vendor.
        keep = not sandbox or source is ParameterSource.COMMANDLINE
        given[name] = values[name] if keep else None
    resolved = settings.resolve(api, given, config=values["config"], sandbox=sandbox)
    parsed = arguments.parse_params(operation, values["params"])
    # The transaction-id is made here, not by the client, so Ctrl-C can print it for resuming.
    made: dict[str, str] = values.setdefault("_made", {})
    for param in _autogenerated(operation):
        if parsed.get(param.python) is None:
            import secrets

            parsed[param.python] = secrets.token_hex(16)  # as the client makes it
        made[param.name] = str(parsed[param.python])
    body = None
    form = None
    if operation.body is not None and operation.body.content == "json":
        if values["body"] is not None:
            body = arguments.parse_body(values["body"], sys.stdin)
        elif operation.body.required:
            raise InvalidRequest(f"{operation.command} needs --body JSON|@FILE|-")
    elif operation.body is not None:
        form = arguments.parse_form(operation, values["form"], sys.stdin.buffer)
    client_options = {
        "timeout": values["timeout"],
        "max_retries": values["max_retries"],
        "poll_timeout": values.get("poll_timeout"),
        "credential_cache": values.get("credential_cache"),
    }
    request = Request(
        api=api,
        operation=operation,
        arguments=parsed,
        settings=resolved,
        body=body,
        form=form,
        sandbox=sandbox,
        client_options={k: v for k, v in client_options.items() if v is not None},
        call_options={"credential_guard": False} if values.get("no_guard") else {},
    )
    return run(request, progress=None if values["quiet"] else sys.stderr, trail=trail)


def operation_command(api: ApiInfo, operation: Operation) -> click.Command:
    parts = [operation.summary, operation.description]
    python = f"{api.facade}.{operation.method}"
    parts.append(f"{operation.http}  (operationId {operation.operation_id}; Python: {python})")
    return OperationCommand(
        api,
        operation,
        name=operation.command,
        help="\n\n".join(p for p in parts if p),
        short_help=operation.summary,
        params=_options(api, operation),
        callback=lambda **values: _invoke(api, operation, values),
        no_args_is_help=False,
    )


class ApiGroup(click.Group):
    """``brokerlink call <api>``: the API's operations, each made when asked for."""

    def __init__(self, api: ApiInfo) -> None:
        credentials = ", ".join(c.option for c in api.credentials)
        super().__init__(
            name=api.name,
            help=f"Operations of the {api.title}. Credentials: {credentials} (or "
            f"BROKERLINK_{api.name.upper()}_* env vars, or the config file), or --sandbox.",
            short_help=api.title,
        )
        self.api = api

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.api.operations)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        operation = self.api.operations.get(cmd_name)
        return operation_command(self.api, operation) if operation else None


def _exit_code_table() -> str:
    lines = ["\b", "Exit codes:", "  0  success: the result is on stdout as JSON"]
    for code, (meaning, classes) in exit_codes.FAMILIES.items():
        names = ", ".join(c.__name__ for c in classes)
        lines.append(f"  {code:<2} {meaning}: {names}")
    lines.append("  1  an internal error: a bug in brokerlink")
    return "\n".join(lines)


class CallGroup(click.Group):
    """``brokerlink call``: one sub-group per API of the specs."""

    def __init__(self) -> None:
        super().__init__(
            name="call",
            help="Call any operation of the three APIs: brokerlink call API OPERATION "
            "[--param NAME=VALUE ...] [--body JSON|@FILE|-]. The result is printed as JSON on "
            "stdout; an error is one line 'ErrorClass: message' on stderr with an exit code "
            "per error family. `brokerlink call API OPERATION --help` lists the operation's "
            "parameters and body fields.",
            short_help="Call any operation of MetaApi, Broker Work or B2Core.",
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(apis())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        api = apis().get(cmd_name)
        return ApiGroup(api) if api else None

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        formatter.write_text(_exit_code_table())
