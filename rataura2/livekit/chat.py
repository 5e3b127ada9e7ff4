"""``rataura2 chat``: a conversation in the terminal, on a real AgentSession in text mode.

Lines come from standard input (typed, or piped: ``printf 'hi\\nI want combat\\n' | rataura2 chat ...``); each is a
user turn, answered before the next is read. Typed lines have readline's editing (arrow keys, Ctrl-A/E, Ctrl-R) and
a history kept across runs (``RATAURA2_CHAT_HISTORY_FILE``). The active agent is shown with each reply, and each
hand-over with the orchestrator's reason as it happens; so is a hand-over refused because the session already moved
``max_transitions_per_turn`` times since the user's last turn. Agents run on the LLMs their providers name:
``offline`` needs nothing, others need their plugin and key (a clear error says which); their speech-to-text and
text-to-speech are not used here, so they need nothing. A line too long to be an event is refused whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from livekit.agents import ConversationItemAddedEvent, ErrorEvent, FunctionToolsExecutedEvent, llm
from rich.console import Console
from rich.markup import escape

from rataura2.core.orchestrator import was_refused
from rataura2.core.result import TransitionResult
from rataura2.db.session import init_db
from rataura2.errors import MessageTooLongError, ToolConfigError
from rataura2.livekit.bridge import Handoff
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.livekit.tools import ToolRegistry
from rataura2.settings import Settings, get_settings

DEFAULT_TOOL_MODULES = tuple(Settings.model_fields["tool_modules"].default.split(","))
PROMPT = "you> "
ECHO_CHARS = 300
"""A piped line longer than this is echoed shortened."""


def import_tool_modules(modules: Iterable[str]) -> None:
    """Import the modules that register tool callables (``rataura2.livekit.tools.register_tool``); one that cannot
    be imported is a :class:`ToolConfigError` naming it."""
    for module in modules:
        if not module:
            continue
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ToolConfigError(
                f"tool module {module!r} cannot be imported ({exc}); give the dotted path of an importable module "
                "that registers tool callables (e.g. rataura2.demo.tools), with its folder on PYTHONPATH"
            ) from None


class ChatPrinter:
    """Prints what happens in the session: replies with the agent that spoke, tool calls, hand-overs, errors.
    ``scrub`` hides what the session knows to be sensitive in tool calls and results."""

    def __init__(self, console: Console, scrub: Callable[[str], str] | None = None) -> None:
        self.console = console
        self.speaker = "agent"
        self.scrub = scrub or (lambda text: text)
        self._told: set[str] = set()
        """Problems shown since the user's last turn: the same one, met again on the next events, is shown once."""

    def new_turn(self) -> None:
        self._told.clear()

    def on_item(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        if isinstance(item, llm.AgentHandoff):
            self.speaker = item.new_agent_id
        elif isinstance(item, llm.ChatMessage) and item.role == "assistant":
            self.console.print(f"[cyan]{escape(self.speaker)}>[/cyan] {escape(item.text_content or '')}")

    def on_tools(self, event: FunctionToolsExecutedEvent) -> None:
        for call, output in event.zipped():
            verb = "failed" if output.is_error else "->"
            arguments, result = self.scrub(call.arguments), self.scrub(output.output)
            self.console.print(f"  [dim]tool {escape(call.name)}({escape(arguments)}) {verb} {escape(result)}")

    def on_handoff(self, handoff: Handoff) -> None:
        self.console.print(
            f"[green]-- {escape(handoff.from_agent.name)} -> {escape(handoff.to_agent.name)}:[/green] "
            f"{escape(handoff.reason)}"
        )

    def on_problem(self, result: TransitionResult) -> None:
        """Why the session did not move: a hand-over refused by the turn guard, or a condition that failed."""
        for transition_id, message in result.errors:
            if message in self._told:
                continue
            self._told.add(message)
            if was_refused(result):
                self.console.print(f"[yellow]-- no hand-over:[/yellow] {escape(message)}")
            else:
                self.console.print(f"[yellow]-- transition {transition_id} failed:[/yellow] {escape(message)}")

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
    tools: ToolRegistry | None = None,
) -> dict[str, Any]:
    """Run one chat session; returns its final context. ``lines`` defaults to standard input; ``tools`` to the
    default registry, where the ``tool_modules`` register. The chat ends when the input does, or when the
    conversation ends itself (an ``end_conversation`` action)."""
    import_tool_modules(tool_modules)
    sessions = await asyncio.to_thread(init_db, database_url)
    db = sessions()
    try:
        handler = LivekitSessionHandler(db, tools=tools, speech=False)
        agent_session = text_agent_session()
        printer = ChatPrinter(console)
        agent_session.on("conversation_item_added", printer.on_item)
        agent_session.on("function_tools_executed", printer.on_tools)
        agent_session.on("error", printer.on_error)
        orchestrator = await handler.start_session(
            agent_session, conversation, session_id=f"chat-{uuid.uuid4().hex[:8]}"
        )
        printer.scrub = orchestrator.secrets.scrub
        bridge = handler.bridge(orchestrator.session_id)
        try:
            bridge.add_handoff_listener(printer.on_handoff)
            bridge.add_problem_listener(printer.on_problem)
            context = orchestrator.context
            unpublished = handler.session_manager.publish_errors.get(orchestrator.graph.conversation_id)
            if unpublished:
                console.print(
                    f"[yellow]warning:[/yellow] the conversation's latest edit is not in use: {escape(unpublished)}; "
                    f"this session runs on version {orchestrator.graph.version}, the last good one"
                )
            console.print(
                f"[bold]{escape(str(context.get('conversation_name')))}[/bold], session {orchestrator.session_id}: "
                f"[cyan]{escape(orchestrator.get_current_agent().name)}[/cyan] is listening. End with Ctrl-D."
            )
            await bridge.settle()
            async for text in _read(lines, console):
                if bridge.closed:
                    break
                printer.new_turn()
                try:
                    await bridge.user_input(text)
                except MessageTooLongError as exc:
                    console.print(f"[red]error:[/red] {escape(str(exc))}")
                if bridge.closed:
                    break
        finally:
            await agent_session.aclose()
            await bridge.wait_ended()
            await handler.aclose()
        final = orchestrator.get_context()
        reason = final["session"].get("end_reason")
        console.print(
            f"Session ended on [cyan]{escape(str(final['current_agent_name']))}[/cyan] after "
            f"{_count(final['turn_count'], 'turn')} and {_count(len(final['transitions']), 'hand-over')}"
            + (f" ({escape(str(reason))})." if reason and not str(reason).startswith("close:") else ".")
        )
        return final
    finally:
        await asyncio.to_thread(db.close)
        sessions.dispose()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


