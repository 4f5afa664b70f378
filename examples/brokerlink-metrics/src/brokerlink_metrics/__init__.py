"""brokerlink-metrics: Prometheus counters and latency histograms for every brokerlink operation.

A plugin is any object with ``@brokerlink.hookimpl`` methods named after brokerlink's hooks. This
one only observes: every hook returns None (or passes the decision through), so it never changes
what a call does. The entry point ``metrics`` names :data:`plugin`, an instance recording into
prometheus_client's default registry; make more with ``Metrics(registry)``.
"""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

import brokerlink

__all__ = ["LATENCY_BUCKETS", "Metrics", "plugin"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SENT_AT = "brokerlink_metrics.sent_at"  # our key in call.state (a per-call scratch dict)


class Metrics:
    """Per-operation call, send and answer counts, send latency and waits."""

    def __init__(self, registry: CollectorRegistry = REGISTRY, namespace: str = "brokerlink"):
        def counter(name: str, doc: str, *labels: str) -> Counter:
            return Counter(name, doc, labels, namespace=namespace, registry=registry)

        per_op = ("api", "operation")
        self.calls = counter("calls", "Operations started.", *per_op)
        self.sends = counter("sends", "HTTP exchanges sent, retries and polls included.", *per_op)
        self.responses = counter(
            "responses", "Answers and what brokerlink made of them.", *per_op, "status", "outcome"
        )
        self.transport_errors = counter(
            "transport_errors", "Sends that got no answer.", *per_op, "error"
        )
        self.waits = counter("waits", "Waits between two sends.", *per_op, "reason")
        self.wait_seconds = counter(
            "wait_seconds", "Seconds waited between sends.", *per_op, "reason"
        )
        self.latency = Histogram(
            "send_seconds",
            "Time from sending a request to its answer.",
            per_op,
            namespace=namespace,
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )

    # Observers run first (tryfirst) so that a plugin answering locally or raising cannot hide
    # the send from us. Return None: "no decision", the next plugin decides.
    @brokerlink.hookimpl(tryfirst=True)
    def brokerlink_before_send(self, call: Any, request: httpx.Request) -> None:
        labels = (call.api, call.operation_id)
        if call.attempt == 1:
            self.calls.labels(*labels).inc()
        self.sends.labels(*labels).inc()
        call.state[_SENT_AT] = call.timing.monotonic()

    # A wrapper sees the decision of the whole hook round: None (accepted), a Resend, or the typed
    # error an error plugin raised (re-raised unchanged).
    @brokerlink.hookimpl(wrapper=True)
    def brokerlink_after_response(
        self, call: Any, request: httpx.Request, response: httpx.Response
    ) -> Any:
        self._observe_latency(call)
        status = str(response.status_code)
        try:
            decision = yield
        except Exception as exc:
            self.responses.labels(call.api, call.operation_id, status, type(exc).__name__).inc()
            raise
        outcome = "ok" if decision is None else "resend"
        self.responses.labels(call.api, call.operation_id, status, outcome).inc()
        return decision

    @brokerlink.hookimpl(tryfirst=True)
    def brokerlink_on_transport_error(
        self, call: Any, request: httpx.Request, error: httpx.TransportError
    ) -> None:
        self._observe_latency(call)
        self.transport_errors.labels(call.api, call.operation_id, type(error).__name__).inc()

    @brokerlink.hookimpl
    def brokerlink_before_wait(
        self, call: Any, attempt: int, seconds: float, reason: str, message: str | None
    ) -> None:
        self.waits.labels(call.api, call.operation_id, reason).inc()
        self.wait_seconds.labels(call.api, call.operation_id, reason).inc(seconds)

    def _observe_latency(self, call: Any) -> None:
        sent_at = call.state.pop(_SENT_AT, None)
        if sent_at is not None:
            elapsed = call.timing.monotonic() - sent_at
            self.latency.labels(call.api, call.operation_id).observe(elapsed)


plugin = Metrics()
"""The instance the ``metrics`` entry point registers in every client (default registry)."""
