"""A LiveKit text-mode session with durability "sync" in a process of its own, killed (SIGKILL, by itself) right
after the answer to its last turn: for the crash tests of held writes (``tests/test_held_writes.py``).

``python -m tests._livekit_turns URL CONVERSATION_ID SESSION_ID TURNS ACK`` plays ``TURNS`` user turns; once a turn
is answered (``AgentSession.run`` returned: the user has the reply), its text is appended to ACK. After the last
one the process kills itself at once: what was held then (the agent's state changes and reply after the last
answered turn, which nobody was told of) was never committed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from rataura2.db.session import init_db
from rataura2.livekit import bridge
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.sessions.manager import SessionManager


def turn_text(n: int) -> str:
    return f"tell me about mining lasers, turn {n}"


async def _play(url: str, conversation_id: int, session_id: str, turns: int, ack: Path) -> None:
    bridge.QUIET_SECONDS = 60.0  # nothing is committed for being quiet: the kill always finds events held
    factory = init_db(url)
    db = factory()
    manager = SessionManager(db, durability="sync", lease_seconds=1.0)  # SQLite: the lease lapses soon
    handler = LivekitSessionHandler(db, manager, speech=False)
    session = text_agent_session()
    await handler.start_session(session, conversation_id, session_id=session_id)
    with ack.open("a") as out:
        for n in range(turns):
            await session.run(user_input=turn_text(n))
            out.write(turn_text(n) + "\n")  # answered: acknowledged
            out.flush()
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    url, conversation_id, session_id, turns, ack = sys.argv[1:6]
    asyncio.run(_play(url, int(conversation_id), session_id, int(turns), Path(ack)))