async def _read(lines: Iterable[str] | None, console: Console) -> AsyncIterator[str]:
    """User turns: the given lines, or standard input read off the event loop: typed at a terminal with line
    editing and history, or piped (then echoed, so that a piped transcript reads like a conversation)."""
    if lines is not None:
        for line in lines:
            if line.strip():
                console.print(f"[bold]{PROMPT}[/bold]{escape(_shortened(line.strip()))}")
                yield line.strip()
        return
    if sys.stdin.isatty():
        terminal = _Terminal(asyncio.get_running_loop())
        while (typed := await terminal.read(PROMPT)) is not None:
            if typed.strip():
                yield typed.strip()
        return
    stdin = _stdin_lines()
    while line := await stdin.get():
        text = line.strip()
        if text:
            console.print(f"[bold]{PROMPT}[/bold]{escape(_shortened(text))}")
            yield text


def _shortened(text: str) -> str:
    if len(text) <= ECHO_CHARS:
        return text
    return f"{text[: ECHO_CHARS // 2]}... ({len(text):,} characters)"


def history_file() -> Path:
    """Where typed lines are kept between runs (``RATAURA2_CHAT_HISTORY_FILE``, ``~/.rataura2_history`` by
    default)."""
    return Path(get_settings().chat_history_file).expanduser()


class _Terminal:
    """Lines typed at a terminal through GNU readline (arrow keys, Ctrl-A/E, Ctrl-R, history), each read in a
    daemon thread only when the chat asks for it, so that the prompt comes after the agent's reply and a blocked
    read never holds the event loop, nor the process after Ctrl-C."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.history = history_file()
        self.readline: Any = None
        try:
            import readline
        except ImportError:  # a Python built without it: plain input()
            pass
        else:
            self.readline = readline
            readline.set_history_length(1000)
            with contextlib.suppress(OSError):  # no history yet, or it cannot be read: start without
                readline.read_history_file(self.history)
        self._requests: list[tuple[str, asyncio.Future[str | None]]] = []
        self._wake = threading.Condition()
        threading.Thread(target=self._serve, name="rataura2-chat-terminal", daemon=True).start()

    async def read(self, prompt: str) -> str | None:
        """The next line, None at the end of input (Ctrl-D)."""
        answer: asyncio.Future[str | None] = self.loop.create_future()
        with self._wake:
            self._requests.append((prompt, answer))
            self._wake.notify()
        return await answer

    def _serve(self) -> None:
        while True:
            with self._wake:
                while not self._requests:
                    self._wake.wait()
                prompt, answer = self._requests.pop(0)
            try:
                line: str | None = input(prompt)
            except EOFError:
                line = None
                print()
            if line and self.readline is not None:
                with contextlib.suppress(OSError):  # a history that cannot be written does not stop the chat
                    self.readline.write_history_file(self.history)
            self.loop.call_soon_threadsafe(_settle, answer, line)


def _settle(answer: asyncio.Future[str | None], line: str | None) -> None:
    if not answer.done():
        answer.set_result(line)


def _stdin_lines() -> asyncio.Queue[str]:
    """Piped standard input, line by line ("" at its end), read by a daemon thread: a blocked read never holds the
    event loop, nor the process after Ctrl-C."""
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
    logging.getLogger("rataura2").setLevel(logging.ERROR)  # what the log would warn of, the chat shows itself
    modules = tuple(tool_modules) if tool_modules else DEFAULT_TOOL_MODULES
    asyncio.run(chat(database_url, conversation, console=console, tool_modules=modules))
