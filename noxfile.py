"""Sessions: ``nox`` runs tests, lint, typecheck, generate_check and docs (the documentation site);
``nox -s generate`` rewrites generated/ from specs/; ``nox -s record`` re-records the cassettes;
``nox -s bench`` runs the benchmarks (then ``bench_peer``: against the official MetaApi SDK);
``nox -s fuzz`` fuzzes response bodies at length."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "generate_check", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYPROJECT = nox.project.load_toml("pyproject.toml")
HAND_WRITTEN = [
    *("-m", "brokerlink", "-m", "brokerlink.errors", "-m", "brokerlink.timing"),
    *("-m", "brokerlink.environment", "-m", "brokerlink.metaapi", "-m", "brokerlink.brokerwork"),
    *("-m", "brokerlink.b2core"),
    *("-m", "brokerlink._facade", "-p", "brokerlink.cli", "-p", "brokerlink.plugins"),
    *(
        "-p",
        "brokerlink.hooks",
        "-m",
        "brokerlink.log_env",
        "-m",
        "brokerlink.raw_response",
        "-m",
        "brokerlink.pages",
    ),
    *("-m", "brokerlink.testing", "-p", "brokerlink.sandbox", "-p", "generator"),
    *(
        "-p",
        "brokerlink.credentials",
        "-m",
        "brokerlink.transports",
        "-m",
        "brokerlink._aiohttp",
        "-m",
        "brokerlink.__main__",
    ),
]


def group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite against the installed package (network-free), with two third-party
    plugins installed so their entry points are really loaded: the tiny probe in
    tests/plugin_dist and the example metrics plugin of the plugin guide."""
    session.install(
        "-e",
        ".",
        "./tests/plugin_dist",
        "./examples/brokerlink-metrics",
        *group("test"),
        *group("generate"),
    )
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check of hand-written code (the generator formats generated/), and
    the import layers of pyproject.toml's import-linter contracts (on the installed package)."""
    session.install(".", *group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on hand-written code, as installed (the folders map into one package)."""
    session.install(".[sandbox,redis]", *group("typecheck"), *group("generate"))
    session.run("mypy", *HAND_WRITTEN)


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from specs/."""
    session.install(*group("generate"))
    session.run("python", "-m", "generator")


@nox.session
def generate_check(session: nox.Session) -> None:
    """Fail when generated/ differs from what the generator makes of specs/."""
    session.install(*group("generate"))
    session.run("python", "-m", "generator", "--check")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site: ``mkdocs build --strict`` into site/ (a broken link, a missing page
    or an unresolved API reference fails it). The package is installed, not editable, so griffe
    finds the remapped folders (``brokerlink.generated``, ``brokerlink.plugins``) where they are
    imported from; ``nox -s docs -- serve`` previews the site instead."""
    session.install(".[sandbox]", *group("docs"))
    session.run(
        "python",
        "-c",
        "import griffe; "
        "griffe.load('brokerlink.generated.metaapi.facade'); griffe.load('brokerlink.plugins')",
    )
    quiet = {"NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor, every build
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:], env=quiet)
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs, env=quiet)


@nox.session
def record(session: nox.Session) -> None:
    """Re-record the cassettes (tests/cassettes/README.md), then replay them offline.

    Against the in-process sandbox by default; ``BROKERLINK_RECORD_TARGET=vendor`` and the
    vendor variables record real accounts. ``nox -s record -- -k b2core`` re-records a subset.
    """
    session.install("-e", ".[sandbox]", *group("test"))
    suite = "tests/cassette_suite"
    session.run("pytest", suite, "--record-mode=once", "--rerecord", *session.posargs)
    session.run("pytest", suite, *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: ratios against a baseline measured in the same run; then ``bench_peer``."""
    session.install("-e", ".", *group("test"), *group("generate"))
    session.run("python", "-m", "benchmarks", *session.posargs)
    session.notify("bench_peer", posargs=[])


PEER = "metaapi-cloud-sdk==29.1.1"


@nox.session
def bench_peer(session: nox.Session) -> None:
    """brokerlink next to the official MetaApi SDK and raw httpx, against one sandbox process
    (``benchmarks/peer.py``). The SDK is installed only here, never with the tests;
    ``nox -s bench_peer -- ROUNDS`` sets the number of interleaved rounds (5)."""
    session.install("-e", ".[sandbox]", PEER)
    session.run("python", "-m", "benchmarks.peer", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The response-body fuzz of tests/boundary at length (not a default session): 10,000
    examples over all its tests unless ``BROKERLINK_FUZZ_EXAMPLES`` says otherwise."""
    session.install("-e", ".", *group("test"))
    examples = session.env.get("BROKERLINK_FUZZ_EXAMPLES") or os.environ.get(
        "BROKERLINK_FUZZ_EXAMPLES", "10000"
    )
    session.run(
        "pytest",
        "tests/boundary/test_fuzz.py",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"BROKERLINK_FUZZ_EXAMPLES": examples},
    )
