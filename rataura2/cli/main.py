"""The ``rataura2`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rataura2.cli.documents import export_command, import_command
from rataura2.cli.options import DatabaseOption, resolve_database_url
from rataura2.cli.serve import serve, token_app
from rataura2.cli.sessions import sessions_app

app = typer.Typer(
    help="rataura2: multi-agent LiveKit assistants as graphs of agents kept in a database.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
graph_app = typer.Typer(help="Look at a conversation's graph; export and import it as a file.", no_args_is_help=True)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
app.add_typer(graph_app, name="graph")
app.add_typer(db_app, name="db")
app.add_typer(sessions_app, name="sessions")
app.add_typer(token_app, name="token")
app.command()(serve)
graph_app.command("export")(export_command)
graph_app.command("import")(import_command)
console = Console()


@app.command()
def demo(
    database_url: DatabaseOption = None,
    graph_png: Annotated[Path | None, typer.Option("--graph", help="Also draw the graph to this PNG file.")] = None,
) -> None:
    """Seed the EVE Online assistant and play a scripted session, showing each event, the active agent and why
    each transition fired."""
    from rataura2.demo.run import run_demo

    run_demo(resolve_database_url(database_url), console=console, graph_png=graph_png)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Bring the database schema to the latest migration."""
    from rataura2.db.session import init_db

    init_db(resolve_database_url(database_url))
    console.print(f"Database {resolve_database_url(database_url)} is at the latest migration.")


@graph_app.command("list")
def graph_list(database_url: DatabaseOption = None) -> None:
    """List the conversations."""
    from sqlalchemy import select

    from rataura2.db.models import Conversation
    from rataura2.db.session import init_db

    with init_db(resolve_database_url(database_url))() as db:
        for conv in db.scalars(select(Conversation).order_by(Conversation.id)):
            console.print(f"{conv.id}\t{conv.name}\tversion {conv.version}\t{len(conv.agents)} agents")


@graph_app.command("show")
def graph_show(
    conversation: Annotated[str, typer.Argument(help="Conversation id or name.")],
    database_url: DatabaseOption = None,
    png: Annotated[Path | None, typer.Option(help="Draw the graph to this PNG file.")] = None,
    mermaid: Annotated[bool, typer.Option(help="Print the graph as Mermaid text.")] = False,
) -> None:
    """Compile a conversation's graph (which checks every condition) and show it."""
    from rataura2.db.loader import load_graph
    from rataura2.db.session import init_db
    from rataura2.drawing import draw_graph

    with init_db(resolve_database_url(database_url))() as db:
        graph = load_graph(db, conversation)
    if mermaid:
        print(graph.to_mermaid(), end="")
    else:
        console.print(
            f"[bold]{graph.spec.name}[/bold] version {graph.version}, initial agent {graph.get_initial_agent().name}"
        )
        for agent in graph.agents():
            console.print(f"  [cyan]{agent.name}[/cyan] ({agent.agent_type}, {agent.llm_provider})")
            for t in graph.get_agent_transitions(agent.id):
                target = graph.get_agent(t.target_agent_id).name
                rules = t.spec.condition_type == "business_rules"
                condition = list(t.spec.rules or ()) if rules else dict(t.spec.condition_data)
                console.print(
                    f"    -> {target}: {t.spec.condition_type} {condition} "
                    f"[dim]priority {t.spec.priority}, id {t.id}[/dim]"
                )
        for warning in graph.lint():
            console.print(f"[yellow]warning:[/yellow] {warning}")
    if png is not None:
        draw_graph(graph, png)
        console.print(f"Drawn to {png}")


ToolModulesOption = Annotated[
    list[str] | None,
    typer.Option("--tools", help="Module that registers tool callables (repeatable); default: rataura2.demo.tools."),
]


@app.command()
def chat(
    conversation: Annotated[str, typer.Option("--conversation", "-c", help="Conversation name or id.")],
    database_url: DatabaseOption = None,
    tools: ToolModulesOption = None,
) -> None:
    """Talk to a conversation in the terminal: a real LiveKit AgentSession in text mode, one line per turn (from
    the keyboard or piped), showing the active agent and each hand-over with its reason."""
    from rataura2.livekit.chat import run_chat

    run_chat(resolve_database_url(database_url), conversation, tool_modules=tools)


@app.command(
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def worker(
    ctx: typer.Context,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Conversation of jobs whose metadata names none.")
    ] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")] = None,
    tools: ToolModulesOption = None,
    agent_name: Annotated[str | None, typer.Option("--agent-name", help="Dispatch name (default rataura2).")] = None,
) -> None:
    """Run a LiveKit worker: rataura2 worker (these options) dev|start|console (then livekit-agents' options). It
    connects to LIVEKIT_URL with LIVEKIT_API_KEY / LIVEKIT_API_SECRET; a dispatched job's metadata
    {"conversation": NAME} picks the conversation. See docs/livekit.md."""
    from rataura2.livekit.worker import run

    if not ctx.args or ctx.args[0] in ("--help", "-h"):
        console.print(ctx.get_help())
    environment = {"RATAURA2_DATABASE_URL": resolve_database_url(database_url)}
    for key, value in (("CONVERSATION", conversation), ("AGENT_NAME", agent_name)):
        if value:
            environment[f"RATAURA2_{key}"] = value
    if tools:
        environment["RATAURA2_TOOL_MODULES"] = ",".join(tools)
    run(ctx.args or ["--help"], environment=environment)


def main() -> None:
    """Entry point: bad input (an unknown conversation, an invalid condition...) is one clear line, not a trace."""
    from rataura2.errors import RatauraError

    try:
        app()
    except RatauraError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
