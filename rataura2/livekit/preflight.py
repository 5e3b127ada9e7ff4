"""What a worker checks before it registers with a LiveKit server, so that a mistake is one clear error at start-up
rather than a failure logged for every job: the server URL, the sound devices of ``console``, the database, the
tool modules, and the default conversation with every agent it could hand over to.

Importing this module does not import livekit-agents (slow to import): the cheap checks come first.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from rataura2.errors import WorkerConfigError

CONNECTING_COMMANDS = ("start", "dev", "connect")
JOB_COMMANDS = (*CONNECTING_COMMANDS, "console")
"""The worker commands that run jobs (the others print help or download files)."""


def livekit_url(args: Sequence[str]) -> None:
    """A worker that connects needs a LiveKit server URL (``--url`` or ``LIVEKIT_URL``): a ws(s) or http(s) URL
    with a host."""
    given = args[list(args).index("--url") + 1] if "--url" in args[:-1] else os.environ.get("LIVEKIT_URL")
    if not given:
        raise WorkerConfigError(
            f"`rataura2 worker {args[0]}` connects to a LiveKit server: set LIVEKIT_URL (and LIVEKIT_API_KEY, "
            "LIVEKIT_API_SECRET) or pass --url; see docs/livekit.md"
        )
    parts = urlsplit(given)
    if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
        raise WorkerConfigError(
            f"LiveKit URL {given!r} is not a ws://, wss://, http:// or https:// URL with a host, like "
            "wss://your-project.livekit.cloud or ws://localhost:7880; fix LIVEKIT_URL or --url"
        )


def portaudio() -> None:
    """``worker console`` plays and records audio through PortAudio (LiveKit's console opens the sound devices even
    with ``--text``)."""
    try:
        import sounddevice  # type: ignore[import-untyped]  # noqa: F401
    except (OSError, ImportError) as exc:
        raise WorkerConfigError(
            f"`rataura2 worker console` needs the PortAudio library, which is not usable here ({exc}): install it "
            "(apt-get install libportaudio2, brew install portaudio), or talk to a conversation in text with "
            "`rataura2 chat -c NAME`"
        ) from None


def ready(database_url: str, conversation: str | None, tool_modules: Iterable[str]) -> None:
    """The database opens; the tool modules import; the default conversation (if any) exists, compiles (or has a
    good published version), and every agent of it can be built here (plugins, keys, tool callables)."""
    from rataura2.db.session import init_db
    from rataura2.livekit.chat import import_tool_modules
    from rataura2.livekit.factory import LivekitAgentFactory
    from rataura2.sessions.manager import SessionManager

    with init_db(database_url) as database, database() as db:
        import_tool_modules(tool_modules)
        if conversation:
            manager = SessionManager(db, durability="off")
            LivekitAgentFactory(db).check(manager.publish_and_compile(conversation))


def check(args: Sequence[str], database_url: str, conversation: str | None, tool_modules: Iterable[str]) -> None:
    """Everything above that ``args`` (the livekit-agents command line) calls for, cheapest first."""
    if not args or args[0] not in JOB_COMMANDS:
        return
    if args[0] in CONNECTING_COMMANDS:
        livekit_url(args)
    else:
        portaudio()
    ready(database_url, conversation, tool_modules)


__all__ = ["CONNECTING_COMMANDS", "JOB_COMMANDS", "check", "livekit_url", "portaudio", "ready"]
