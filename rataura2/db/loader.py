"""Reading a conversation's graph from the database into plain specs: the only I/O of the graph layer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import AgentSpec, GraphSpec, ToolSpec, TransitionSpec, frozen
from rataura2.core.validation import check_strays
from rataura2.db.models import Agent, Conversation, Transition, conversation_agents
from rataura2.errors import InvalidGraphError, UnknownConversationError
from rataura2.vocabulary.limits import MAX_SAFE_INTEGER


def conversation_id(conversation: int | str) -> int | None:
    """The id ``conversation`` names (an int, or a string of ASCII digits: "²" is a name), or None for a name."""
    if isinstance(conversation, int) and not isinstance(conversation, bool):
        return conversation
    if isinstance(conversation, str) and conversation.isascii() and conversation.isdigit():
        return int(conversation)
    return None


def find_conversation(db: Session, conversation: int | str) -> Conversation:
    """A conversation by id or by name."""
    query = select(Conversation).options(
        selectinload(Conversation.agents).selectinload(Agent.tools), selectinload(Conversation.tools)
    )
    as_id = conversation_id(conversation)
    if as_id is not None:
        if not 0 < as_id <= MAX_SAFE_INTEGER:  # no such row, and a database would refuse the number
            raise UnknownConversationError(f"no conversation {conversation!r}")
        query = query.where(Conversation.id == as_id)
    else:
        query = query.where(Conversation.name == conversation)
    row = db.scalars(query).first()
    if row is None:
        names = list(db.scalars(select(Conversation.name).order_by(Conversation.id).limit(11)))
        known = ", ".join(map(repr, names[:10])) + (", ..." if len(names) > 10 else "") if names else "none yet"
        raise UnknownConversationError(f"no conversation {conversation!r}; conversations: {known} (by name or id)")
    return row


def transition_spec(row: Transition) -> TransitionSpec:
    """A transition row (with its business rules loaded) as plain data."""
    rules = tuple(row.business_rules.rules) if row.business_rules is not None else None
    return TransitionSpec(
        id=row.id,
        source_agent_id=row.source_agent_id,
        target_agent_id=row.target_agent_id,
        condition_type=row.condition_type,
        condition_data=frozen(row.condition_data),
        priority=row.priority,
        description=row.description,
        tool_id=row.tool_id,
        rules=rules,
    )


Stray = tuple[TransitionSpec, str]
"""A transition from an agent of a conversation to an agent (named) that shares no conversation with it."""


def read_graph(
    db: Session, conversation: int | str, *, need_initial_agent: bool = True
) -> tuple[GraphSpec, list[Stray]]:
    """The conversation's agents, tools and the transitions between two of its agents, detached from the session;
    and its strays: transitions from one of its agents to an agent that is in no conversation with that agent.

    Agents can be shared by conversations, so a transition to an agent outside this conversation may belong to
    another conversation's graph (it is then not part of this one); one that belongs to no graph is a mistake,
    which :func:`~rataura2.core.validation.check_graph` reports. Without ``need_initial_agent`` a conversation still
    being built (no initial agent yet) is read too, with initial agent id 0.
    """
    conv = find_conversation(db, conversation)
    if conv.initial_agent_id is None and need_initial_agent:
        raise InvalidGraphError(
            f"conversation {conv.name!r} has no initial agent; set Conversation.initial_agent to one of its agents"
        )
    agent_rows = {a.id: a for a in conv.agents}
    if conv.initial_agent_id is not None and conv.initial_agent_id not in agent_rows and conv.initial_agent:
        agent_rows[conv.initial_agent.id] = conv.initial_agent
    ids = list(agent_rows)
    outgoing = db.scalars(
        select(Transition)
        .options(selectinload(Transition.business_rules))
        .where(Transition.source_agent_id.in_(ids))
        .order_by(Transition.id)
    ).all()
    inside = [t for t in outgoing if t.target_agent_id in agent_rows]
    tools: dict[int, ToolSpec] = {}
    agents: dict[int, AgentSpec] = {}
    for tool in [*(t for row in agent_rows.values() for t in row.tools), *conv.tools]:
        tools[tool.id] = ToolSpec(
            tool.id, tool.name, tool.function_name, tool.description, frozen(tool.parameters_schema)
        )
    for row in agent_rows.values():
        agents[row.id] = AgentSpec(
            id=row.id,
            name=row.name,
            instructions=row.instructions or "",
            agent_type=row.agent_type,
            description=row.description,
            llm_provider=row.llm_provider,
            llm_model=row.llm_model,
            stt_provider=row.stt_provider,
            stt_model=row.stt_model,
            tts_provider=row.tts_provider,
            tts_model=row.tts_model,
            config=frozen(row.config),
            tool_ids=tuple(t.id for t in row.tools),
            on_enter=tuple(row.on_enter or ()),
            on_exit=tuple(row.on_exit or ()),
            context_strategy=row.context_strategy or "append",
            context_options=frozen(row.context_options),
            sensitive_input=bool(row.sensitive_input),
        )
    spec = GraphSpec(
        conversation_id=conv.id,
        name=conv.name,
        description=conv.description,
        initial_agent_id=conv.initial_agent_id or 0,
        agents=frozen(agents),  # type: ignore[arg-type]
        transitions=tuple(transition_spec(t) for t in inside),
        tools=frozen(tools),  # type: ignore[arg-type]
        version=conv.version,
        config=frozen(conv.config),
        role_instructions=conv.role_instructions or None,
        tool_ids=tuple(t.id for t in conv.tools),
        sensitive_keys=tuple(conv.sensitive_keys or ()),
    )
    return spec, _strays(db, [t for t in outgoing if t.target_agent_id not in agent_rows])


def _strays(db: Session, leaving: list[Transition]) -> list[Stray]:
    """Of the transitions leaving a conversation, those whose two agents share no conversation."""
    if not leaving:
        return []
    ends = {t.source_agent_id for t in leaving} | {t.target_agent_id for t in leaving}
    homes: dict[int, set[int]] = {agent_id: set() for agent_id in ends}
    for agent_id, conversation_id in db.execute(
        select(conversation_agents.c.agent_id, conversation_agents.c.conversation_id).where(
            conversation_agents.c.agent_id.in_(ends)
        )
    ):
        homes[agent_id].add(conversation_id)
    for conversation_id, agent_id in db.execute(
        select(Conversation.id, Conversation.initial_agent_id).where(Conversation.initial_agent_id.in_(ends))
    ):
        if agent_id is not None:
            homes[agent_id].add(conversation_id)
    names = {agent_id: name for agent_id, name in db.execute(select(Agent.id, Agent.name).where(Agent.id.in_(ends)))}
    return [
        (transition_spec(t), names.get(t.target_agent_id, str(t.target_agent_id)))
        for t in leaving
        if not homes[t.source_agent_id] & homes[t.target_agent_id]
    ]


def load_graph_spec(db: Session, conversation: int | str, *, require_initial: bool = True) -> GraphSpec:
    """The conversation's graph as plain data (see :func:`read_graph`); a transition that leaves it for an agent
    in no conversation with its source is an :class:`InvalidConditionError` naming it and the fix. Without
    ``require_initial`` (lint reads such a graph, to say so among everything else) a conversation with no initial
    agent is read too, its spec naming agent 0, which no agent is."""
    spec, strays = read_graph(db, conversation, need_initial_agent=require_initial)
    check_strays(spec, strays)
    return spec


def load_graph(db: Session, conversation: int | str) -> CompiledGraph:
    """The conversation's current definition, read once and compiled (not a published version: see
    ``rataura2.persistence.versions`` for those)."""
    return CompiledGraph(load_graph_spec(db, conversation))
