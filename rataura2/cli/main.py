"""The ``rataura2`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from rataura2.cli import checks
from rataura2.cli.diff import diff_command
from rataura2.cli.documents import export_command, import_command
from rataura2.cli.lint import lint_command
from rataura2.cli.options import PLAIN_HELP, DatabaseOption, existing_database_url, make_console, resolve_database_url
from rataura2.cli.replay import replay_command
from rataura2.cli.scenarios import test_command
from rataura2.cli.serve import serve, token_app
from rataura2.cli.sessions import sessions_app

app = typer.Typer(help="rataura2: multi-agent LiveKit assistants as graphs of agents kept in a database.", **PLAIN_HELP)
graph_app = typer.Typer(help="Look at a conversation's graph; export, import and publish it.", **PLAIN_HELP)
db_app = typer.Typer(help="The database: migrations.", **PLAIN_HELP)
app.add_typer(graph_app, name="graph")
app.add_typer(db_app, name="db")
app.add_typer(sessions_app, name="sessions")
app.add_typer(token_app, name="token")
app.command()(serve)
graph_app.command("export")(export_command)
graph_app.command("import")(import_command)
graph_app.command("diff")(diff_command)
console = make_console()
app.command("lint")(lint_command)
app.command("test")(test_command)
app.command("replay")(replay_command)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        from rataura2 import __version__

        try:
            installed = version("rataura2")
        except PackageNotFoundError:  # run from a source tree that is not installed
            installed = __version__
        console.print(f"rataura2 {installed}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """rataura2: multi-agent LiveKit assistants as graphs of agents kept in a database."""


@app.command()
def demo(
    database_url: DatabaseOption = None,
    graph_png: Annotated[Path | None, typer.Option("--graph", help="Also draw the graph to this PNG file.")] = None,
) -> None:
    """Seed the EVE Online assistant and play a scripted session, showing each event, the active agent and why
    each transition fired."""
    from rataura2.demo.run import run_demo

    if graph_png is not None:
        checks.output_file(graph_png, "--graph")
    run_demo(resolve_database_url(database_url), console=console, graph_png=graph_png)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Bring the database schema to the latest migration."""
    from rataura2.db.session import init_db

    init_db(resolve_database_url(database_url))
    console.print(f"Database {escape(resolve_database_url(database_url))} is at the latest migration.")


@graph_app.command("list")
def graph_list(database_url: DatabaseOption = None) -> None:
    """List the conversations."""
    from sqlalchemy import select

    from rataura2.db.models import Conversation
    from rataura2.db.session import init_db
    from rataura2.persistence.versions import publication

    with init_db(existing_database_url(database_url))() as db:
        for conv in db.scalars(select(Conversation).order_by(Conversation.id)):
            state = publication(db, conv)
            console.print(f"{conv.id}\t{escape(conv.name)}\t{state}\t{len(conv.agents)} agents")


@graph_app.command("show")
def graph_show(
    conversation: Annotated[str, typer.Argument(help="Conversation id or name.")],
    database_url: DatabaseOption = None,
    png: Annotated[Path | None, typer.Option(help="Draw the graph to this PNG file.")] = None,
    mermaid: Annotated[bool, typer.Option(help="Print the graph as Mermaid text.")] = False,
) -> None:
    """Compile a conversation's graph (which checks every condition), show it and what lint finds in it."""
    from rataura2.core.graph import CompiledGraph
    from rataura2.db.loader import load_graph_spec
    from rataura2.db.session import init_db
    from rataura2.drawing import draw_graph
    from rataura2.lint import lint_graph

    if png is not None:
        checks.output_file(png, "--png")
    from rataura2.db.loader import find_conversation
    from rataura2.persistence.versions import publication

    with init_db(existing_database_url(database_url))() as db:
        spec = load_graph_spec(db, conversation)
        state = publication(db, find_conversation(db, conversation))
    graph = CompiledGraph(spec)
    if mermaid:
        print(graph.to_mermaid(), end="")
    else:
        console.print(
            f"[bold]{escape(graph.spec.name)}[/bold] as edited ({state}), "
            f"initial agent {escape(graph.get_initial_agent().name)}"
        )
        for agent in graph.agents():
            console.print(f"  [cyan]{escape(agent.name)}[/cyan] ({escape(agent.agent_type)}, {agent.llm_provider})")
            for t in graph.get_agent_transitions(agent.id):
                target = graph.get_agent(t.target_agent_id).name
                rules = t.spec.condition_type == "business_rules"
                condition = list(t.spec.rules or ()) if rules else dict(t.spec.condition_data)
                console.print(
                    f"    -> {escape(target)}: {t.spec.condition_type} {escape(str(condition))} "
                    f"[dim]priority {t.spec.priority}, id {t.id}[/dim]"
                )
        for finding in lint_graph(spec).findings:
            colour = "red" if finding.severity == "error" else "yellow"
            console.print(
                f"[{colour}]{finding.severity}:[/{colour}] {escape(finding.message)} [dim]({finding.code})[/dim]"
            )
    if png is not None:
        draw_graph(graph, png)
        console.print(f"Drawn to {escape(str(png))}")


