"""``rataura2 graph export`` and ``graph import``: conversations as files, so that flows live in git."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from rataura2.cli.checks import output_file
from rataura2.cli.options import DatabaseOption, existing_database_url, make_console, resolve_database_url

console = make_console(stderr=True)


def export_command(
    conversation: Annotated[str, typer.Argument(help="Conversation id or name.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (.yaml/.yml: YAML, else JSON); default stdout.")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="yaml or json (default: from the file name, else yaml).")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write a conversation (agents, tools, transitions, rules, layout) as a document."""
    from rataura2.db.loader import find_conversation
    from rataura2.db.session import init_db
    from rataura2.document import codec
    from rataura2.document.export import export_document

    if output is not None:
        output_file(output, "--output", "flow.yaml")
    chosen = fmt or (codec.format_of(output.name) if output is not None else "yaml")
    with init_db(existing_database_url(database_url)) as database, database() as db:
        text = codec.dump(export_document(db, find_conversation(db, conversation)), chosen)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"Wrote {escape(str(output))}")


def import_command(
    path: Annotated[Path, typer.Argument(help="A document (.yaml/.yml or .json).")],
    publish: Annotated[bool, typer.Option("--publish", help="Also publish it as a new version.")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Make the conversation the document names what the document says (created if new); all or nothing."""
    from rataura2.db.session import init_db
    from rataura2.document import codec
    from rataura2.document.apply import apply_document
    from rataura2.errors import InvalidDocumentError
    from rataura2.persistence.versions import publish as publish_version

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidDocumentError((), f"cannot read {path}: {exc.strerror}") from None
    document = codec.load(text, codec.format_of(path.name))
    with init_db(resolve_database_url(database_url)) as database, database() as db:
        applied = apply_document(db, document)
        db.commit()
        what = "created" if applied.created else "updated" if applied.changed else "unchanged"
        line = f"{escape(document.name)}: {what} (revision {applied.conversation.revision})"
        if publish:
            line += f", published as version {publish_version(db, applied.conversation).version}"
    console.print(line)
