"""Agents of the graph as ``livekit.agents.Agent`` objects.

:class:`LivekitAgentFactory` builds an :class:`OrchestratedAgent` from an agent of a compiled graph: its
instructions, the LLM / STT / TTS its providers name (``providers``), its Tool rows as function tools bound to
registered callables (``tools``), and a decision tool whose targets are the agents its agent_decision edges lead to.
Building reads no database: ``create_agent`` loads the conversation's graph once, the session bridge builds from
the graph it already holds.

Instructions are the conversation's role instructions followed by the agent's own, both templates rendered against
the session's context when the agent is built (that is, when the session enters it). The agent's tools are its own
and the conversation's. The decision tool describes each target with the description of the edge that leads there.

Agent options, in the agent's ``config``: ``fresh_history`` (the older spelling of context strategy ``reset``),
``reply_on_enter`` (false: say nothing when taking over), ``greeting`` (instructions for a first reply when the
session starts on this agent), ``offline`` (the offline LLM's rules) and ``llm_options`` / ``stt_options`` /
``tts_options`` (plugin arguments).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from livekit.agents import Agent, FlushSentinel, ModelSettings, TurnHandlingOptions, llm

from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import AgentSpec
from rataura2.db.loader import load_graph
from rataura2.errors import UnknownAgentError
from rataura2.livekit import providers
from rataura2.livekit.tools import ToolRegistry, decision_tool, default_registry, function_tool_for

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from rataura2.sessions.manager import SessionManager

AGENT_DECISION = "agent_decision"


class AgentHooks(Protocol):
    """What an orchestrated agent asks of the session bridge that runs it."""

    async def before_reply(self, agent: OrchestratedAgent, chat_ctx: llm.ChatContext) -> Awaitable[bool] | None:
        """Route what is new in ``chat_ctx`` (a user turn): None when ``agent`` no longer answers, else what its
        answer waits for before any of it is let out (True: answer; False: stay silent)."""
        ...

    async def decide(self, agent: OrchestratedAgent, target: str, reason: str) -> str:
        """The LLM of ``agent`` chose to hand over to ``target``: the tool output, or a ``ToolError``."""
        ...

    async def entered(self, agent: OrchestratedAgent) -> None:
        """``agent`` has become the session's active agent."""
        ...

    async def exiting(self, agent: OrchestratedAgent) -> None:
        """LiveKit is taking ``agent`` off the session (another agent takes over, or the session closes)."""
        ...


