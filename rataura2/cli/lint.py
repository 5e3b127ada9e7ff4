"""``rataura2 lint``: what to look at before a conversation goes live, for people and for CI."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from rataura2.cli.options import DatabaseOption, resolve_database_url


class LintFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


def lint_command(
    target: Annotated[
        str | None,
        typer.Argument(help="A conversation (id or name) in the database; default: every conversation."),
    ] = None,
    database_url: DatabaseOption = None,
    output_format: Annotated[LintFormat, typer.Option("--format", "-f", help="text, json or sarif.")] = LintFormat.TEXT,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on warnings too, not only errors.")] = False,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="A finding code to leave out (repeatable).")
    ] = None,
) -> None:
    """Lint conversation graphs: unreachable agents, dead ends, shadowed transitions, unknown tools, missing rule
    sets, context keys nothing sets, bouncing cycles... Exit 1 when there are errors (with --strict, warnings)."""
    from rataura2.db.lint import lint_all, lint_conversation
    from rataura2.db.session import init_db
    from rataura2.errors import RatauraError
    from rataura2.lint import CODES
    from rataura2.lint.render import FORMATS

    unknown = sorted(set(ignore or ()) - set(CODES))
    if unknown:
        raise RatauraError(f"unknown lint code(s) {', '.join(unknown)}; codes: {', '.join(CODES)}")
    with init_db(resolve_database_url(database_url))() as db:
        reports = lint_all(db) if target is None else [lint_conversation(db, target)]
    reports = [r.without(ignore or ()) for r in reports]
    print(FORMATS[output_format.value](reports), end="")
    if any(r.failed(strict=strict) for r in reports):
        raise typer.Exit(1)
