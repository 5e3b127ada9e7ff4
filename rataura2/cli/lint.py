"""``rataura2 lint``: what to look at before a conversation goes live, for people and for CI."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rataura2.cli.options import DatabaseOption, existing_database_url

if TYPE_CHECKING:
    from rataura2.lint import LintReport

DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")


class LintFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


def lint_file(path: Path) -> LintReport:
    """The lint report of a conversation document (YAML or JSON)."""
    from rataura2.document import codec
    from rataura2.document.spec import document_lines, graph_spec_of
    from rataura2.errors import InvalidDocumentError
    from rataura2.lint import lint_graph

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidDocumentError((), f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        spec = graph_spec_of(codec.load(text, codec.format_of(path.name)))
    except InvalidDocumentError as exc:
        raise InvalidDocumentError((), f"{path}: {exc}") from None
    return lint_graph(spec).from_file(str(path), document_lines(text))


def _is_file(target: str) -> bool:
    return target.lower().endswith(DOCUMENT_SUFFIXES) or Path(target).is_file()


def lint_command(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Conversations (id or name) in the database, or conversation documents (.yaml, .json); "
            "default: every conversation in the database.",
            show_default=False,
        ),
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
    from rataura2.errors import RatauraError
    from rataura2.lint import CODES
    from rataura2.lint.render import FORMATS

    unknown = sorted(set(ignore or ()) - set(CODES))
    if unknown:
        raise RatauraError(f"unknown lint code(s) {', '.join(unknown)}; codes: {', '.join(CODES)}")
    wanted = targets or []
    files = [t for t in wanted if _is_file(t)]
    names = [t for t in wanted if not _is_file(t)]
    reports = [lint_file(Path(f)) for f in files]
    if names or not wanted:
        from rataura2.db.lint import lint_all, lint_conversation
        from rataura2.db.session import init_db

        with init_db(existing_database_url(database_url)) as database, database() as db:
            reports += [lint_conversation(db, name) for name in names] if names else lint_all(db)
    reports = [r.without(ignore or ()) for r in reports]
    print(FORMATS[output_format.value](reports), end="")
    if any(r.failed(strict=strict) for r in reports):
        raise typer.Exit(1)