class OrchestratedAgent(Agent):
    """A graph agent as LiveKit runs it. Before each reply it asks the bridge whether it still has the floor: the
    user turn that starts the reply is routed first, so when it moves the session the old agent stays silent and
    the next one answers, with the turn in its history.

    The gate is the LLM node, not ``on_user_turn_completed``: LiveKit calls that hook only for spoken turns (typed
    text goes straight to ``generate_reply``), and stopping a turn there keeps it out of the history, while every
    reply, spoken or typed, passes through the LLM node with its user message. An empty node is an empty reply:
    LiveKit adds no message for it. Preemptive generation is off for these agents: a reply started before the turn
    is final would come from the agent the turn may route away from.
    """

    def __init__(
        self,
        spec: AgentSpec,
        *,
        tools: list[llm.Tool],
        decision_targets: tuple[str, ...],
        chat_ctx: llm.ChatContext | None = None,
        hooks: AgentHooks | None = None,
        speech: bool = True,
        instructions: str | None = None,
        target_descriptions: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.hooks = hooks
        self.decision_targets = decision_targets
        self.entered = asyncio.Event()
        """Set when LiveKit has made this agent active (its ``on_enter`` ran)."""
        self.summary_source: llm.ChatContext | None = None
        """For context strategy reset_with_summary by LLM: the history to summarise when the agent enters."""
        all_tools: list[llm.Tool] = list(tools)
        if decision_targets:
            all_tools.append(decision_tool(decision_targets, self._decide, target_descriptions))
        super().__init__(
            id=spec.name,
            instructions=instructions if instructions is not None else spec.instructions or f"You are {spec.name}.",
            chat_ctx=chat_ctx,
            tools=list(all_tools),
            llm=providers.build_llm(spec),
            stt=providers.build_stt(spec) if speech else None,
            tts=providers.build_tts(spec) if speech else None,
            turn_handling=TurnHandlingOptions(preemptive_generation={"enabled": False}),
        )

    async def on_enter(self) -> None:
        try:
            if self.hooks is not None:
                await self.hooks.entered(self)  # schedules this agent's first reply, if any...
        finally:
            self.entered.set()  # ...before anyone waiting for the hand-over sends the next turn

    async def on_exit(self) -> None:
        if self.hooks is not None:
            await self.hooks.exiting(self)

    def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterator[llm.ChatChunk | str | FlushSentinel]:
        return self._gated_llm(chat_ctx, tools, model_settings)

    async def _gated_llm(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterator[llm.ChatChunk | str | FlushSentinel]:
        """The default LLM node, unless the session has moved to another agent: then nothing (no reply).

        The LLM is asked at once, while the turn is being stored (durability ``"sync"``), and its first chunk is
        held until the turn is: an answer is never let out before its turn is stored, and storing it adds nothing
        to the turn's latency unless it takes longer than the LLM's first token."""
        gate: Awaitable[bool] | None = None
        if self.hooks is not None:
            gate = await self.hooks.before_reply(self, chat_ctx)
            if gate is None:
                return
        async with contextlib.aclosing(Agent.default.llm_node(self, chat_ctx, tools, model_settings)) as chunks:
            async for chunk in chunks:
                if gate is not None:
                    answers, gate = await gate, None
                    if not answers:
                        return  # closing the stream cancels the request
                yield chunk
        if gate is not None:  # no chunk at all: the (empty) answer still waits for its turn
            await gate

    async def _decide(self, target: str, reason: str) -> str:
        if self.hooks is None:
            from livekit.agents import ToolError

            raise ToolError("this agent runs outside an orchestrated session; it cannot hand over")
        return await self.hooks.decide(self, target, reason)


class LivekitAgentFactory:
    """Builds the LiveKit agent of a graph agent. ``tools`` maps function names to callables (default: the
    default registry); ``session_manager`` lends its compiled-graph cache to ``create_agent``. ``speech=False``
    builds agents for text only: their STT and TTS are neither built nor checked, so they need no plugin or key
    (the terminal chat)."""

    def __init__(
        self,
        db: Session | None = None,
        *,
        tools: ToolRegistry | None = None,
        session_manager: SessionManager | None = None,
        speech: bool = True,
    ) -> None:
        self.db = db
        self.tools = tools or default_registry
        self.session_manager = session_manager
        self.speech = speech

    def create_agent(
        self,
        agent_id: int,
        *,
        conversation: int | str | None = None,
        chat_ctx: llm.ChatContext | None = None,
        hooks: AgentHooks | None = None,
    ) -> OrchestratedAgent:
        """The LiveKit agent of Agent row ``agent_id``, in ``conversation`` (default: the first conversation the
        agent belongs to), whose graph decides the decision tool's targets; its instructions are rendered against
        an empty context. Reads the database (once per conversation version when a session manager is given); from
        async code use :meth:`acreate_agent`."""
        graph = self.load_graph(agent_id, conversation)
        return self.build(graph.get_agent(agent_id), graph, chat_ctx=chat_ctx, hooks=hooks)

    async def acreate_agent(
        self,
        agent_id: int,
        *,
        conversation: int | str | None = None,
        chat_ctx: llm.ChatContext | None = None,
        hooks: AgentHooks | None = None,
    ) -> OrchestratedAgent:
        """``create_agent`` with the database work in a thread (plugins are built on the loop's thread, where
        LiveKit requires them to be imported)."""
        graph = await asyncio.to_thread(self.load_graph, agent_id, conversation)
        return self.build(graph.get_agent(agent_id), graph, chat_ctx=chat_ctx, hooks=hooks)

    def load_graph(self, agent_id: int, conversation: int | str | None = None) -> CompiledGraph:
        if self.db is None:
            raise ValueError("LivekitAgentFactory needs a database session to load agents by id")
        if conversation is None:
            conversation = self._conversation_of(agent_id)
        if self.session_manager is not None:
            return self.session_manager.publish_and_compile(conversation)
        return load_graph(self.db, conversation)

    def build(
        self,
        spec: AgentSpec,
        graph: CompiledGraph,
        *,
        chat_ctx: llm.ChatContext | None = None,
        hooks: AgentHooks | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> OrchestratedAgent:
        """The LiveKit agent of ``spec`` (an agent of ``graph``), without touching the database; its instructions
        are rendered against ``values`` (the session's context)."""
        tools: list[llm.Tool] = [
            function_tool_for(graph.spec.tools[tid], self.tools) for tid in graph.tools_of(spec.id)
        ]
        return OrchestratedAgent(
            spec,
            tools=tools,
            decision_targets=decision_targets(graph, spec.id),
            chat_ctx=chat_ctx,
            hooks=hooks,
            speech=self.speech,
            instructions=graph.instructions(spec.id, values or {}),
            target_descriptions=target_descriptions(graph, spec.id),
        )

    def check(self, graph: CompiledGraph) -> None:
        """Fail now, not at a hand-over, if any agent of ``graph`` cannot be built here (a plugin not installed, a
        key missing, a tool without a callable, a bad offline rule set)."""
        for spec in graph.agents():
            for tid in graph.tools_of(spec.id):
                function_tool_for(graph.spec.tools[tid], self.tools)
            providers.check(spec, providers.KINDS if self.speech else ("llm",))

    def _conversation_of(self, agent_id: int) -> int:
        from sqlalchemy import select

        from rataura2.db.models import Agent as AgentRow
        from rataura2.db.models import Conversation

        assert self.db is not None
        row = self.db.get(AgentRow, agent_id)
        if row is None:
            raise UnknownAgentError(f"no agent {agent_id}")
        conversation = self.db.scalars(
            select(Conversation.id)
            .where((Conversation.initial_agent_id == agent_id) | Conversation.agents.contains(row))
            .order_by(Conversation.id)
        ).first()
        if conversation is None:
            raise UnknownAgentError(f"agent {agent_id} ({row.name}) belongs to no conversation")
        return conversation


def _decision_edges(graph: CompiledGraph, agent_id: int) -> list[tuple[str, str | None]]:
    """(target name, edge description) of ``agent_id``'s agent_decision edges that the decision tool can take (those
    keyed ``transition_to``, the key it sends), in evaluation order."""
    edges = []
    for transition in graph.get_agent_transitions(agent_id):
        data = transition.spec.condition_data
        if (
            transition.spec.condition_type == AGENT_DECISION
            and data.get("decision_key", "transition_to") == "transition_to"
        ):
            edges.append((graph.get_agent(transition.target_agent_id).name, transition.spec.description))
    return edges


def decision_targets(graph: CompiledGraph, agent_id: int) -> tuple[str, ...]:
    """The names of the agents that ``agent_id``'s agent_decision edges lead to, in evaluation order."""
    return tuple(dict.fromkeys(name for name, _ in _decision_edges(graph, agent_id)))


def target_descriptions(graph: CompiledGraph, agent_id: int) -> dict[str, str]:
    """When to hand over to each target: the descriptions of the edges that lead there (or, if none has one, the
    target agent's description)."""
    found: dict[str, list[str]] = {}
    for name, description in _decision_edges(graph, agent_id):
        texts = found.setdefault(name, [])
        if description and description.strip() and description.strip() not in texts:
            texts.append(description.strip())
    out = {}
    for name, texts in found.items():
        fallback = graph.get_agent(name).description
        text = "; ".join(texts) or (fallback or "").strip()
        if text:
            out[name] = " ".join(text.split())
    return out
