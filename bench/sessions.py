"""Sessions through ``SessionManager``, the way users start and drive them: the cost of a session start on a warm
graph, of an event among many interleaved sessions, and the memory of idle and of long sessions."""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any

from bench.measure import Latency, summary, timed
from bench.seed import seed_workload
from bench.workloads import Workload, event_stream, interleaved
from rataura2.core.events import EventData
from rataura2.db.session import init_db
from rataura2.sessions.manager import Durability, SessionManager

Tick = Callable[[int], None]
"""Progress: called with how many units of work were just done."""


def _nothing(_: int) -> None:
    pass


@dataclass(frozen=True)
class Started:
    """``create_session`` on a conversation whose latest version is compiled already."""

    transitions: int
    durability: str
    latency: Latency
    first_ms: float
    """The first session, which publishes and compiles the graph."""


def session_start(
    url: str, workload: Workload, name: str, sessions: int, durability: Durability = "off", tick: Tick = _nothing
) -> Started:
    """Seed ``workload`` as conversation ``name``, start one session (publish, compile), then time ``sessions``
    more, each up to its recorded SESSION_CREATED."""
    database = init_db(url)
    try:
        with database() as db:
            seeded = seed_workload(db, workload, name)
        with database() as db, SessionManager(db, durability=durability) as manager:
            start = time.perf_counter()
            manager.create_session(f"{name}/first", seeded.conversation_id)
            first_ms = (time.perf_counter() - start) * 1e3

            def create(i: int) -> None:
                manager.create_session(f"{name}/{i}", seeded.conversation_id)
                if i % 100 == 99:
                    tick(100)

            latency = summary(timed(range(sessions), create))
    finally:
        database.dispose()
    return Started(len(workload.spec.transitions), durability, latency, first_ms)


@dataclass(frozen=True)
class Interleaved:
    """``process_event`` through ``SessionManager`` on many sessions whose events arrive interleaved."""

    transitions: int
    sessions: int
    latency: Latency
    rounds: int
    samples: list[float]
    """Seconds per event of the reported round, in arrival order (peers are compared on a prefix of it)."""
    transitions_fired: int
    route: list[int]
    """Of the reported round: each event's session's agent after it (workload ids)."""


def event_path(
    url: str,
    workload: Workload,
    name: str,
    sessions: int,
    per_session: int,
    rounds: int = 3,
    tick: Tick = _nothing,
) -> Interleaved:
    """``rounds`` rounds, each on ``sessions`` new sessions (durability off: the session core and the manager,
    without I/O) fed the same interleaved events; the round with the lowest p99 is reported (the others met more
    interference from whatever else runs on the machine)."""
    database = init_db(url)
    stream = interleaved(sessions, per_session)
    best: Interleaved | None = None
    try:
        with database() as db:
            seeded = seed_workload(db, workload, name)
        names = seeded.names()
        with database() as db, SessionManager(db, durability="off") as manager:
            for r in range(rounds):
                ids = [f"{name}/r{r}/s{s}" for s in range(sessions)]
                for session_id in ids:
                    manager.create_session(session_id, seeded.conversation_id, timestamp=1.0)

                def send(item: tuple[int, EventData], ids: list[str] = ids) -> None:
                    manager[ids[item[0]]].process_event(item[1])

                samples = timed(stream, send)
                latency = summary(samples)
                tick(len(stream))
                if best is None or latency.p99 < best.latency.p99:
                    route = _route(manager, ids, stream, names)
                    fired = sum(manager[i].context.transition_count for i in ids)
                    best = Interleaved(len(workload.spec.transitions), sessions, latency, rounds, samples, fired, route)
                for session_id in ids:
                    manager.end_session(session_id)
    finally:
        database.dispose()
    assert best is not None
    return best


def _route(
    manager: SessionManager, ids: list[str], stream: list[tuple[int, EventData]], names: dict[int, int]
) -> list[int]:
    """Each event's session's agent after it, from the sessions' hand-over records (workload ids)."""
    agents = [1] * len(ids)
    by_trigger: dict[tuple[int, str], int] = {}
    for s, session_id in enumerate(ids):
        for hop in manager[session_id].context.get("transitions"):
            by_trigger[(s, str(hop["trigger_event_id"]))] = names[int(hop["to_agent_id"])]
    route = []
    for s, event in stream:
        agents[s] = by_trigger.get((s, event.id), agents[s])
        route.append(agents[s])
    return route


def idle_memory(url: str, workload: Workload, name: str, sessions: int, tick: Tick = _nothing) -> float:
    """Bytes of Python memory per idle session (created through ``SessionManager``, durability off, nothing since),
    measured with tracemalloc around their creation."""
    database = init_db(url)
    try:
        with database() as db:
            seeded = seed_workload(db, workload, name)
        with database() as db, SessionManager(db, durability="off") as manager:
            manager.create_session(f"{name}/warm", seeded.conversation_id)  # the compiled graph is shared
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            for i in range(sessions):
                manager.create_session(f"{name}/{i}", seeded.conversation_id)
                if i % 500 == 499:
                    tick(500)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            assert len(manager) == sessions + 1
    finally:
        database.dispose()
    return grown / sessions


def retained_bytes(root: object, shared: object) -> int:
    """The memory only ``root`` holds: the sizes of the objects reachable from it, leaving out what ``shared``
    reaches (the compiled graph every session shares), classes, modules and functions."""
    skip = (type, ModuleType, FunctionType, BuiltinFunctionType)
    seen: set[int] = set()
    stack: list[Any] = [shared]
    while stack:  # everything the shared part reaches is not the session's own
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        stack.extend(gc.get_referents(obj))
    total = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


@dataclass(frozen=True)
class LongSession:
    short_events: int
    short_bytes: int
    long_events: int
    long_bytes: int
    microseconds_per_event: float


def long_session(url: str, workload: Workload, name: str, short: int, long: int, tick: Tick = _nothing) -> LongSession:
    """One session (durability off) measured after ``short`` events, then again after ``long``: what it holds
    (see :func:`retained_bytes`) must not grow with its age. Events are made as they are sent."""
    database = init_db(url)
    try:
        with database() as db:
            seeded = seed_workload(db, workload, name)
        with database() as db, SessionManager(db, durability="off") as manager:
            session = manager.create_session(f"{name}/long", seeded.conversation_id, timestamp=1.0)
            spent = 0.0
            short_bytes = 0
            for done, event in enumerate(event_stream(long), start=1):
                start = time.perf_counter()
                manager[session.session_id].process_event(event)
                spent += time.perf_counter() - start
                if done == short:
                    gc.collect()
                    short_bytes = retained_bytes(session, session.graph)
                if done % 10_000 == 0:
                    tick(10_000)
            gc.collect()
            long_bytes = retained_bytes(session, session.graph)
    finally:
        database.dispose()
    return LongSession(short, short_bytes, long, long_bytes, spent / long * 1e6)
