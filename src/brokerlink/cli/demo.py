"""``brokerlink demo``: the sandbox in-process and one scenario through all three APIs.

Only click at import time: the scenario (``demo_scenario``), rich (``demo_display``) and the
sandbox load when the command runs, so ``brokerlink --help`` stays fast.
"""

from __future__ import annotations

import click

_APIS = ("metaapi", "brokerwork", "b2core")


def _fault(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    api, sep, mode = value.partition(":")
    if not sep or api not in _APIS or not mode:
        raise click.BadParameter(
            f"expected API:MODE with API one of {', '.join(_APIS)} (e.g. b2core:html-503)"
        )
    return api, mode


@click.command()
@click.option(
    "--fast",
    is_flag=True,
    help="Skip the waits the server advises (the two 202s, about 2 s); for tests and CI.",
)
@click.option(
    "--fault",
    metavar="API:MODE",
    callback=_fault,
    help="Have the sandbox fail every request to one API with a fault mode of its README "
    "(e.g. b2core:html-503), to see how the demo reports a failure.",
)
def demo(fast: bool, fault: tuple[str, str] | None) -> None:
    """Walk a scenario through all three APIs against the local sandbox (needs brokerlink[sandbox]).

    MetaApi: an account created through two 202 answers, a password the broker rejects and then
    the credential guard refusing it locally, a redeploy, a replica in another region. Broker
    Work: account info and an mcode failure as its typed error. B2Core: a filtered account list
    with exact Decimal balances. Exits 0 when every step got the expected answer; otherwise the
    unexpected error is printed on one line and the exit code is that of `brokerlink call`.
    """
    from brokerlink.cli.exit_codes import exit_code, one_line

    try:
        from brokerlink.cli.demo_display import DemoConsole
        from brokerlink.cli.demo_scenario import STEPS, run_demo
    except ImportError as exc:
        from brokerlink.cli.execute import SandboxUnavailable

        missing = SandboxUnavailable(
            f"brokerlink demo needs: pip install 'brokerlink[sandbox]' (missing {exc.name})"
        )
        click.echo(one_line(missing), err=True)
        raise click.exceptions.Exit(exit_code(missing)) from None
    try:
        run_demo(DemoConsole(STEPS), fast=fast, fault=fault)
    except Exception as exc:  # every failure ends as one line and its family's exit code
        click.echo(one_line(exc), err=True)
        raise click.exceptions.Exit(exit_code(exc)) from None