@graph_app.command("publish")
def graph_publish(
    conversation: Annotated[str, typer.Argument(help="Conversation id or name.")],
    database_url: DatabaseOption = None,
) -> None:
    """Publish a conversation's graph as it stands: a new version if it changed since the latest one (every
    condition is checked first). New sessions take the latest version; running ones keep theirs. Edits made through
    the models are published by the next session start anyway; edits made with raw SQL need this."""
    from rataura2.db.session import init_db
    from rataura2.errors import RatauraError
    from rataura2.persistence.versions import publish

    try:
        with init_db(existing_database_url(database_url))() as db:
            published = publish(db, conversation)
    except RatauraError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    what = "published" if published.new else "unchanged: the latest version is the definition as it stands"
    typer.echo(f"{published.spec['name']}: version {published.version} ({what})")


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
    the keyboard, with line editing and history, or piped), showing the active agent and each hand-over with its
    reason. Agents' speech-to-text and text-to-speech are not used, so they need no keys here."""
    url = existing_database_url(database_url)
    checks.conversation_exists(url, conversation)  # before LiveKit, which is slow to import, is loaded
    checks.tool_modules_exist(tools or ())
    from rataura2.livekit.chat import run_chat

    run_chat(url, conversation, tool_modules=tools)


@app.command(
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def worker(
    ctx: typer.Context,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Conversation of jobs whose metadata names none.")
    ] = None,
    database_url: DatabaseOption = None,
    tools: ToolModulesOption = None,
    agent_name: Annotated[str | None, typer.Option("--agent-name", help="Dispatch name (default rataura2).")] = None,
) -> None:
    """Run a LiveKit worker: rataura2 worker (these options) dev|start|console (then livekit-agents' options). It
    connects to LIVEKIT_URL with LIVEKIT_API_KEY / LIVEKIT_API_SECRET; a dispatched job's metadata
    {"conversation": NAME} picks the conversation. Before it registers, it checks the LiveKit URL, the database,
    the tool modules and the default conversation. See docs/livekit.md."""
    from rataura2.livekit import preflight

    if not ctx.args or ctx.args[0] in ("--help", "-h"):
        console.print(ctx.get_help())
    url = resolve_database_url(database_url)
    if ctx.args and ctx.args[0] in preflight.JOB_COMMANDS:  # the quick checks, before LiveKit is loaded
        url = existing_database_url(database_url)
        if ctx.args[0] in preflight.CONNECTING_COMMANDS:
            preflight.livekit_url(ctx.args)
        else:
            preflight.portaudio()
        from rataura2.db.session import init_db

        init_db(url).dispose()
        if conversation:
            checks.conversation_exists(url, conversation)
        checks.tool_modules_exist(tools or ())
    from rataura2.livekit.worker import run

    environment = {"RATAURA2_DATABASE_URL": url}
    for key, value in (("CONVERSATION", conversation), ("AGENT_NAME", agent_name)):
        if value:
            environment[f"RATAURA2_{key}"] = value
    if tools:
        environment["RATAURA2_TOOL_MODULES"] = ",".join(tools)
    run(ctx.args or ["--help"], environment=environment)


def main() -> None:
    """Entry point: an expected failure (bad input such as an unknown conversation or an invalid condition, a
    database that cannot be opened) is one clear line and exit status 2, not a trace."""
    from rataura2.errors import PersistenceError, RatauraError

    try:
        app()
    except (RatauraError, PersistenceError) as exc:
        make_console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
