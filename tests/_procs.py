"""What the durability tests share: a conversation, a scripted session, a driver, and that driver as a real process.

Run as ``python -m tests._procs drive ...`` (from the repository root) it drives one session in its own process,
printing one JSON line per step, so that tests can kill it, or race two of them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.models import SessionEvent, SessionRecord
from rataura2.db.session import init_db
from rataura2.errors import SessionOwnedError
from rataura2.sessions.manager import SessionManager
from tests.builders import build_graph

T0 = 1_764_000_000.0
ROOT = Path(__file__).resolve().parent.parent


def build_conversation(db: Session, name: str = "durable") -> int:
    """Four agents and a transition of most kinds, so that a replay has something to get wrong."""
    graph = build_graph(
        db,
        ["Router", "Combat", "Market", "Farewell"],
        [
            ("Router", "Combat", "user_input", {"pattern": "combat"}),
            ("Router", "Market", "user_input", {"pattern": "market"}),
            (
                "Combat",
                "Market",
                "tool_result",
                {"tool_name": "fit_ship", "result_key": "cost", "operator": "gte", "expected_value": 1000},
            ),
            ("Combat", "Router", "agent_decision", {"expected_value": "router"}),
            ("Market", "Router", "custom", {"condition_code": 'context.user_input.contains("thanks")'}),
            ("Router", "Farewell", "event", {"event_type": "user_left"}, 10),
            ("Combat", "Farewell", "event", {"event_type": "user_left"}, 10),
            ("Market", "Farewell", "event", {"event_type": "user_left"}, 10),
        ],
        name=name,
        tools={"Combat": ["fit_ship"]},
    )
    return graph.conversation.id


def script(rounds: int = 8) -> list[dict[str, Any]]:
    """A conversation as its events, with fixed ids and timestamps (about 7 events a round)."""
    events: list[dict[str, Any]] = []

    def add(kind: str, source: str, **data: Any) -> None:
        n = len(events) + 1
        events.append({"id": f"e{n:03d}", "type": kind, "timestamp": T0 + n, "source": source, "data": data})

    add("user_joined", "livekit", participant_id="pilot")
    for r in range(rounds):
        add("user_message", "user", message=f"round {r}: tell me about combat")
        add("agent_message", "agent", message=f"Combat, round {r}.")
        add("tool_called", "agent", tool_name="fit_ship", arguments={"ship": "Rifter"})
        add("tool_result", "agent", tool_name="fit_ship", result={"cost": 400 * (r + 1)})
        add("custom", "api", context_updates={"round": r, "mood": ["calm", "eager"][r % 2]}, scope="session")
        add("user_message", "user", message="and the market?" if r % 2 else "thanks, that helps")
        if r % 2:
            add("agent_decision", "agent", decision_key="transition_to", value="router")
        if r % 3 == 2:
            add("transition", "api", to_agent="Router", reason="an operator moved it")
    add("user_left", "livekit", participant_id="pilot")
    return events


def drive(
    manager: SessionManager,
    session_id: str,
    events: list[dict[str, Any]],
    *,
    ack: TextIO | None = None,
    delay: float = 0.0,
) -> int:
    """Feed the events as a client would (checking transitions after each); return how many were new here."""
    orchestrator = manager[session_id]
    new = 0
    for event in events:
        new += not orchestrator.seen(event["id"])
        orchestrator.process_event(event)
        orchestrator.check_and_execute_transition()
        if ack is not None:  # written only once process_event has returned: the event is acknowledged
            ack.write(event["id"] + "\n")
            ack.flush()
        if delay:
            time.sleep(delay)
    return new


def reference_run(
    database_url: str,
    conversation_id: int,
    session_id: str,
    events: list[dict[str, Any]],
    *,
    end_at: float | None = None,
) -> AgentOrchestrator:
    """The same session, never crashed and kept in memory only: what a resumed session must end up as."""
    factory = init_db(database_url)
    with factory() as db:
        manager = SessionManager(db, durability="off")
        orchestrator = manager.create_session(session_id, conversation_id, timestamp=T0)
        drive(manager, session_id, events)
        if end_at is not None:
            manager.end_session(session_id, timestamp=end_at)
    factory.dispose()
    return orchestrator


def logged_ids(db: Session, session_id: str) -> list[str]:
    pk = db.scalar(select(SessionRecord.id).where(SessionRecord.session_id == session_id))
    return list(
        db.scalars(select(SessionEvent.event_id).where(SessionEvent.session_pk == pk).order_by(SessionEvent.seq))
    )


def spawn_args(url: str, session_id: str, conversation_id: int, **options: Any) -> list[str]:
    args = [sys.executable, "-m", "tests._procs", "drive", url, session_id, str(conversation_id)]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is not None and value is not False:
            args += [flag, str(value)]
    return args


def _say(**fields: Any) -> None:
    print(json.dumps({"t": time.time(), **fields}), flush=True)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tests._procs")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("drive", help="create or resume a session and play the script into it")
    d.add_argument("url")
    d.add_argument("session_id")
    d.add_argument("conversation_id", type=int)
    d.add_argument("--create", action="store_true", help="create the session (else resume it)")
    d.add_argument("--durability", default="sync")
    d.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the session's owner")
    d.add_argument("--delay", type=float, default=0.0, help="seconds between events")
    d.add_argument("--ack", type=Path, help="append each acknowledged event id to this file")
    d.add_argument("--ready", type=Path, help="touch this file when set up, then wait for --go")
    d.add_argument("--go", type=Path)
    d.add_argument("--lease", type=float, default=None)
    d.add_argument("--snapshot-every", type=int, default=None)
    args = parser.parse_args(argv)

    factory = init_db(args.url)
    db = factory()
    manager = SessionManager(
        db, durability=args.durability, lease_seconds=args.lease, snapshot_every=args.snapshot_every
    )
    assert manager.store is not None
    _say(step="owner", owner=manager.store.owner)
    if args.ready is not None:
        args.ready.touch()
        while args.go is not None and not args.go.exists():
            time.sleep(0.01)
    try:
        if args.create:
            manager.create_session(args.session_id, args.conversation_id, timestamp=T0)
        else:
            manager.resume_session(args.session_id, wait=args.wait)
    except SessionOwnedError as exc:
        _say(step="refused", owner=exc.owner, message=str(exc))
        return 3
    _say(step="driving")
    ack = args.ack.open("a") if args.ack is not None else None
    new = drive(manager, args.session_id, script(), ack=ack, delay=args.delay)
    manager.close()
    _say(step="done", new=new)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
