"""The ``brokerlink`` command: ``sandbox`` and ``call`` (and ``demo``, registered below).

Every subcommand imports its heavy parts only when it runs, so ``brokerlink --help`` loads click
and nothing of the HTTP stack.
"""

from __future__ import annotations

import click

from brokerlink import __version__
from brokerlink.cli.call import CallGroup
from brokerlink.cli.demo import demo
from brokerlink.cli.guard import guard


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="brokerlink")
def cli() -> None:
    """brokerlink: one typed client for MetaApi provisioning, Lean Work Broker Work and B2Core IB.

    Call any operation from the shell with `brokerlink call`, serve the local simulator of all
    three APIs with `brokerlink sandbox`, or watch `brokerlink demo` walk a scenario through them.
    """


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="TCP port."
)
@click.option("--access-log", is_flag=True, help="Log every request.")
def sandbox(host: str, port: int, access_log: bool) -> None:
    """Serve the local simulator of all three APIs (needs brokerlink[sandbox]).

    Its banner shows each API's base URL (--port 0: a free port), that any token works and
    where the magic inputs that fail on purpose are listed.
    """
    try:
        from brokerlink.sandbox import serve
    except ImportError as exc:
        click.echo(
            f"SandboxUnavailable: brokerlink sandbox needs: pip install 'brokerlink[sandbox]' "
            f"(missing {exc.name})",
            err=True,
        )
        raise click.exceptions.Exit(2) from None
    serve(host, port, access_log=access_log)  # prints the banner: base URLs, tokens, magic inputs


cli.add_command(CallGroup())
cli.add_command(demo)  # issue 8: the README's main-job command
cli.add_command(guard)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run the command and return its exit code.

    Usage errors are one line too (``UsageError: ... (try '... --help')``), like every other
    error of ``brokerlink call``.
    """
    try:
        code = cli.main(args=argv, prog_name="brokerlink", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (try '{exc.ctx.command_path} --help')"
        click.echo(f"UsageError: {exc.format_message().rstrip('.')}{hint}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"{type(exc).__name__}: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Interrupted", err=True)
        return 130
    return code if isinstance(code, int) else 0
