"""``rataura2 chat``: a conversation in the terminal, on a real AgentSession in text mode.

Lines come from standard input (typed, or piped: ``printf 'hi\\nI want combat\\n' | rataura2 chat ...``); each is a
user turn, answered before the next is read. The active agent is shown with each reply, and each hand-over with
the orchestrator's reason as it happens. Agents run on the models their providers name: ``offline`` needs nothing,
others need their plugin and key (a clear error says which).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from livekit.agents import ConversationItemAddedEvent, ErrorEvent, FunctionToolsExecutedEvent, llm
from rich.console import Console
from rich.markup import escape

from rataura2.db.session import init_db
from rataura2.livekit.bridge import Handoff
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.settings import Settings

DEFAULT_TOOL_MODULES = tuple(Settings.model_fields["tool_modules"].default.split(","))


def import_tool_modules(modules: Iterable[str]) -> None:
    """Import the modules that register tool callables (``rataura2.livekit.tools.register_tool``)."""
    for module in modules:
        if module:
            importlib.import_module(module)


class ChatPrinter:
    """Prints what happens in the session: replies with the agent that spoke, tool calls, hand-overs, errors."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.speaker = "agent"

    def on_item(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        if isinstance(item, llm.AgentHandoff):
            self.speaker = item.new_agent_id
        elif isinstance(item, llm.ChatMessage) and item.role == "assistant":
            self.console.print(f"[cyan]{escape(self.speaker)}>[/cyan] {escape(item.text_content or '')}")

    def on_tools(self, event: FunctionToolsExecutedEvent) -> None:
        for call, output in event.zipped():
            verb = "failed" if output.is_error else "->"
            self.console.print(
                f"  [dim]tool {escape(call.name)}({escape(call.arguments)}) {verb} {escape(output.output)}"
            )

    def on_handoff(self, handoff: Handoff) -> None:
        self.console.print(
            f"[green]-- {escape(handoff.from_agent.name)} -> {escape(handoff.to_agent.name)}:[/green] "
            f"{escape(handoff.reason)}"
        )

    def on_error(self, event: ErrorEvent) -> None:
        error = getattr(event.error, "error", event.error)
        self.console.print(f"[red]error:[/red] {escape(str(error))}")


async def chat(
    database_url: str,
    conversation: str,
    *,
    console: Console,
    lines: Iterable[str] | None = None,
    tool_modules: Iterable[str] = DEFAULT_TOOL_MODULES,
) -> dict[str, Any]:
    """Run one chat session; returns its final context. ``lines`` defaults to standard input."""
    import_tool_modules(tool_modules)
    sessions = await asyncio.to_thread(init_db, database_url)
    db = sessions()
    try:
        handler = LivekitSessionHandler(db)
        agent_session = text_agent_session()
        printer = ChatPrinter(console)
        agent_session.on("conversation_item_added", printer.on_item)
        agent_session.on("function_tools_executed", printer.on_tools)
        agent_session.on("error", printer.on_error)
        orchestrator = await handler.start_session(
            agent_session, conversation, session_id=f"chat-{uuid.uuid4().hex[:8]}"
        )
        bridge = handler.bridge(orchestrator.session_id)
        try:
            bridge.add_handoff_listener(printer.on_handoff)
            context = orchestrator.context
            console.print(
                f"[bold]{escape(str(context.get('conversation_name')))}[/bold], session {orchestrator.session_id}: "
                f"[cyan]{escape(orchestrator.get_current_agent().name)}[/cyan] is listening. End with Ctrl-D."
            )
            await bridge.settle()
            async for text in _read(lines, console):
                await bridge.user_input(text)
        finally:
            await agent_session.aclose()
            await bridge.wait_ended()
            await handler.aclose()
        final = orchestrator.get_context()
        console.print(
            f"Session ended on [cyan]{escape(str(final['current_agent_name']))}[/cyan] after "
            f"{_count(final['turn_count'], 'turn')} and {_count(len(final['transitions']), 'hand-over')}."
        )
        return final
    finally:
        await asyncio.to_thread(db.close)
        sessions.dispose()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


async def _read(lines: Iterable[str] | None, console: Console) -> Any:
    """User turns: the given lines, or standard input read off the event loop (echoed when it is not a terminal,
    so that a piped transcript reads like a conversation)."""
    if lines is not None:
        for line in lines:
            if line.strip():
                console.print(f"[bold]you>[/bold] {escape(line.strip())}")
                yield line.strip()
        return
    interactive = sys.stdin.isatty()
    stdin = _stdin_lines()
    while True:
        if interactive:
            console.print("[bold]you>[/bold] ", end="")
        line = await stdin.get()
        if not line:
            return
        text = line.strip()
        if not text:
            continue
        if not interactive:
            console.print(f"[bold]you>[/bold] {escape(text)}")
        yield text


def _stdin_lines() -> asyncio.Queue[str]:
    """Standard input, line by line ("" at its end), read by a daemon thread: a blocked read never holds the event
    loop, nor the process after Ctrl-C."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in iter(sys.stdin.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=read, name="rataura2-chat-stdin", daemon=True).start()
    return lines


def run_chat(
    database_url: str, conversation: str, *, console: Console | None = None, tool_modules: Iterable[str] | None = None
) -> None:
    """The ``rataura2 chat`` command (long lines are not wrapped, so that a piped transcript keeps one line per
    turn)."""
    console = console or Console(soft_wrap=True, highlight=False)
    modules = tuple(tool_modules) if tool_modules else DEFAULT_TOOL_MODULES
    asyncio.run(chat(database_url, conversation, console=console, tool_modules=modules))
