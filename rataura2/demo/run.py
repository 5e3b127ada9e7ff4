"""Play the demo: seed the EVE assistant, run the scripted session, print what happens and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from rataura2.core.events import EventData
from rataura2.core.result import TransitionResult
from rataura2.db.session import init_db
from rataura2.demo.script import SCRIPT, build_event
from rataura2.demo.seed import seed_demo
from rataura2.drawing import draw_graph
from rataura2.persistence.admin import next_session_id
from rataura2.sessions.manager import SessionManager


@dataclass(frozen=True)
class Turn:
    event: EventData
    agent: str
    result: TransitionResult


def describe(event: EventData) -> str:
    data = event.data
    text = event.text
    if text is not None:
        return f"{event.type.value}: {text}"
    if "livekit_event" in data:
        return f"livekit {data['livekit_event']}: {data.get('participant_id', '')}"
    if "tool_name" in data:
        detail = data.get("result", data.get("arguments"))
        return f"{event.type.value}: {data['tool_name']} {detail}"
    return f"{event.type.value}: {data}"


def run_demo(database_url: str, *, console: Console | None = None, graph_png: Path | None = None) -> list[Turn]:
    """Seed ``database_url`` (once), play the script in a new session and print each turn."""
    console = console or Console()
    sessions = init_db(database_url)
    turns: list[Turn] = []
    with sessions() as db:
        conversation = seed_demo(db)
        manager = SessionManager(db)  # durability="sync": every event is in the database before it is shown
        graph = manager.publish_and_compile(conversation.id)
        console.print(
            f"[bold]{conversation.name}[/bold] (version {graph.version}): "
            f"{len(graph.spec.agents)} agents, {len(graph.spec.transitions)} transitions, "
            f"database {database_url}"
        )
        session_id = next_session_id(db, "demo-")
        orchestrator = manager.create_session(session_id, conversation.id, timestamp=1_764_000_000.0)
        names = {a.id: a.name for a in graph.agents()}
        console.print(f"Session {session_id} starts on [cyan]{orchestrator.get_current_agent().name}[/cyan].\n")
        for index, step in enumerate(SCRIPT, start=1):
            event = build_event(step, index, orchestrator.get_current_agent().name)
            result = orchestrator.process_event(event)
            orchestrator.check_and_execute_transition()
            agent = orchestrator.get_current_agent().name
            console.print(f"[dim]{index:>2}[/dim] {escape(describe(event))}")
            if result.transitioned:
                console.print(
                    f"   [green]{names[result.from_agent_id or 0]} -> {agent}[/green] "
                    f"(transition {result.transition_id}): {escape(result.reason)}"
                )
            else:
                console.print(f"   [dim]stays with[/dim] [cyan]{agent}[/cyan]")
            turns.append(Turn(event, agent, result))
        manager.end_session(session_id, reason="demo finished", timestamp=1_764_000_000.0 + 4 * len(SCRIPT) + 4)
        context = orchestrator.get_context()
        console.print(
            f"\nSession {session_id} ended on [cyan]{context['current_agent_name']}[/cyan] after "
            f"{context['turn_count']} user turns and {len(context['transitions'])} transitions."
        )
        manager.close()
        if graph_png is not None:
            draw_graph(graph, graph_png)
            console.print(f"Graph drawn to {graph_png}")
    return turns
