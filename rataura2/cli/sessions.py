"""``rataura2 sessions``: list, show, resume and purge the sessions stored in the database."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from rataura2.cli.options import PLAIN_HELP, DatabaseOption, existing_database_url, make_console
from rataura2.errors import RatauraError, SessionEndedError, SessionOwnedError

sessions_app = typer.Typer(
    help="Durable sessions: list them, show one (context, transitions and why), resume, purge ended ones.",
    **PLAIN_HELP,
)
console = make_console()


def _manager(url: str | None) -> Any:
    from rataura2.db.session import init_db
    from rataura2.sessions.manager import SessionManager

    db = init_db(existing_database_url(url))()
    return SessionManager(db, durability="off")


def _when(timestamp: object) -> str:
    """An event time as local date and time; as it is if it is no time (a damaged or hand-made row)."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(timestamp)))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return escape(repr(timestamp))


def _fail(exc: Exception) -> typer.Exit:
    """One ``error:`` line on standard error, and exit status 2 (what every expected failure of the command is)."""
    make_console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
    return typer.Exit(2)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


@sessions_app.command("list")
def list_command(
    database_url: DatabaseOption = None,
    status: Annotated[str | None, typer.Option(help="Only sessions in this status: active or ended.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Only sessions of this conversation (id or name).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, most recently updated first.")] = 50,
) -> None:
    """List stored sessions: conversation version, status, who drives them, current agent, user turns and logged
    events."""
    from rataura2.persistence.admin import list_sessions

    manager = _manager(database_url)
    rows = list_sessions(manager.engine, status=status, conversation=conversation, limit=limit)
    table = Table("session", "conversation", "status", "driven by", "agent", "turns", "logged", "updated")
    for r in rows:
        owner = r["owner"] if r["driven"] else (f"[dim]{r['owner']} (gone)[/dim]" if r["owner"] else "-")
        table.add_row(
            escape(r["session_id"]),
            f"{escape(r['conversation'])} v{r['version']}",
            r["status"],
            owner,
            escape(r["current_agent_name"] or "-"),
            str(r["turn_count"]),
            str(r["events"]),
            f"{r['updated_at']:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table if rows else "No sessions.")


@sessions_app.command("show")
def show_command(
    session_id: Annotated[str, typer.Argument(help="The session id.")],
    database_url: DatabaseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole context as JSON.")] = False,
    events: Annotated[int, typer.Option(help="Also print the last N events of the log.")] = 0,
) -> None:
    """Rebuild a session from the database (without taking it from whoever drives it) and show where it stands:
    the current agent, the context, and each transition with the reason it fired."""
    from rataura2.persistence.leases import read_row

    manager = _manager(database_url)
    try:
        orchestrator = manager.load_session(session_id)
    except RatauraError as exc:
        raise _fail(exc) from None
    context = orchestrator.get_context()
    if as_json:
        print(json.dumps(context, indent=2, default=str))
        return
    status = escape(str(context["session"].get("status")))
    with manager.engine.connect() as conn:
        logged = read_row(conn, session_id).last_seq
    console.print(
        f"[bold]{escape(session_id)}[/bold]: {escape(context['conversation_name'])} "
        f"v{context['conversation_version']}, {status}, on [cyan]{escape(context['current_agent_name'])}[/cyan] "
        f"after {_count(context['turn_count'], 'user turn')} and {_count(logged, 'logged event')} "
        f"({context['event_count']} processed, with the hand-overs they led to)"
    )
    skip = {"events", "conversation", "transitions", "agents", "session"}
    for key, value in context.items():
        if key not in skip:
            console.print(f"  {escape(key)}: {escape(json.dumps(value, default=str))}")
    console.print("[bold]Transitions[/bold]" if context["transitions"] else "No transitions yet.")
    for t in context["transitions"]:
        when = _when(t["timestamp"])
        console.print(
            f"  {when} {escape(t['from_agent_name'])} -> [cyan]{escape(t['to_agent_name'])}[/cyan] "
            f"(transition {t['transition_id']}, event {escape(str(t['trigger_event_id']))}): {escape(t['reason'])}"
        )
    if events:
        console.print(f"[bold]Last {events} events[/bold]")
        for e in context["events"][-events:]:
            data = escape(json.dumps(e["data"]))
            console.print(f"  {escape(e['id'])} {escape(e['type'])} from {escape(e['source'])}: {data}")


@sessions_app.command("resume")
def resume_command(
    session_id: Annotated[str, typer.Argument(help="The session id.")],
    database_url: DatabaseOption = None,
    wait: Annotated[float, typer.Option(help="Wait up to this many seconds for its owner to let go.")] = 0.0,
    end: Annotated[bool, typer.Option("--end", help="End the session once resumed (e.g. abandoned ones).")] = False,
) -> None:
    """Take a session over (its owner must have let go or died), rebuild it, report where it stands, and let it
    go again so that any worker can pick it up at once; with --end, end it."""
    manager = _manager(database_url)
    from rataura2.sessions.manager import SessionManager

    durable = SessionManager(manager.db, durability="sync")
    try:
        orchestrator = durable.resume_session(session_id, wait=wait)
        context = orchestrator.get_context()
        if orchestrator.ended:
            why = context["session"].get("end_reason")
            raise SessionEndedError(
                f"session {session_id!r} has ended{f' ({why})' if why else ''}; there is nothing to resume: "
                f"`rataura2 sessions show {session_id}` shows where it stopped"
            )
        console.print(
            f"Resumed {escape(session_id)} on [cyan]{escape(context['current_agent_name'])}[/cyan] after "
            f"{_count(context['turn_count'], 'user turn')}, {_count(context['event_count'], 'event')} and "
            f"{len(context['transitions'])} transitions."
        )
        if end and not orchestrator.ended:
            durable.end_session(session_id, reason="ended from the command line")
            console.print("Ended.")
    except SessionOwnedError as exc:
        raise _fail(
            SessionOwnedError(
                session_id,
                exc.owner,
                f"session {session_id!r} is driven by {exc.owner or 'another process'}; resume it once its owner "
                f"lets go or dies, or wait for that with --wait SECONDS (e.g. --wait 30)",
            )
        ) from None
    except RatauraError as exc:
        raise _fail(exc) from None
    finally:
        durable.close()


@sessions_app.command("purge")
def purge_command(
    database_url: DatabaseOption = None,
    older_than_days: Annotated[
        float | None, typer.Option(help="Only sessions that ended more than this many days ago.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be deleted.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete ended sessions, with their event log and snapshots. Active sessions are never deleted."""
    from rataura2.persistence.admin import purge_sessions

    manager = _manager(database_url)
    older = timedelta(days=older_than_days) if older_than_days is not None else None
    candidates = purge_sessions(manager.engine, older_than=older, dry_run=True)
    if not candidates:
        console.print("No ended sessions to purge.")
        return
    console.print(f"{len(candidates)} ended sessions: {escape(', '.join(candidates[:20]))}")
    if dry_run:
        return
    if not yes and not typer.confirm("Delete them with their logs?"):
        raise typer.Exit(1)
    purged = purge_sessions(manager.engine, older_than=older)
    console.print(f"Purged {len(purged)} sessions.")


@sessions_app.command("verify")
def verify_command(
    session_id: Annotated[str | None, typer.Argument(help="The session id (default: every stored session).")] = None,
    database_url: DatabaseOption = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Cut each damaged session back to its last intact event.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Repair without asking.")] = False,
) -> None:
    """Check stored sessions row by row (checksums, decoding, gaps in the log) and list the damage; with --repair,
    cut a damaged session's log back to its last intact event (the events after it are lost), so that it resumes as
    it stood then. Exits 1 while damage remains."""
    from rataura2.persistence.verify import check_sessions, repair_session

    manager = _manager(database_url)
    try:
        checks = check_sessions(manager.engine, session_id)
    except RatauraError as exc:
        raise _fail(exc) from None
    damaged = [c for c in checks if not c.ok]
    for check in checks:
        note = f", {check.unchecked} written before checksums" if check.unchecked else ""
        state = "ok" if check.ok else f"[red]{_count(len(check.damage), 'problem')}[/red]"
        console.print(f"{escape(check.session_id)}: {check.checked} events{note}, {state}")
        for damage in check.damage:
            console.print(f"  {escape(damage.row)}: {escape(damage.problem)}")
    console.print(f"{_count(len(checks), 'session')} checked, {len(damaged)} damaged.")
    if not damaged:
        return
    if not repair:
        console.print("Repair: rataura2 sessions verify [ID] --repair (keeps each log up to its last intact event).")
        raise typer.Exit(1)
    remaining = 0
    for check in damaged:
        lost = check.last_seq - check.intact
        console.print(
            f"{escape(check.session_id)}: keep events 1 to {check.intact}, delete {lost} events after them and "
            f"{len(check.bad_snapshots)} damaged snapshots"
        )
        if not yes and not typer.confirm("Repair it?"):
            remaining += 1
            continue
        try:
            after = repair_session(manager.engine, check.session_id)
        except RatauraError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
            remaining += 1
            continue
        console.print(f"  repaired: {after.checked} events, {'ok' if after.ok else 'still damaged'}")
        remaining += not after.ok
    if remaining:
        raise typer.Exit(1)
