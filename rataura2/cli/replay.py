"""``rataura2 replay``: re-run the recorded sessions of a conversation on its draft or on another version and
report every session whose route would change."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from rataura2.cli.options import DatabaseOption, existing_database_url, make_console
from rataura2.errors import RatauraError
from rataura2.vocabulary import DRAFT

console = make_console()
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SHOWN = 50
"""Changed sessions listed in the text report (``--format json`` lists them all)."""


class ReplayFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """An ISO date or time (``2025-01-31``, ``2025-01-31T10:00``; UTC unless it says otherwise), or a duration
    back from now (``30m``, ``12h``, ``7d``, ``2w``)."""
    now = now or datetime.now(UTC)
    duration = _DURATION.match(value.strip())
    if duration:
        return now - timedelta(**{_UNITS[duration[2]]: float(duration[1])})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RatauraError(
            f"--since takes a date or time (2025-01-31, 2025-01-31T10:00) or a duration (30m, 12h, 7d), not {value!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def replay_command(
    conversation: Annotated[str, typer.Argument(help="Conversation id or name.")],
    against: Annotated[
        str, typer.Option("--against", help="'draft' (the definition as edited now) or a published version number.")
    ] = DRAFT,
    database_url: DatabaseOption = None,
    since: Annotated[
        str | None, typer.Option(help="Only sessions created since: a date/time or a duration (7d, 12h).")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the N most recent sessions.")] = None,
    output_format: Annotated[ReplayFormat, typer.Option("--format", "-f", help="text or json.")] = ReplayFormat.TEXT,
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help="Exit 1 when any session's route changes (for CI).")
    ] = False,
) -> None:
    """Replay the recorded sessions of CONVERSATION (their user turns, tool results, decisions and room events, from
    the event log) on another version, in memory, and report each session whose route diverges: the first divergent
    event, the agent before it, where the session went then and where it goes now, and why."""
    from rataura2.db.session import init_db
    from rataura2.testing.replaying import replay_conversation

    moment = parse_since(since) if since is not None else None
    with init_db(existing_database_url(database_url))() as db:
        if output_format is ReplayFormat.JSON or not console.is_terminal:
            report = replay_conversation(db, conversation, against, since=moment, limit=limit)
        else:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("replaying", total=None)
                report = replay_conversation(
                    db,
                    conversation,
                    against,
                    since=moment,
                    limit=limit,
                    on_loaded=lambda sessions: bar.update(task, total=len(sessions)),
                    progress=lambda done: bar.update(task, completed=done),
                )
    if output_format is ReplayFormat.JSON:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print(report)
    if fail_on_change and report.changed:
        raise typer.Exit(1)


def _print(report: object) -> None:
    from rataura2.replay import ReplayReport

    assert isinstance(report, ReplayReport)
    versions = ", ".join(f"v{v}" for v in report.versions) or "none"
    changed = report.changed
    summary = Table(title=f"{escape(report.conversation)}: recorded sessions replayed on {report.against}")
    for column in ("sessions", "events", "route changed", "unchanged", "recorded on", "time"):
        summary.add_column(column, justify="right")
    summary.add_row(
        str(len(report.sessions)),
        str(report.events),
        f"[red]{len(changed)}[/red]" if changed else "0",
        str(len(report.sessions) - len(changed)),
        versions,
        f"{report.seconds:.2f} s",
    )
    console.print(summary)
    if not changed:
        console.print("No session's route changes.")
        return
    table = Table(title="Sessions whose route changes (first divergent event)")
    for column in ("session", "event", "agent before", "was", "now"):
        table.add_column(column, overflow="fold")
    for session in changed[:SHOWN]:
        d = session.divergence
        assert d is not None
        table.add_row(
            escape(session.session_id),
            f"#{d.index} {escape(d.event)}",
            escape(d.agent_before),
            f"{escape(d.old_after)}: {escape(d.old_reason)}",
            f"{escape(d.new_after)}: {escape(d.new_reason)}",
        )
    console.print(table)
    if len(changed) > SHOWN:
        console.print(f"... and {len(changed) - SHOWN} more (--format json lists them all).")
