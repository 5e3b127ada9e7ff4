"""Replay: the time to replay 1,000 recorded demo sessions against an edited rule (reading their logs included),
on SQLite and on PostgreSQL. ``python -m bench.replay`` runs it alone."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.databases import postgres_database, sqlite_database
from bench.recorded import record_sessions
from rataura2.db.session import init_db
from rataura2.demo.seed import market_rules, seed_demo
from rataura2.rules.repository import update_business_rules_transition
from rataura2.sessions.manager import SessionManager
from rataura2.testing.replaying import replay_conversation


@dataclass(frozen=True)
class ReplayCost:
    sessions: int
    events: int
    changed: int
    seconds: float
    """Best of the runs: reading the logs and replaying every session."""
    replay_seconds: float
    """Of which replaying (the session core)."""


def replay_cost(database_url: str, sessions: int = 1_000, runs: int = 3) -> ReplayCost:
    database = init_db(database_url)
    try:
        with database() as db:
            conversation = seed_demo(db)
            manager = SessionManager(db, durability="off")
            graph = manager.publish_and_compile(conversation.id)
            record_sessions(manager.engine, graph, sessions)
            rules = next(t for t in graph.spec.transitions if t.condition_type == "business_rules")
            market = next(a.id for a in conversation.agents if a.name == "Market")
            edited = market_rules(market)
            edited[0]["conditions"]["all"][1]["any"].append(
                {"name": "user_input", "operator": "contains_case_insensitive", "value": "buy"}
            )
            update_business_rules_transition(db, rules.id, edited)
            db.commit()
            best = None
            for _ in range(runs):
                start = time.perf_counter()
                report = replay_conversation(db, conversation.id, "draft")
                took = time.perf_counter() - start
                if best is None or took < best.seconds:
                    best = ReplayCost(sessions, report.events, len(report.changed), took, report.seconds)
            assert best is not None
            return best
    finally:
        database.dispose()


def main() -> None:
    for name, database in (("SQLite", sqlite_database), ("PostgreSQL", postgres_database)):
        with database() as url:
            cost = replay_cost(url)
        print(
            f"{name}: {cost.sessions:,} sessions ({cost.events:,} events) replayed in {cost.seconds:.2f} s "
            f"({cost.replay_seconds:.2f} s replaying, the rest reading the log); {cost.changed} change route"
        )


if __name__ == "__main__":
    main()
