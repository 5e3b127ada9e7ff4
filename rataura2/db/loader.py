"""Reading a conversation's graph from the database into plain specs: the only I/O of the graph layer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import AgentSpec, GraphSpec, ToolSpec, TransitionSpec, frozen
from rataura2.db.models import Agent, Conversation, Transition
from rataura2.errors import InvalidGraphError, UnknownConversationError


def find_conversation(db: Session, conversation: int | str) -> Conversation:
    """A conversation by id or by name."""
    query = select(Conversation).options(selectinload(Conversation.agents).selectinload(Agent.tools))
    if isinstance(conversation, int) or (isinstance(conversation, str) and conversation.isdigit()):
        query = query.where(Conversation.id == int(conversation))
    else:
        query = query.where(Conversation.name == conversation)
    row = db.scalars(query).first()
    if row is None:
        raise UnknownConversationError(f"no conversation {conversation!r}")
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


def load_graph_spec(db: Session, conversation: int | str) -> GraphSpec:
    """The conversation's agents, tools and the transitions between two of its agents, detached from the session.

    Agents can be shared by conversations, so a transition to an agent outside this conversation belongs to
    another conversation's graph and is not part of this one.
    """
    conv = find_conversation(db, conversation)
    if conv.initial_agent_id is None:
        raise InvalidGraphError(f"conversation {conv.name!r} has no initial agent")
    agent_rows = {a.id: a for a in conv.agents}
    if conv.initial_agent_id not in agent_rows and conv.initial_agent is not None:
        agent_rows[conv.initial_agent.id] = conv.initial_agent
    ids = list(agent_rows)
    transition_rows = db.scalars(
        select(Transition)
        .options(selectinload(Transition.business_rules))
        .where(Transition.source_agent_id.in_(ids), Transition.target_agent_id.in_(ids))
        .order_by(Transition.id)
    ).all()
    tools: dict[int, ToolSpec] = {}
    agents: dict[int, AgentSpec] = {}
    for row in agent_rows.values():
        for tool in row.tools:
            tools[tool.id] = ToolSpec(
                tool.id, tool.name, tool.function_name, tool.description, frozen(tool.parameters_schema)
            )
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
        )
    transitions = [transition_spec(t) for t in transition_rows]
    return GraphSpec(
        conversation_id=conv.id,
        name=conv.name,
        description=conv.description,
        initial_agent_id=conv.initial_agent_id,
        agents=frozen(agents),  # type: ignore[arg-type]
        transitions=tuple(transitions),
        tools=frozen(tools),  # type: ignore[arg-type]
        version=conv.version,
        config=frozen(conv.config),
    )


def load_graph(db: Session, conversation: int | str) -> CompiledGraph:
    """The conversation's current definition, read once and compiled (not a published version: see
    ``rataura2.persistence.versions`` for those)."""
    return CompiledGraph(load_graph_spec(db, conversation))
