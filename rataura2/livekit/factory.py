"""Agents of the graph as ``livekit.agents.Agent`` objects.

:class:`LivekitAgentFactory` builds an :class:`OrchestratedAgent` from an agent of a compiled graph: its
instructions, the LLM / STT / TTS its providers name (``providers``), its Tool rows as function tools bound to
registered callables (``tools``), and a decision tool whose targets are the agents its agent_decision edges lead to.
Building reads no database: ``create_agent`` loads the conversation's graph once, the session bridge builds from
the graph it already holds.

Agent options, in the agent's ``config``: ``fresh_history`` (true: the agent starts with an empty chat history
instead of the conversation so far), ``reply_on_enter`` (false: say nothing when taking over), ``greeting``
(instructions for a first reply when the session starts on this agent), ``offline`` (the offline LLM's rules) and
``llm_options`` / ``stt_options`` / ``tts_options`` (plugin arguments).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

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

    async def before_reply(self, agent: OrchestratedAgent, chat_ctx: llm.ChatContext) -> bool:
        """Route what is new in ``chat_ctx`` (a user turn) and say whether ``agent`` still answers."""
        ...

    async def decide(self, agent: OrchestratedAgent, target: str, reason: str) -> str:
        """The LLM of ``agent`` chose to hand over to ``target``: the tool output, or a ``ToolError``."""
        ...

    async def entered(self, agent: OrchestratedAgent) -> None:
        """``agent`` has become the session's active agent."""
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
    ) -> None:
        self.spec = spec
        self.hooks = hooks
        self.decision_targets = decision_targets
        self.entered = asyncio.Event()
        """Set when LiveKit has made this agent active (its ``on_enter`` ran)."""
        all_tools: list[llm.Tool] = list(tools)
        if decision_targets:
            all_tools.append(decision_tool(decision_targets, self._decide))
        super().__init__(
            id=spec.name,
            instructions=spec.instructions or f"You are {spec.name}.",
            chat_ctx=chat_ctx,
            tools=list(all_tools),
            llm=providers.build_llm(spec),
            stt=providers.build_stt(spec),
            tts=providers.build_tts(spec),
            turn_handling=TurnHandlingOptions(preemptive_generation={"enabled": False}),
        )

    async def on_enter(self) -> None:
        try:
            if self.hooks is not None:
                await self.hooks.entered(self)  # schedules this agent's first reply, if any...
        finally:
            self.entered.set()  # ...before anyone waiting for the hand-over sends the next turn

    def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterator[llm.ChatChunk | str | FlushSentinel]:
        return self._gated_llm(chat_ctx, tools, model_settings)

    async def _gated_llm(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterator[llm.ChatChunk | str | FlushSentinel]:
        """The default LLM node, unless the session has moved to another agent: then nothing (no reply)."""
        if self.hooks is not None and not await self.hooks.before_reply(self, chat_ctx):
            return
        async for chunk in Agent.default.llm_node(self, chat_ctx, tools, model_settings):
            yield chunk

    async def _decide(self, target: str, reason: str) -> str:
        if self.hooks is None:
            from livekit.agents import ToolError

            raise ToolError("this agent runs outside an orchestrated session; it cannot hand over")
        return await self.hooks.decide(self, target, reason)


class LivekitAgentFactory:
    """Builds the LiveKit agent of a graph agent. ``tools`` maps function names to callables (default: the
    default registry); ``session_manager`` lends its compiled-graph cache to ``create_agent``."""

    def __init__(
        self,
        db: Session | None = None,
        *,
        tools: ToolRegistry | None = None,
        session_manager: SessionManager | None = None,
    ) -> None:
        self.db = db
        self.tools = tools or default_registry
        self.session_manager = session_manager

    def create_agent(
        self,
        agent_id: int,
        *,
        conversation: int | str | None = None,
        chat_ctx: llm.ChatContext | None = None,
        hooks: AgentHooks | None = None,
    ) -> OrchestratedAgent:
        """The LiveKit agent of Agent row ``agent_id``, in ``conversation`` (default: the first conversation the
        agent belongs to), whose graph decides the decision tool's targets. Reads the database (once per
        conversation version when a session manager is given); from async code use :meth:`acreate_agent`."""
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
    ) -> OrchestratedAgent:
        """The LiveKit agent of ``spec`` (an agent of ``graph``), without touching the database."""
        tools: list[llm.Tool] = [function_tool_for(graph.spec.tools[tid], self.tools) for tid in spec.tool_ids]
        return OrchestratedAgent(
            spec, tools=tools, decision_targets=decision_targets(graph, spec.id), chat_ctx=chat_ctx, hooks=hooks
        )

    def check(self, graph: CompiledGraph) -> None:
        """Fail now, not at a hand-over, if any agent of ``graph`` cannot be built here (a plugin not installed, a
        key missing, a tool without a callable, a bad offline rule set)."""
        for spec in graph.agents():
            for tid in spec.tool_ids:
                function_tool_for(graph.spec.tools[tid], self.tools)
            providers.check(spec)

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


def decision_targets(graph: CompiledGraph, agent_id: int) -> tuple[str, ...]:
    """The names of the agents that ``agent_id``'s agent_decision edges lead to, in evaluation order: the edges the
    decision tool can take, those keyed ``transition_to`` (the key it sends) that accept the target's name."""
    names: list[str] = []
    for transition in graph.get_agent_transitions(agent_id):
        data = transition.spec.condition_data
        if (
            transition.spec.condition_type == AGENT_DECISION
            and data.get("decision_key", "transition_to") == "transition_to"
        ):
            name = graph.get_agent(transition.target_agent_id).name
            if name not in names:
                names.append(name)
    return tuple(names)
