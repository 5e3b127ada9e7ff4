"""Agent orchestration, end to end, on the embedded defaults (a SQLite file and the offline LLM).

Seeds the EVE Online assistant (a general guide and its specialists, with a transition of every condition type),
starts a session and feeds it a scripted conversation, printing after each event which agent is active and why
each transition fired. Run it from the repository root:

    .venv/bin/python examples/agent_orchestration_example.py [path/to/database.db]
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from rataura2.db.session import init_db
from rataura2.demo.run import describe
from rataura2.demo.script import SCRIPT, build_event
from rataura2.demo.seed import seed_demo
from rataura2.orchestration.orchestrator import SessionManager


def main(database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    sessions = init_db(f"sqlite:///{database}")  # creates or upgrades the schema
    with sessions() as db:
        conversation = seed_demo(db)
        session_manager = SessionManager(db)
        session_id = f"example:{uuid.uuid4().hex[:8]}"
        orchestrator = session_manager.create_session(session_id, conversation.id)
        print(f"{conversation.name}: session {session_id} starts with {orchestrator.get_current_agent().name}")

        for index, step in enumerate(SCRIPT, start=1):
            event = build_event(step, index, orchestrator.get_current_agent().name)
            result = orchestrator.process_event(event)
            orchestrator.check_and_execute_transition()  # safe: never fires twice for one event
            current_agent = orchestrator.get_current_agent()
            print(f"{index:>2}. {describe(event)}")
            if result.transitioned:
                print(f"    -> now {current_agent.name}, because {result.reason}")
            else:
                print(f"    (still {current_agent.name})")

        context = orchestrator.get_context()
        session_manager.end_session(session_id)
        path = [context["initial_agent_name"], *(t["to_agent_name"] for t in context["transitions"])]
        print(
            f"Ended on {context['current_agent_name']} after {context['turn_count']} user turns; "
            f"path: {' -> '.join(path)}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/example.db"))
