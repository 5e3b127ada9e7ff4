"""``rataura2 worker``: a LiveKit Agents worker (``AgentServer``) that runs orchestrated sessions.

The worker registers with the LiveKit server at ``LIVEKIT_URL`` (``LIVEKIT_API_KEY`` / ``LIVEKIT_API_SECRET``) under
an agent name (explicit dispatch). For each job it finds the conversation in the dispatch metadata, else in the
room's metadata (``{"conversation": "<name or id>"}``), else the configured default, and starts the orchestrated
session on the job's room. ``dev`` / ``start`` / ``console`` and their options are livekit-agents' own CLI.

Job processes are separate processes: the command passes its options to them through the environment
(``RATAURA2_DATABASE_URL``, ``RATAURA2_CONVERSATION``, ``RATAURA2_TOOL_MODULES``, ``RATAURA2_AGENT_NAME``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from livekit.agents import AgentServer, AgentSession, JobContext, JobProcess, JobRequest
from sqlalchemy.orm import Session, sessionmaker

from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.session import init_db
from rataura2.errors import NoConversationError, WorkerConfigError
from rataura2.livekit import providers
from rataura2.livekit.chat import import_tool_modules
from rataura2.livekit.providers import NO_PROVIDER
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.settings import get_settings

CONNECTING_COMMANDS = ("start", "dev", "connect")


def conversation_for(job_metadata: str | None, room_metadata: str | None, default: str | None) -> str:
    """The conversation a job runs: ``"conversation"`` (a name or an id) in the dispatch metadata, else in the
    room metadata, else ``default``. Metadata that is not a JSON object is ignored."""
    for raw in (job_metadata, room_metadata):
        value = _metadata(raw).get("conversation")
        if isinstance(value, str | int) and str(value):
            return str(value)
    if default:
        return default
    raise NoConversationError(
        'the job names no conversation: dispatch it with metadata {"conversation": "<name>"}, set it in the room '
        "metadata, or start the worker with --conversation"
    )


def _metadata(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


@dataclass
class Job:
    """An orchestrated session running for a job."""

    handler: LivekitSessionHandler
    agent_session: AgentSession[Any]
    orchestrator: AgentOrchestrator
    db: Session


async def run_job(ctx: JobContext, sessions: sessionmaker[Session], *, room_io: bool = True) -> Job:
    """Start the orchestrated session of a job. ``room_io=False`` keeps the room out of the session's I/O (a fake
    job's room is never connected)."""
    settings = get_settings()
    conversation = conversation_for(ctx.job.metadata, ctx.job.room.metadata, settings.conversation)
    db = sessions()
    handler = LivekitSessionHandler(db)
    graph = await asyncio.to_thread(handler.session_manager.publish_and_compile, conversation)
    voice = any(a.stt_provider != NO_PROVIDER or a.tts_provider != NO_PROVIDER for a in graph.agents())
    agent_session: AgentSession[Any] = AgentSession() if voice else text_agent_session()
    room = ctx.job.room
    session_id = f"{room.name}/{room.sid}" if room.sid else (room.name or None)
    orchestrator = await handler.start_session(
        agent_session,
        graph.conversation_id,
        session_id=session_id,
        room=ctx.room,
        room_io_enabled=room_io,
        initial_context={"livekit": {"room": room.name, "room_sid": room.sid, "job_id": ctx.job.id}},
        resume=True,  # the room's session, if a worker that died was running it
    )

    async def close() -> None:
        await handler.aclose()
        await asyncio.to_thread(db.close)

    ctx.add_shutdown_callback(close)
    return Job(handler, agent_session, orchestrator, db)


def setup(proc: JobProcess) -> None:
    """Once per job process: register plugins (LiveKit wants them imported on the main thread) and tool callables,
    and open the database."""
    providers.preload_plugins()
    import_tool_modules(get_settings().tool_modules.split(","))
    proc.userdata["sessions"] = init_db(get_settings().database_url)


async def entrypoint(ctx: JobContext) -> None:
    sessions = ctx.proc.userdata.get("sessions")
    if sessions is None:  # console mode runs the job without setup
        setup(ctx.proc)
        sessions = ctx.proc.userdata["sessions"]
    await run_job(ctx, sessions)


async def accept(request: JobRequest) -> None:
    await request.accept(name="rataura2", identity=f"rataura2-{request.id}")


def build_server(agent_name: str | None = None) -> AgentServer:
    """The worker: LiveKit credentials from ``LIVEKIT_URL`` / ``LIVEKIT_API_KEY`` / ``LIVEKIT_API_SECRET``."""
    server = AgentServer(setup_fnc=setup)
    server.rtc_session(entrypoint, agent_name=agent_name or get_settings().agent_name, on_request=accept)
    return server


def run(args: Sequence[str], *, environment: dict[str, str]) -> None:
    """Hand ``args`` (``dev``, ``start``, ``console`` and their options) to livekit-agents' CLI."""
    os.environ.update(environment)
    if args and args[0] in CONNECTING_COMMANDS and not os.environ.get("LIVEKIT_URL") and "--url" not in args:
        raise WorkerConfigError(
            f"`rataura2 worker {args[0]}` connects to a LiveKit server: set LIVEKIT_URL (and LIVEKIT_API_KEY, "
            "LIVEKIT_API_SECRET) or pass --url; see docs/livekit.md"
        )
    sys.argv = ["rataura2 worker", *args]
    providers.preload_plugins()  # registered in this process, LiveKit preloads them into its job processes
    from livekit.agents import cli

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # run_app points at `lk agent`; this is our CLI
        cli.run_app(build_server())
