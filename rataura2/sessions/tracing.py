"""OpenTelemetry spans for event processing and hand-overs, wherever events come from (the HTTP API, a LiveKit
session): one ``rataura2.event`` span per event, with a ``rataura2.handover`` span per hand-over inside it.

Only the OpenTelemetry API is a dependency: with no tracer provider set up by the host process (the SDK and an
exporter, as for livekit-agents' own telemetry), its tracer is a no-op and nothing is recorded or sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace

from rataura2.core.result import TransitionResult

TRACER_NAME = "rataura2"


class Tracing:
    def __init__(self, provider: trace.TracerProvider | None = None) -> None:
        self.tracer = trace.get_tracer(TRACER_NAME, tracer_provider=provider)

    @contextmanager
    def event(self, session_id: str, event_type: str) -> Iterator[trace.Span]:
        """A span around processing one event; :meth:`result` fills in what it came to."""
        with self.tracer.start_as_current_span(
            "rataura2.event", attributes={"rataura2.session_id": session_id, "rataura2.event_type": event_type}
        ) as span:
            yield span

    def result(self, span: trace.Span, result: TransitionResult) -> None:
        if not span.is_recording():
            return
        span.set_attribute("rataura2.status", result.status.value)
        if result.event_id is not None:
            span.set_attribute("rataura2.event_id", result.event_id)
        for hop in result.hops:
            with self.tracer.start_as_current_span(
                "rataura2.handover",
                attributes={
                    "rataura2.from_agent_id": hop.from_agent_id,
                    "rataura2.to_agent_id": hop.to_agent_id,
                    "rataura2.transition_id": hop.transition_id if hop.transition_id is not None else -1,
                    "rataura2.reason": hop.reason,
                },
            ):
                pass
