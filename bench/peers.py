"""The same routing workload on what users would pick instead.

Every contender folds events into the same context and evaluates the same compiled conditions; what differs is
the machinery around them: LangGraph's StateGraph (one ``invoke`` per event, a conditional edge picks the next
agent), the ``transitions`` state machine (one trigger per event, conditions as callbacks), and the brief's
original design (each check reads the agent's transitions, and their rules, from the database and builds their
conditions anew).
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


class _Routing:
    """What every contender shares: a context, the event handlers, and the compiled conditions of each agent."""

    def __init__(self, workload: Workload) -> None:
        self.graph = CompiledGraph(workload.spec)
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


class RouterState(TypedDict):
    agent: int
    event: EventData


def langgraph_router(workload: Workload) -> Callable[[EventData], int]:
    from langgraph.graph import END, START, StateGraph

    routing = _Routing(workload)

    def ingest(state: RouterState) -> dict[str, Any]:
        routing.fold(state["event"])
        return {}

    def pick_next(state: RouterState) -> str:
        given = ConditionInput(state["event"], routing.context)
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
    state: dict[str, Any] = {"agent": 1}

    def step(event: EventData) -> int:
        state["agent"] = app.invoke({"agent": state["agent"], "event": event})["agent"]
        return int(state["agent"])

    return step


def transitions_machine(workload: Workload) -> Callable[[EventData], int]:
    from transitions import Machine

    routing = _Routing(workload)
    current: dict[str, ConditionInput | None] = {"given": None}

    class Session:
        state: str

    model = Session()
    machine = Machine(
        model=model,
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

    def step(event: EventData) -> int:
        current["given"] = routing.fold(event)
        model.event()  # type: ignore[attr-defined]
        return int(model.state)

    return step


def rules_from_database(
    workload: Workload, database_url: str | None = None
) -> tuple[Callable[[EventData], int], Callable[[], None]]:
    """The brief's original design: the current agent's transitions read from the database at every check (a
    SQLite file unless ``database_url`` names another, empty, database)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Transition
    from rataura2.db.session import init_db

    if database_url is None:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='rataura2-bench-')) / 'rules.db'}"
    sessions = init_db(database_url)
    routing = _Routing(workload)
    with sessions() as db:
        rows = {a.id: Agent(id=a.id, name=a.name, instructions="") for a in routing.graph.agents()}
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
    db = sessions()
    spec = workload.spec

    def step(event: EventData) -> int:
        given = routing.fold(event)
        query = (
            select(Transition)
            .options(selectinload(Transition.business_rules))
            .where(Transition.source_agent_id == routing.agent)
            .order_by(Transition.priority.desc(), Transition.id)
        )
        for row in db.scalars(query):
            t = transition_spec(row)
            if build_condition(t, spec).evaluate(given) is not None:
                routing.agent = row.target_agent_id
                break
        return routing.agent

    def close() -> None:
        db.close()
        sessions.dispose()

    return step, close
