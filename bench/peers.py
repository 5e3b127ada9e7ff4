"""The same routing workload on what users would pick instead.

Every contender folds events into the same context and evaluates the same compiled conditions; what differs is
the machinery around them: LangGraph's StateGraph (one ``invoke`` per event, a conditional edge picks the next
agent), the ``transitions`` state machine (one trigger per event, conditions as callbacks), and the brief's
original design (each check reads the agent's transitions, and their rules, from the database and builds their
conditions anew). Each keeps a state per session, so they run the same interleaved sessions as rataura2.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypedDict

from bench.workloads import Workload
from rataura2.core.conditions import ConditionInput, build_condition
from rataura2.core.context import SessionContext
from rataura2.core.events import EventData, EventManager
from rataura2.core.graph import CompiledGraph
from rataura2.db.loader import transition_spec

Step = Callable[[int, EventData], int]
"""A contender: give it (session index, event), it answers the session's agent (workload ids) after the event."""


class _Session:
    """One session's routing state: a context with the event handlers, and its current agent."""

    def __init__(self) -> None:
        self.context = SessionContext(
            {
                "turn_count": 0,
                "user_input": "",
                "tool_results": {},
                "agent_decisions": {},
                "session": {},
                "current_agent_id": 1,
            }
        )
        self.events = EventManager()
        self.agent = 1

    def fold(self, event: EventData) -> ConditionInput:
        self.events.process_event(event, self.context)
        return ConditionInput(event, self.context)


class _Routing:
    """What every contender shares: the compiled conditions of each agent, and one state per session."""

    def __init__(self, workload: Workload, sessions: int) -> None:
        self.graph = CompiledGraph(workload.spec)
        self.sessions = [_Session() for _ in range(sessions)]


class RouterState(TypedDict):
    session: int
    agent: int
    event: EventData


def langgraph_router(workload: Workload, sessions: int = 1) -> Step:
    """One compiled StateGraph for every session; each ``invoke`` carries the session's agent and the event."""
    from langgraph.graph import END, START, StateGraph

    routing = _Routing(workload, sessions)

    def ingest(state: RouterState) -> dict[str, Any]:
        routing.sessions[state["session"]].fold(state["event"])
        return {}

    def pick_next(state: RouterState) -> str:
        given = ConditionInput(state["event"], routing.sessions[state["session"]].context)
        for transition in routing.graph.get_agent_transitions(state["agent"]):
            if transition.condition.evaluate(given) is not None:
                return f"agent-{transition.target_agent_id}"
        return END

    builder = StateGraph(RouterState)
    builder.add_node("ingest", ingest)
    targets: dict[Hashable, str] = {END: END}
    for agent in routing.graph.agents():
        name = f"agent-{agent.id}"
        builder.add_node(name, (lambda agent_id: lambda state: {"agent": agent_id})(agent.id))
        builder.add_edge(name, END)
        targets[name] = name
    builder.add_edge(START, "ingest")
    builder.add_conditional_edges("ingest", pick_next, targets)
    app = builder.compile()

    def step(session: int, event: EventData) -> int:
        state = routing.sessions[session]
        state.agent = int(app.invoke({"session": session, "agent": state.agent, "event": event})["agent"])
        return state.agent

    return step


def transitions_machine(workload: Workload, sessions: int = 1) -> Step:
    """One ``transitions`` Machine with a model per session; an event is one trigger on its session's model."""
    from transitions import Machine

    routing = _Routing(workload, sessions)
    current: dict[str, ConditionInput | None] = {"given": None}

    class Session:
        state: str

    models = [Session() for _ in range(sessions)]
    machine = Machine(
        model=models,
        states=[str(a.id) for a in routing.graph.agents()],
        initial="1",
        auto_transitions=False,
        ignore_invalid_triggers=True,
    )
    for agent in routing.graph.agents():
        for transition in routing.graph.get_agent_transitions(agent.id):
            condition = transition.condition
            machine.add_transition(
                "event",
                str(agent.id),
                str(transition.target_agent_id),
                conditions=[lambda c=condition: c.evaluate(current["given"]) is not None],
            )

    def step(session: int, event: EventData) -> int:
        current["given"] = routing.sessions[session].fold(event)
        model = models[session]
        model.event()  # type: ignore[attr-defined]
        return int(model.state)

    return step


def rules_from_database(
    workload: Workload, sessions: int = 1, database_url: str | None = None
) -> tuple[Step, Callable[[], None]]:
    """The brief's original design: the session's current agent's transitions read from the database at every
    check (a SQLite file unless ``database_url`` names another, empty, database)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Tool, Transition
    from rataura2.db.session import init_db

    if database_url is None:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='rataura2-bench-')) / 'rules.db'}"
    database = init_db(database_url)
    routing = _Routing(workload, sessions)
    with database() as db:
        tools = {t.id: Tool(id=t.id, name=t.name, function_name=t.function_name) for t in workload.spec.tools.values()}
        rows = {
            a.id: Agent(id=a.id, name=a.name, instructions="", tools=[tools[i] for i in a.tool_ids])
            for a in routing.graph.agents()
        }
        db.add(Conversation(name="bench", initial_agent=rows[1], agents=list(rows.values())))
        for t in workload.spec.transitions:
            db.add(
                Transition(
                    id=t.id,
                    source_agent_id=t.source_agent_id,
                    target_agent_id=t.target_agent_id,
                    condition_type=t.condition_type,
                    condition_data=dict(t.condition_data),
                    priority=t.priority,
                )
            )
            if t.rules is not None:
                db.add(BusinessRulesTransition(transition_id=t.id, rules=list(t.rules)))
        db.commit()
    db = database()
    spec = workload.spec

    def step(session: int, event: EventData) -> int:
        state = routing.sessions[session]
        given = state.fold(event)
        query = (
            select(Transition)
            .options(selectinload(Transition.business_rules))
            .where(Transition.source_agent_id == state.agent)
            .order_by(Transition.priority.desc(), Transition.id)
        )
        for row in db.scalars(query):
            t = transition_spec(row)
            if build_condition(t, spec).evaluate(given) is not None:
                state.agent = row.target_agent_id
                break
        return state.agent

    def close() -> None:
        db.close()
        database.dispose()

    return step, close
