"""``rataura2 chat`` (piped, on the demo database) and ``rataura2 worker`` (its entrypoint on a fake job, its CLI)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from livekit.agents import AgentServer
from livekit.agents.testing import fake_job_context
from rich.console import Console

from rataura2.cli.main import main
from rataura2.db.session import init_db
from rataura2.demo.seed import DEMO_CONVERSATION, seed_demo
from rataura2.errors import WorkerConfigError
from rataura2.livekit import worker
from rataura2.livekit.chat import chat, import_tool_modules
from tests.livekit_support import TIMEOUT, seed

RATAURA2 = [sys.executable, "-m", "rataura2.cli"]


@pytest.fixture
def demo_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    sessions = init_db(url)
    with sessions() as db:
        seed_demo(db)
    sessions.dispose()
    return url


def test_chat_reads_piped_lines_and_shows_replies_and_hand_overs(demo_url: str) -> None:
    done = subprocess.run(
        [*RATAURA2, "chat", "--conversation", DEMO_CONVERSATION, "--database-url", demo_url],
        input="hi\nI want combat\nwhich ship for pvp?\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{DEMO_CONVERSATION}, session chat-") and "General is listening" in lines[0]
    assert lines[1:] == [
        "you> hi",
        'General> [General] You said: "hi".',
        "you> I want combat",
        "-- General -> Combat: user said 'I want combat', which contains 'combat'",
        'Combat> [Combat] You said: "I want combat".',
        "you> which ship for pvp?",
        'Combat> [Combat] You said: "which ship for pvp?".',
        "Session ended on Combat after 3 turns and 1 hand-over.",
    ]


def test_chat_with_an_unknown_conversation_is_one_clear_error(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["rataura2", "chat", "--conversation", "Nope", "--database-url", demo_url])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "error: no conversation 'Nope'" in err and "Traceback" not in err


async def test_chat_runs_tools_and_shows_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    sessions = init_db(url)
    with sessions() as db:
        seed(db)
    sessions.dispose()
    console = Console(record=True, width=200)
    async with asyncio.timeout(TIMEOUT):
        final = await chat(
            url, "livekit test", console=console, lines=["combat", "fit me"], tool_modules=["tests.livekit_support"]
        )
    text = console.export_text()
    assert 'tool fit_ship({"ship": "Rifter"}) -> {"ship": "Rifter", "cost_isk": 3200000}' in text
    assert "-- Combat -> Market: tool 'fit_ship' returned result.cost_isk=3200000 gte 1000000" in text
    assert final["current_agent_name"] == "Market" and final["session"]["status"] == "ended"


def test_the_job_conversation_comes_from_dispatch_then_room_metadata_then_the_default() -> None:
    assert worker.conversation_for('{"conversation": "A"}', '{"conversation": "B"}', "C") == "A"
    assert worker.conversation_for("", '{"conversation": "B"}', "C") == "B"
    assert worker.conversation_for("not json", '{"conversation": 7}', None) == "7"
    assert worker.conversation_for(None, None, "C") == "C"
    with pytest.raises(worker.NoConversationError, match=re.escape('metadata {"conversation": "<name>"}')):
        worker.conversation_for("{}", "", None)


async def test_the_worker_entrypoint_starts_the_conversation_of_a_dispatched_job(demo_url: str) -> None:
    import_tool_modules(["rataura2.demo.tools"])  # what the worker's per-process setup does before any job
    sessions = init_db(demo_url)
    with fake_job_context(job_metadata=f'{{"conversation": "{DEMO_CONVERSATION}"}}', job_id="job-1") as ctx:
        async with asyncio.timeout(TIMEOUT):
            job = await worker.run_job(ctx, sessions, room_io=False)
            result = await job.agent_session.run(user_input="I want combat")
            await job.agent_session.aclose()
            await job.handler.bridge(job.orchestrator.session_id).wait_ended()
            await job.handler.aclose()
    sessions.dispose()
    reply = result.expect[-1].is_message(role="assistant").event().item
    assert reply.text_content == '[Combat] You said: "I want combat".'
    context = job.orchestrator.get_context()
    assert job.orchestrator.session_id == f"fake-room/{ctx.job.room.sid}"
    assert context["livekit"] == {"room": "fake-room", "room_sid": ctx.job.room.sid, "job_id": "job-1"}
    assert context["session"]["status"] == "ended"


def test_worker_start_without_a_livekit_server_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEKIT_URL", raising=False)
    with pytest.raises(WorkerConfigError, match="set LIVEKIT_URL"):
        worker.run(["start"], environment={})


def test_worker_hands_its_commands_to_the_livekit_cli() -> None:
    done = subprocess.run(
        [*RATAURA2, "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stderr
    for word in ("--conversation", "--agent-name", "console", "start", "dev"):
        assert word in done.stdout
    assert isinstance(worker.build_server("orchestrator"), AgentServer)
