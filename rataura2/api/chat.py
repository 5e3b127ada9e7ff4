"""The playground's chat: a session's user turns answered by its agents' LLMs, through a real livekit-agents
``AgentSession`` in text mode, the way ``rataura2 chat`` runs one.

The first message of a session attaches an AgentSession to it (the session must be driven by this process; one
stored but driven by none is taken over); each message is a user turn sent through the session bridge, so it is
routed first and the agent it leads to answers, and the answer gives the replies and hand-overs of that turn.
Agents run on the LLM their provider names when it can be built here (its plugin installed, its key set), else on
the offline LLM, and the answer says so. A chat idle for ``IDLE_SECONDS`` is detached (the session goes on, a later
message attaches a new AgentSession with the conversation so far); at most ``MAX_CHATS`` are attached at once.

livekit-agents is imported on the first message, never at start-up: an API that nobody chats with pays nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.spec import AgentSpec
from rataura2.errors import ProviderUnavailableError, SessionEndedError
from rataura2.settings import get_settings

if TYPE_CHECKING:
    from livekit.agents import AgentSession, ConversationItemAddedEvent

    from rataura2.core.graph import CompiledGraph
    from rataura2.livekit.bridge import Handoff, SessionBridge
    from rataura2.livekit.factory import LivekitAgentFactory
    from rataura2.sessions.manager import SessionManager

logger = logging.getLogger("rataura2.api.chat")

IDLE_SECONDS = 15 * 60.0
MAX_CHATS = 32
ANSWERS_KEPT = 64
"""Answers kept per chat by message id, so that a retried message is answered again, not sent again."""
OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Reply:
    agent_id: int | None
    agent_name: str
    text: str


@dataclass(frozen=True, slots=True)
class Handover:
    from_agent_id: int
    from_agent_name: str
    to_agent_id: int
    to_agent_name: str
    reason: str


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """What one message came to: the replies, in order, and the hand-overs made on the way."""

    message_id: str
    replies: tuple[Reply, ...]
    handovers: tuple[Handover, ...]
    problems: tuple[str, ...]


def playground_factory(manager: SessionManager, fallbacks: dict[str, str]) -> LivekitAgentFactory:
    """A text-only agent factory whose agents run their own LLM when it can be built here, else the offline one;
    ``fallbacks`` collects, by agent name, why an agent runs offline."""
    from rataura2.livekit import providers
    from rataura2.livekit.factory import LivekitAgentFactory, OrchestratedAgent
    from rataura2.livekit.tools import function_tool_for

    def runnable(spec: AgentSpec) -> AgentSpec:
        if spec.llm_provider == OFFLINE:
            return spec
        try:
            providers.check(spec, ("llm",))
        except ProviderUnavailableError as exc:
            fallbacks[spec.name] = str(exc)
            return dataclasses.replace(spec, llm_provider=OFFLINE, llm_model=None)
        return spec

    class PlaygroundFactory(LivekitAgentFactory):
        def build(self, spec: AgentSpec, graph: CompiledGraph, **options: Any) -> OrchestratedAgent:
            return super().build(runnable(spec), graph, **options)

        def check(self, graph: CompiledGraph) -> None:
            for spec in graph.agents():
                for tid in graph.tools_of(spec.id):
                    function_tool_for(graph.spec.tools[tid], self.tools)
                providers.check(runnable(spec), ("llm",))

    return PlaygroundFactory(session_manager=manager, speech=False)


@dataclass(eq=False)
class Chat:
    """One AgentSession attached to one session."""

    session_id: str
    agent_session: AgentSession[Any]
    bridge: SessionBridge
    fallbacks: dict[str, str]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answers: OrderedDict[str, ChatTurn] = field(default_factory=OrderedDict)
    used: float = field(default_factory=time.monotonic)
    replies: list[Reply] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    speaker: AgentSpec | None = None

    def on_item(self, event: ConversationItemAddedEvent) -> None:
        from livekit.agents import llm

        item = event.item
        if isinstance(item, llm.AgentHandoff):
            self.speaker = self.bridge.graph.spec.agent_by_name(item.new_agent_id) or self.speaker
        elif isinstance(item, llm.ChatMessage) and item.role == "assistant" and item.text_content:
            speaker = self.speaker or self.bridge.orchestrator.get_current_agent()
            self.replies.append(Reply(speaker.id, speaker.name, item.text_content))

    def on_handoff(self, handoff: Handoff) -> None:
        self.handovers.append(
            Handover(
                handoff.from_agent.id,
                handoff.from_agent.name,
                handoff.to_agent.id,
                handoff.to_agent.name,
                handoff.reason,
            )
        )

    def on_problem(self, result: Any) -> None:
        self.problems.extend(message for _, message in result.errors if message not in self.problems)


class Chats:
    """The chats of one app, by session id."""

    def __init__(self, manager: SessionManager, notify: Callable[[str], None]) -> None:
        self.manager = manager
        self.notify = notify
        self._chats: OrderedDict[str, Chat] = OrderedDict()
        self._attaching = asyncio.Lock()
        self._tools_imported = False

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._chats

    def fallbacks(self, session_id: str) -> dict[str, str]:
        chat = self._chats.get(session_id)
        return dict(chat.fallbacks) if chat is not None else {}

    async def send(self, orchestrator: AgentOrchestrator, message_id: str, text: str) -> ChatTurn:
        """Send ``text`` as the user's turn (once per ``message_id``) and wait until it is answered."""
        from rataura2.livekit.bridge import check_turn_size

        check_turn_size(text)
        if orchestrator.ended:
            raise SessionEndedError(f"session {orchestrator.session_id!r} has ended; start another one")
        chat = await self._chat(orchestrator)
        async with chat.lock:
            done = chat.answers.get(message_id)
            if done is not None:
                return done
            chat.replies, chat.handovers, chat.problems = [], [], []
            try:
                await chat.bridge.user_input(text)
            finally:
                chat.used = time.monotonic()
                self.notify(orchestrator.session_id)
            turn = ChatTurn(message_id, tuple(chat.replies), tuple(chat.handovers), tuple(chat.problems))
            chat.answers[message_id] = turn
            while len(chat.answers) > ANSWERS_KEPT:
                chat.answers.popitem(last=False)
            return turn

    async def _chat(self, orchestrator: AgentOrchestrator) -> Chat:
        session_id = orchestrator.session_id
        async with self._attaching:
            chat = self._chats.get(session_id)
            if chat is not None and chat.bridge.orchestrator is orchestrator and not chat.bridge.closed:
                self._chats.move_to_end(session_id)
                return chat
            if chat is not None:
                await self.detach(session_id)
            await self._evict()
            chat = await self._attach(orchestrator)
            self._chats[session_id] = chat
            return chat

    async def _attach(self, orchestrator: AgentOrchestrator) -> Chat:
        from rataura2.livekit.bridge import SessionBridge
        from rataura2.livekit.chat import import_tool_modules
        from rataura2.livekit.session_handler import text_agent_session

        if not self._tools_imported:
            import_tool_modules(get_settings().tool_modules.split(","))
            self._tools_imported = True
        fallbacks: dict[str, str] = {}
        agent_session = text_agent_session()
        context = orchestrator.context
        # a session that has moved or talked already has entered its agent: its on_enter actions ran (or were
        # skipped by the API's events); a fresh one enters its initial agent now
        resumed = bool(context.get("turn_count") or context.get("transitions"))
        bridge = SessionBridge(
            orchestrator, agent_session, playground_factory(self.manager, fallbacks), self.manager, resumed=resumed
        )
        chat = Chat(orchestrator.session_id, agent_session, bridge, fallbacks)
        agent_session.on("conversation_item_added", chat.on_item)
        bridge.add_handoff_listener(chat.on_handoff)
        bridge.add_problem_listener(chat.on_problem)
        agent = bridge.initial_agent()  # every agent is checked here: fail before starting
        bridge.attach()
        try:
            await agent_session.start(agent)
        except BaseException:
            bridge.abort()
            raise
        return chat

    async def _evict(self) -> None:
        now = time.monotonic()
        for session_id, chat in list(self._chats.items()):
            if now - chat.used > IDLE_SECONDS or chat.bridge.closed:
                await self.detach(session_id)
        while len(self._chats) >= MAX_CHATS:
            await self.detach(next(iter(self._chats)))

    async def detach(self, session_id: str) -> None:
        """Stop answering a session's messages here; the session itself goes on (or stays ended)."""
        chat = self._chats.pop(session_id, None)
        if chat is None:
            return
        chat.bridge.abort()  # first: closing the AgentSession must not end the session
        try:
            await chat.agent_session.aclose()
        except Exception:
            logger.exception("chat %s: the AgentSession did not close cleanly", session_id)

    async def close(self) -> None:
        for session_id in list(self._chats):
            await self.detach(session_id)
