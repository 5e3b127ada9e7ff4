"""Prometheus metrics of one API process: events, hand-overs, errors, the durable backlog, latencies.

Each app has a registry of its own (several apps in one process, as in tests, do not collide); ``/metrics`` serves
it in the Prometheus text format.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from rataura2.core.result import TransitionResult

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, backlog: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "rataura2_events",
            "Events processed, by conversation, event type and outcome.",
            ["conversation", "type", "status"],
            registry=self.registry,
        )
        self.transitions = Counter(
            "rataura2_transitions",
            "Hand-overs, by conversation and edge.",
            ["conversation", "transition_id", "from_agent", "to_agent"],
            registry=self.registry,
        )
        self.errors = Counter("rataura2_errors", "Errors answered, by kind.", ["kind"], registry=self.registry)
        self.event_seconds = Histogram(
            "rataura2_event_seconds",
            "Time to process and store one event, as the API sees it.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.backlog = Gauge(
            "rataura2_durable_backlog",
            'Acknowledged events not yet in the database (durability="async").',
            registry=self.registry,
        )
        self.backlog.set_function(backlog)
        self.requests = Counter(
            "rataura2_http_requests",
            "HTTP requests, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "rataura2_http_request_seconds",
            "HTTP request durations, by method and route.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def event(self, conversation: str, event_type: str, result: TransitionResult, seconds: float) -> None:
        self.events.labels(conversation, event_type, result.status.value).inc()
        self.event_seconds.observe(seconds)
        for hop in result.hops:
            self.transitions.labels(
                conversation, str(hop.transition_id), str(hop.from_agent_id), str(hop.to_agent_id)
            ).inc()
        for _transition_id, _message in result.errors:
            self.errors.labels("condition").inc()

    def error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
