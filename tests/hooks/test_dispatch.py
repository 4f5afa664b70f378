"""The executors' direct hook callers behave exactly like pluggy's own hook calls."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx
import pytest
from brokerlink.plugins import hookspecs, manager
from brokerlink.plugins.dispatch import Hooks
from brokerlink.plugins.hookspecs import hookimpl
from brokerlink.plugins.manager import Manager

REQUEST = httpx.Request("GET", "https://api.example/x")
RESPONSE = httpx.Response(200, request=REQUEST)


def bare_manager(*plugins: object) -> Manager:
    pm = Manager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


class Trace:
    """Plugins appending their name to one shared log, answering what they are told."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def plugin(self, name: str, answer: object = None, **marks: bool) -> object:
        log = self.log

        class Plugin:
            @hookimpl(**marks)
            def brokerlink_after_response(self, response: httpx.Response, call: object) -> Any:
                # a subset of the arguments, in another order than the spec's
                assert response is RESPONSE
                log.append(name)
                return answer

            @hookimpl(**marks)
            def brokerlink_before_wait(self, seconds: float, attempt: int) -> Any:
                log.append(f"{name}:{attempt}:{seconds}")
                return answer

        return Plugin()


Outcome = tuple[Any, list[str]]


def both_ways(pm: Manager, trace: Trace) -> tuple[Outcome, Outcome]:
    """(result, order) of pluggy's own call and of the direct caller."""
    trace.log.clear()
    through_pluggy = pm.hook.brokerlink_after_response(
        call="call", request=REQUEST, response=RESPONSE
    )
    first = (through_pluggy, list(trace.log))
    trace.log.clear()
    direct = pm.direct().after_response("call", REQUEST, RESPONSE)
    return first, (direct, list(trace.log))


def test_order_and_first_result_match_pluggy() -> None:
    trace = Trace()
    pm = bare_manager(
        trace.plugin("last", "from-last", trylast=True),
        trace.plugin("plain-1"),
        trace.plugin("plain-2", "from-plain-2"),
        trace.plugin("first", tryfirst=True),
    )
    pluggy_way, direct_way = both_ways(pm, trace)
    assert direct_way == pluggy_way == ("from-plain-2", ["first", "plain-2"])


def test_no_answer_runs_every_impl_in_pluggy_order() -> None:
    trace = Trace()
    pm = bare_manager(trace.plugin("a"), trace.plugin("b", trylast=True), trace.plugin("c"))
    pluggy_way, direct_way = both_ways(pm, trace)
    assert direct_way == pluggy_way == (None, ["c", "a", "b"])


def test_non_firstresult_hook_collects_answers_like_pluggy() -> None:
    trace = Trace()
    pm = bare_manager(trace.plugin("a", 1), trace.plugin("b"), trace.plugin("c", 3))
    expected = pm.hook.brokerlink_before_wait(
        call=None, attempt=2, seconds=1.5, reason="r", message=None
    )
    pluggy_log = list(trace.log)
    trace.log.clear()
    got = pm.direct().before_wait(None, 2, 1.5, "r", None)
    assert got == expected == [3, 1]
    assert trace.log == pluggy_log == ["c:2:1.5", "b:2:1.5", "a:2:1.5"]


def test_exceptions_propagate_and_stop_the_round() -> None:
    trace = Trace()

    class Boom:
        @hookimpl(tryfirst=True)
        def brokerlink_after_response(self) -> None:
            raise LookupError("boom")

    pm = bare_manager(trace.plugin("later"), Boom())
    with pytest.raises(LookupError, match="boom"):
        pm.direct().after_response("call", REQUEST, RESPONSE)
    assert trace.log == []


def test_wrappers_go_through_pluggy() -> None:
    trace = Trace()

    class Wrapper:
        @hookimpl(wrapper=True)
        def brokerlink_after_response(self) -> Generator[None, Any, Any]:
            result = yield
            trace.log.append("wrapper saw " + repr(result))
            return "wrapped"

    pm = bare_manager(trace.plugin("inner", "answer"), Wrapper())
    assert pm.direct().after_response("call", REQUEST, RESPONSE) == "wrapped"
    assert trace.log == ["inner", "wrapper saw 'answer'"]


def test_registration_after_first_use_is_seen() -> None:
    trace = Trace()
    pm = bare_manager(trace.plugin("a"))
    before = pm.direct()
    assert pm.direct() is before  # one snapshot while nothing changes
    late = trace.plugin("late", "late answer", tryfirst=True)
    pm.register(late)
    assert pm.direct().after_response("call", REQUEST, RESPONSE) == "late answer"
    pm.unregister(late)
    trace.log.clear()
    assert pm.direct().after_response("call", REQUEST, RESPONSE) is None
    assert trace.log == ["a"]


def test_monitoring_and_tracing_see_every_call() -> None:
    trace = Trace()
    pm = bare_manager(trace.plugin("a"))
    pm.direct()
    seen: list[str] = []
    undo = pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: seen.append(name), lambda outcome, name, impls, kwargs: None
    )
    pm.direct().after_response("call", REQUEST, RESPONSE)
    assert seen == ["brokerlink_after_response"]
    undo()


def test_builtin_plugins_are_called_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(manager.AUTOLOAD_ENV, "none")
    manager.reset()
    try:
        hooks = manager.plugin_manager(api="metaapi").direct()
    finally:
        manager.reset()
    assert isinstance(hooks, Hooks)
    for name in Hooks.__slots__:  # none left to pluggy: the built-ins have no wrappers
        assert getattr(hooks, name).__qualname__.startswith("caller.")


def test_a_wrapper_sends_only_its_hook_through_pluggy() -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def brokerlink_before_send(self) -> Generator[None, Any, Any]:
            return (yield)

    hooks = bare_manager(Trace().plugin("a"), Wrapper()).direct()
    assert hooks.before_send.__qualname__.startswith("_through_pluggy.")
    assert hooks.after_response.__qualname__.startswith("caller.")
