"""The orchestrator of one session: the session core of DESIGN.md.

``process_event`` validates an event, folds it into the context, evaluates the current agent's transitions and
fires at most one (by default). It is CPU only and deterministic; I/O (loading graphs, persisting) is the business
of :class:`~rataura2.sessions.manager.SessionManager` and of the store it hands in.

Two guards keep a graph from running away. Conditions that read state are evaluated on trigger events only (see
:mod:`~rataura2.core.conditions.triggers`), and no session makes more than ``max_transitions_per_turn`` hand-overs
between two user turns: past it a hand-over is refused and recorded as an error event naming the cycle, and the
session stays where it is, ready for the user's next turn.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rataura2.core.conditions import ConditionInput
from rataura2.core.context import HAND_OVERS_THIS_TURN, OWNED_FIELDS, TYPED_FIELDS, Scope, SessionContext
from rataura2.core.dedupe import DedupeWindow, DepartedIds
from rataura2.core.events import EventData, EventManager
from rataura2.core.graph import NOTHING_HOLDS as _NOTHING_HELD
from rataura2.core.graph import CompiledGraph, TransitionMatch, first_holding
from rataura2.core.result import Hop, TransitionResult, TransitionStatus
from rataura2.core.sensitive import Secrets
from rataura2.core.spec import AgentSpec
from rataura2.core.store import SessionStore
from rataura2.errors import InvalidEventError, SessionEndedError
from rataura2.settings import checked
from rataura2.vocabulary.events import (
    API_SOURCE,
    CONTEXT_UPDATES_KEY,
    INTERNAL_ID_PREFIX,
    ORCHESTRATOR_SOURCE,
    EventType,
    internal_event_id,
    is_internal_event_id,
)
from rataura2.vocabulary.limits import MAX_CONTEXT_KEYS

if TYPE_CHECKING:
    import asyncio

logger = logging.getLogger(__name__)

TransitionListener = Callable[["AgentOrchestrator", TransitionResult], None]

_TRANSITION, _CUSTOM, _SESSION_ENDED = EventType.TRANSITION, EventType.CUSTOM, EventType.SESSION_ENDED
_NO_TRANSITION, _NOTHING_HOLDS = TransitionStatus.NO_TRANSITION, "no condition holds"
TURN_GUARD = "max_transitions_per_turn"
"""The ``error_type`` of the error event a refused hand-over records (its reason names it too)."""


def was_refused(result: TransitionResult) -> bool:
    """Whether processing the event refused a hand-over past ``max_transitions_per_turn``."""
    return any(f"{TURN_GUARD}=" in message for _, message in result.errors)


class AgentOrchestrator:
    """Moves one session through its conversation graph, one event at a time.

    Events are processed one at a time in arrival order (callers from several threads, or tasks, wait their
    turn). An event id seen before returns the result it got then and changes nothing.
    """

    def __init__(
        self,
        session_id: str,
        graph: CompiledGraph,
        *,
        context: SessionContext | None = None,
        event_manager: EventManager | None = None,
        max_hops_per_event: int | None = None,
        max_transitions_per_turn: int | None = None,
        store: SessionStore | None = None,
        logged: bool | None = None,
    ) -> None:
        """``logged``: whether the session's events are (or will be) in a log that its store can look ids up in;
        by default, whether it has a store."""
        self.session_id = session_id
        self.graph = graph
        self.event_manager = event_manager or EventManager()
        self.max_hops_per_event = int(checked("max_hops_per_event", max_hops_per_event))
        self.max_transitions_per_turn = int(checked("max_transitions_per_turn", max_transitions_per_turn))
        self._store = store
        self.context = context if context is not None else self._initial_context()
        self._agent_id = 0
        """The current agent, as in the context; kept here too because the event path reads it often."""
        self.ended = False
        self._resync()
        self._results = DedupeWindow(logged=store is not None if logged is None else logged)
        """``logged`` is set again when a store is attached (see :attr:`store`)."""
        self._pending_event: EventData | None = None
        """The last event, while the agent that was current when it arrived still is."""
        self._evaluated_at: tuple[int, int] = (self.context.revision, self.current_agent_id)
        self._lock = threading.RLock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        """One asyncio lock per event loop (a lock belongs to the loop it first waited on); ``_lock`` orders
        callers across loops and threads. Made on first use: sessions driven from threads never need it."""
        self._listeners: list[TransitionListener] = []
        self.secrets = Secrets(graph.sensitive)
        """This session's sensitive values, in this process's memory only (``rataura2.core.sensitive``)."""

    def _initial_context(self) -> SessionContext:
        spec = self.graph.spec
        initial = self.graph.get_initial_agent()
        return SessionContext(
            {
                "session_id": self.session_id,
                "conversation_id": spec.conversation_id,
                "conversation_name": spec.name,
                "conversation_description": spec.description,
                "conversation_version": spec.version,
                "initial_agent_id": initial.id,
                "initial_agent_name": initial.name,
                "current_agent_id": initial.id,
                "current_agent_name": initial.name,
                "previous_agent_id": None,
                "agent_entered_at": 0.0,
                "agent_entered_event_count": 0,
                "event_count": 0,
                "turn_count": 0,
                HAND_OVERS_THIS_TURN: 0,
                "user_input": "",
                "tool_results": {},
                "tool_errors": {},
                "agent_decisions": {},
                "session": {
                    "id": self.session_id,
                    "status": "new",
                    "participants": [],
                    "participant_count": 0,
                },
                "agents": self.graph.directory,
            }
        )

    def _resync(self) -> None:
        """Read the current agent and whether the session ended back from the context (after it was replaced)."""
        self._agent_id = int(self.context.get("current_agent_id"))
        self.ended = self.context.get("session", {}).get("status") == "ended"

    # reading -------------------------------------------------------------------------------------------------
    @property
    def store(self) -> SessionStore | None:
        """Where processed events are logged (None: nowhere, as with ``durability="off"``)."""
        return self._store

    @store.setter
    def store(self, store: SessionStore | None) -> None:
        self._store = store
        if store is not None:  # ids that leave the dedupe window can be looked up from now on: keep track of them
            self._results.logged = True

    @property
    def lock(self) -> threading.RLock:
        """The session's lock, held while an event is processed: hold it to do several things to the session with
        no event in between (or try it without waiting, to learn that another caller is in the session)."""
        return self._lock

    def reads_log(self, event_id: str) -> bool:
        """Whether processing the event ``event_id`` may read the store: an id the session does not remember, but
        may have processed before its dedupe window, is looked up in its log (``rataura2.core.dedupe``)."""
        results = self._results
        return self._store is not None and event_id not in results and results.may_be_logged(event_id)

    @property
    def current_agent_id(self) -> int:
        return self._agent_id

    def get_current_agent(self) -> AgentSpec:
        return self.graph.get_agent(self.current_agent_id)

    def get_context(self) -> dict[str, Any]:
        """The context as a plain dict (a copy)."""
        with self._lock:
            return self.context.to_dict()

    def template_values(self) -> dict[str, Any]:
        """What templates are rendered against: the context's values, with the sensitive ones this process holds
        in place of their marker (and those it does not hold, after a resume elsewhere, missing)."""
        with self._lock:
            values = self.context.to_dict()
            for key in self.graph.sensitive.keys:
                values.pop(key, None)
            values.update(self.secrets.values)
            return values

    def add_transition_listener(self, listener: TransitionListener) -> None:
        """Call ``listener(orchestrator, result)`` after each event that moved the session (the LiveKit bridge
        performs its hand-overs from here)."""
        self._listeners.append(listener)

    def remove_transition_listener(self, listener: TransitionListener) -> None:
        self._listeners.remove(listener)

    def seen(self, event_id: str) -> bool:
        with self._lock:
            return self._processed(event_id) is not None

    def _processed(self, event_id: str) -> TransitionResult | None:
        """The result an event id got, from the window or, past it, from the store's log."""
        previous = self._results.get(event_id)
        if previous is None and self._store is not None and self._results.may_be_logged(event_id):
            previous = self._store.logged_result(self, event_id)
        return previous

    # events --------------------------------------------------------------------------------------------------
    def process_event(self, event: EventData | Mapping[str, Any]) -> TransitionResult:
        """Apply one event and fire the transition it triggers, if any. See DESIGN.md, "Event processing"."""
        if not isinstance(event, EventData):
            event = EventData.parse(event)
        if is_internal_event_id(event.id):
            raise InvalidEventError(
                "id", f"ids starting with {INTERNAL_ID_PREFIX!r} are the session's own; got {event.id!r}"
            )
        return self._process(event)

    def process_own_event(self, event: EventData) -> TransitionResult:
        """Process one of the session's own events (its start and end, which the session manager records), whose
        id is in the namespace outside events cannot use."""
        if not is_internal_event_id(event.id):
            raise InvalidEventError("id", f"the session's own events have ids starting with {INTERNAL_ID_PREFIX!r}")
        return self._process(event)

    def _process(self, event: EventData) -> TransitionResult:
        with self._lock:
            results = self._results
            event_id = event.id
            previous = results.get(event_id)
            if previous is None and self._store is not None and results.may_be_logged(event_id):
                previous = self._store.logged_result(self, event_id)  # as _processed(), inlined: every event asks
            if previous is not None:
                if self._store is not None:
                    self._store.repeated(self, event_id)
                return previous
            if self.ended:
                raise SessionEndedError(f"session {self.session_id!r} has ended; event {event.id} refused")
            secrets = self.secrets.checkpoint() if self.secrets.active else None
            if secrets is not None:
                event = self.secrets.redact(event, self._agent_id)
            kind = event.type
            if kind is _TRANSITION or kind is _CUSTOM:  # the only commands; other events need no check
                self._check_command(event)
            context = self.context
            checkpoint = context.checkpoint()
            try:
                result = self._apply(event)
                if self._store is not None:
                    self._store.event_processed(self, event, result)
            except BaseException:
                context.restore(checkpoint)
                if secrets is not None:
                    self.secrets.restore(secrets)
                self._resync()
                raise
            context.discard(checkpoint)
            results.add(event_id, event.timestamp, result, context.now)
            self._pending_event = None if result.hops else event
            self._evaluated_at = (context.revision, self._agent_id)
        if self._listeners and result.transitioned:
            for listener in self._listeners:
                listener(self, result)
        return result

    async def aprocess_event(self, event: EventData | Mapping[str, Any]) -> TransitionResult:
        """``process_event`` for asyncio code: callers are served in arrival order and the loop never waits on
        a store's I/O. Any event loop may call it (each gets a lock of its own)."""
        import asyncio  # here: sessions driven from threads never load it

        loop = asyncio.get_running_loop()
        locks = self._async_locks
        if locks is None:
            with self._lock:
                if self._async_locks is None:
                    self._async_locks = weakref.WeakKeyDictionary()
                locks = self._async_locks
        lock = locks.get(loop)
        if lock is None:
            lock = locks[loop] = asyncio.Lock()
        async with lock:
            if self._store is None or not self._store.blocks:
                return self.process_event(event)
            return await asyncio.to_thread(self.process_event, event)

    def replay(self, events: Iterable[EventData | Mapping[str, Any]]) -> None:
        """Re-apply logged events (ids already seen are skipped), without calling the store or listeners."""
        store, listeners = self._store, self._listeners
        self._store, self._listeners = None, []
        try:
            for event in events:
                self._process(EventData.parse(event))
        finally:
            self._store, self._listeners = store, listeners

    def replay_event(self, event: EventData) -> TransitionResult:
        """Process a logged event again (one of the session's own too), to rebuild the session it came from."""
        return self._process(event)

    def restore_processed(
        self,
        results: Mapping[str, tuple[float, TransitionResult]],
        last_event: EventData | None,
        *,
        complete: bool = True,
        older: DepartedIds | None = None,
    ) -> None:
        """Mark logged events as already processed, without applying them: for a session rebuilt from a snapshot
        that already holds their effect. ``results`` are (timestamp, result) by event id, oldest first, and
        ``complete`` says whether they are all the log holds; if not, ``older`` holds the ids logged before them
        (None: unknown, and every id the session does not remember is looked up in the store). Their
        ids stay no-ops that return the logged results, and ``last_event`` (the snapshot's own event) is what
        ``check_transition`` looks at, as it was before."""
        with self._lock:
            self._results.load(results, complete=complete, now=self.context.now, older=older)
            if last_event is not None:
                last = results.get(last_event.id)
                self._pending_event = None if last is None or last[1].hops else last_event
            self._evaluated_at = (self.context.revision, self.current_agent_id)

    def _check_command(self, event: EventData) -> None:
        """Refuse, before anything changes, commands that could not be carried out."""
        is_request = event.type is _TRANSITION and event.source != ORCHESTRATOR_SOURCE
        if event.type is _TRANSITION and not is_request:
            raise InvalidEventError(
                "source",
                f"{ORCHESTRATOR_SOURCE!r} marks the session's own records of its hand-overs; a transition request "
                "names who sends it (such as 'api')",
            )
        if is_request:
            self._requested_agent(event)
        if is_request or (event.type is _CUSTOM and event.source == API_SOURCE):
            updates = event.data.get(CONTEXT_UPDATES_KEY)
            if updates is None:
                return
            if not isinstance(updates, dict):
                raise InvalidEventError(f"data.{CONTEXT_UPDATES_KEY}", "must be an object of field: value")
            owned = sorted(OWNED_FIELDS & set(updates))
            if owned:
                raise InvalidEventError(
                    f"data.{CONTEXT_UPDATES_KEY}.{owned[0]}", "is kept by the orchestrator and cannot be set"
                )
            for key, kind in TYPED_FIELDS.items():
                if key in updates and not isinstance(updates[key], kind):
                    raise InvalidEventError(f"data.{CONTEXT_UPDATES_KEY}.{key}", f"must be a {kind.__name__}")
            new_keys = [key for key in updates if key not in self.context]
            if new_keys:
                held = len(tuple(self.context.keys()))
                if held + len(new_keys) > MAX_CONTEXT_KEYS:
                    raise InvalidEventError(
                        f"data.{CONTEXT_UPDATES_KEY}",
                        f"would add {len(new_keys)} value(s) to the {held} the context holds, over the limit of "
                        f"{MAX_CONTEXT_KEYS}; keep related values together in one object",
                    )
            scope, ttl = event.data.get("scope", "session"), event.data.get("ttl")
            if not isinstance(scope, str) or scope not in Scope._value2member_map_:
                raise InvalidEventError("data.scope", f"must be one of {', '.join(Scope)}, got {scope!r}")
            if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0):
                raise InvalidEventError("data.ttl", f"must be a positive number of seconds, got {ttl!r}")

    def _requested_agent(self, event: EventData) -> AgentSpec:
        target = event.data.get("to_agent_id", event.data.get("to_agent"))
        if isinstance(target, bool) or not isinstance(target, int | str):
            raise InvalidEventError("data.to_agent_id", "a transition request names the agent to move to")
        return self.graph.get_agent(target)

    def _apply(self, event: EventData) -> TransitionResult:
        self.event_manager.process_event(event, self.context)
        if event.type is _SESSION_ENDED:
            self.ended = True
            return TransitionResult(
                TransitionStatus.NO_TRANSITION,
                self.current_agent_id,
                reason="session ended",
                event_id=event.id,
            )
        if event.type is _TRANSITION and event.source != ORCHESTRATOR_SOURCE:
            target = self._requested_agent(event)
            reason = str(event.data.get("reason") or f"requested by {event.source}")
            transition_id = event.data.get("transition_id")
            for key, value in (event.data.get(CONTEXT_UPDATES_KEY) or {}).items():
                self.context.set(key, value, metadata={"source": f"transition {transition_id}"})
            hop = self._enter(target.id, transition_id, reason, event)
            return TransitionResult(
                TransitionStatus.SUCCESS, hop.from_agent_id, hop.to_agent_id, transition_id, reason, event.id, (hop,)
            )
        return self._advance(event)

    def _advance(self, event: EventData) -> TransitionResult:
        """Evaluate and fire, up to ``max_hops_per_event`` times, cutting cycles."""
        start = self._agent_id
        candidates = self.graph.candidates(start, event)
        if not candidates:  # most events: nothing of this agent is evaluated on them
            return TransitionResult(_NO_TRANSITION, start, None, None, _NOTHING_HOLDS, event.id)
        given = ConditionInput(event, self.context)
        evaluation = first_holding(candidates, given)
        if evaluation is _NOTHING_HELD:  # the usual case, kept short: nothing holds, nothing raised
            return TransitionResult(_NO_TRANSITION, start, None, None, _NOTHING_HOLDS, event.id)
        visited = {start}
        hops: list[Hop] = []
        errors: list[tuple[int, str]] = []
        note = ""
        for hop in range(self.max_hops_per_event):
            if hop:
                evaluation = self.graph.check_transitions(self.current_agent_id, given)
            errors.extend(evaluation.errors)
            match = evaluation.match
            if match is None:
                break
            if match.transition.target_agent_id in visited and hops:
                note = f"; cycle back to agent {match.transition.target_agent_id} cut"
                break
            if self.context.get(HAND_OVERS_THIS_TURN, 0) >= self.max_transitions_per_turn:
                errors.append((match.transition.id, self._refuse(match, event)))
                break
            hops.append(self._fire(match, event))
            visited.add(match.transition.target_agent_id)
        else:
            note = self._also_holds(given)
        event_id = event.id
        if not hops:
            if errors:
                reason = "; ".join(f"transition {tid}: {msg}" for tid, msg in errors)
                return TransitionResult(
                    TransitionStatus.ERROR, start, reason=reason, event_id=event_id, errors=tuple(errors)
                )
            return TransitionResult(
                TransitionStatus.NO_TRANSITION, start, reason="no condition holds", event_id=event_id
            )
        last = hops[-1]
        return TransitionResult(
            TransitionStatus.SUCCESS,
            start,
            last.to_agent_id,
            last.transition_id,
            " -> ".join(h.reason for h in hops) + note,
            event_id,
            tuple(hops),
            tuple(errors),
        )

    def _fire(self, match: TransitionMatch, event: EventData) -> Hop:
        for key, value in match.verdict.context_updates.items():
            self.context.set(key, value, metadata={"source": f"transition {match.transition.id}"})
        return self._enter(match.transition.target_agent_id, match.transition.id, match.verdict.reason, event)

    def _refuse(self, match: TransitionMatch, cause: EventData) -> str:
        """Refuse a hand-over past ``max_transitions_per_turn`` and record why as an error event (the orchestrator's
        own, like a hand-over: it is not evaluated, and replaying the cause records it again). Returns the reason."""
        target = self.graph.get_agent(match.transition.target_agent_id)
        here = self.get_current_agent()
        taken = self.context.get(HAND_OVERS_THIS_TURN, 0)
        recent = self.context.get("transitions")[-taken:] if taken else []
        path = [str(t["from_agent_name"]) for t in recent[:1]] + [str(t["to_agent_name"]) for t in recent]
        cycle = " -> ".join([*(path or [here.name]), target.name])
        reason = (
            f"hand-over {here.name} -> {target.name} (transition {match.transition.id}) refused: {taken} hand-overs "
            f"since the user's last turn ({cycle}) reach max_transitions_per_turn={self.max_transitions_per_turn}; "
            f"the session stays on {here.name} until the user speaks again (it would fire because "
            f"{match.verdict.reason})"
        )
        logger.warning("session %s: %s", self.session_id, reason)
        record = EventData(
            type=EventType.AGENT_ERROR,
            timestamp=cause.timestamp,
            source=ORCHESTRATOR_SOURCE,
            id=f"{cause.id}/refused/{match.transition.id}",
            data={
                "message": reason,
                "recoverable": True,
                "error_type": TURN_GUARD,
                "transition_id": match.transition.id,
                "from_agent_id": here.id,
                "to_agent_id": target.id,
                "trigger_event_id": cause.id,
            },
        )
        self.event_manager.process_event(record, self.context)
        return reason

    def _also_holds(self, given: ConditionInput) -> str:
        """After the last hand-over an event may make: a note if the new agent would move on at once, so that
        people reading the result see why the session stopped there."""
        match = self.graph.check_transitions(self.current_agent_id, given).match
        if match is None:
            return ""
        here, target = self.get_current_agent().name, self.graph.get_agent(match.transition.target_agent_id).name
        hops = self.max_hops_per_event
        return (
            f"; then {here} -> {target} (transition {match.transition.id}) holds too ({match.verdict.reason}), "
            f"not taken: at most {hops} hand-over{'' if hops == 1 else 's'} per event, so it waits for the next one"
        )

    def _enter(self, target_id: int, transition_id: int | None, reason: str, cause: EventData) -> Hop:
        agents = self.graph.spec.agents  # both ids are known: the current agent, and a checked target
        source = agents[self._agent_id]
        target = agents[target_id]
        timestamp, cause_id = cause.timestamp, cause.id
        record = {
            "from_agent_id": source.id,
            "from_agent_name": source.name,
            "to_agent_id": target.id,
            "to_agent_name": target.name,
            "transition_id": transition_id,
            "reason": reason,
            "trigger_event_id": cause_id,
            "timestamp": timestamp,
        }
        # built here from values already checked (ids, names, the cause's timestamp and id, a reason), so it skips
        # validation, which would cost more than the rest of the hand-over
        transition_event = EventData.trusted(
            _TRANSITION,
            timestamp,
            record,
            ORCHESTRATOR_SOURCE,
            internal_event_id(f"transition/{self.context.transition_count}"),
        )
        self.event_manager.process_event(transition_event, self.context)
        self.context.enter_agent(record, target.name)
        self._agent_id = target.id
        logger.info("session %s: %s -> %s (%s)", self.session_id, source.name, target.name, reason)
        return Hop(source.id, target.id, transition_id, reason)

    # checking and moving without a new event ------------------------------------------------------------------
    def check_transition(self) -> TransitionResult:
        """What would fire now, against the last event and the context, without firing it."""
        with self._lock:
            agent = self.current_agent_id
            evaluation = self.graph.check_transitions(agent, ConditionInput(self._pending_event, self.context))
            match = evaluation.match
            if match is None:
                status = TransitionStatus.ERROR if evaluation.errors else TransitionStatus.NO_TRANSITION
                return TransitionResult(
                    status, agent, reason="no condition holds", errors=evaluation.errors, executed=False
                )
            return TransitionResult(
                TransitionStatus.SUCCESS,
                agent,
                match.transition.target_agent_id,
                match.transition.id,
                match.verdict.reason,
                errors=evaluation.errors,
                executed=False,
            )

    def check_and_execute_transition(self) -> TransitionResult:
        """Fire what holds now, if anything is new since the last evaluation. After ``process_event`` (which
        already evaluated) this reports no transition, so calling both never fires twice."""
        with self._lock:
            agent = self.current_agent_id
            if self._evaluated_at == (self.context.revision, agent):
                return TransitionResult(
                    TransitionStatus.NO_TRANSITION, agent, reason="nothing new since the last evaluation"
                )
            evaluation = self.graph.check_transitions(agent, ConditionInput(self._pending_event, self.context))
            match = evaluation.match
            if match is None:
                self._evaluated_at = (self.context.revision, agent)
                status = TransitionStatus.ERROR if evaluation.errors else TransitionStatus.NO_TRANSITION
                return TransitionResult(status, agent, reason="no condition holds", errors=evaluation.errors)
            if self.context.get(HAND_OVERS_THIS_TURN, 0) >= self.max_transitions_per_turn:
                self._evaluated_at = (self.context.revision, agent)
                reason = (
                    f"transition {match.transition.id} refused: max_transitions_per_turn="
                    f"{self.max_transitions_per_turn} hand-overs since the user's last turn"
                )
                return TransitionResult(
                    TransitionStatus.ERROR, agent, reason=reason, errors=((match.transition.id, reason),)
                )
            return self.execute_transition(
                match.transition.target_agent_id,
                reason=match.verdict.reason,
                transition_id=match.transition.id,
                context_updates=match.verdict.context_updates,
            )

    def execute_transition(
        self,
        target: int | str,
        *,
        reason: str | None = None,
        transition_id: int | None = None,
        context_updates: Mapping[str, Any] | None = None,
        timestamp: float | None = None,
        event_id: str | None = None,
    ) -> TransitionResult:
        """Move the session to ``target`` (an agent id or name of this conversation) now, setting
        ``context_updates`` with the move. It is logged as a TRANSITION request event, so it is persisted and
        replayed like any other. ``event_id`` makes the call idempotent: a retry with the same id (after a lost
        answer) returns the first call's result and moves nothing."""
        agent = self.graph.get_agent(target)
        data: dict[str, Any] = {"to_agent_id": agent.id, "reason": reason or "executed by the API"}
        if transition_id is not None:
            data["transition_id"] = transition_id
        if context_updates:
            data[CONTEXT_UPDATES_KEY] = dict(context_updates)
        return self.process_event(
            _api_event(EventType.TRANSITION, data, self.context.now if timestamp is None else timestamp, event_id)
        )

    def update_context(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        scope: str = "session",
        ttl: float | None = None,
        timestamp: float | None = None,
        event_id: str | None = None,
        **kwargs: Any,
    ) -> TransitionResult:
        """Set context values from outside, as an event (so it is logged and replayed); rules and expressions
        that read them are evaluated at once. ``event_id`` makes the call idempotent: a retry with the same id
        (after a lost answer) returns the first call's result and sets nothing twice. Fields the orchestrator
        keeps (``OWNED_FIELDS``) are refused."""
        updates = {**(values or {}), **kwargs}
        return self.process_event(
            context_update_event(
                updates,
                scope=scope,
                ttl=ttl,
                timestamp=self.context.now if timestamp is None else timestamp,
                event_id=event_id,
            )
        )


def _api_event(kind: EventType, data: dict[str, Any], timestamp: float, event_id: str | None) -> EventData:
    values: dict[str, Any] = {"type": kind, "data": data, "source": API_SOURCE, "timestamp": timestamp}
    if event_id is not None:
        values["id"] = event_id
    return EventData(**values)


def context_update_event(
    values: Mapping[str, Any],
    *,
    timestamp: float,
    scope: str = "session",
    ttl: float | None = None,
    set_by: str | None = None,
    event_id: str | None = None,
) -> EventData:
    """The event that sets context values from outside (``update_context``, a tool through LiveKit's RunContext,
    an agent's ``set_context`` action); ``set_by`` says who, in the event and in the values' metadata."""
    data: dict[str, Any] = {CONTEXT_UPDATES_KEY: dict(values), "scope": scope}
    if ttl is not None:
        data["ttl"] = ttl
    if set_by is not None:
        data["set_by"] = set_by
    return _api_event(EventType.CUSTOM, data, timestamp, event_id)


__all__ = ["TURN_GUARD", "AgentOrchestrator", "TransitionListener", "context_update_event", "was_refused"]
