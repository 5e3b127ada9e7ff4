"""``rataura2 graph diff``: what changed between two versions of a conversation, or a version and a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from rataura2.cli.options import DatabaseOption, existing_database_url, make_console
from rataura2.vocabulary import DRAFT

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from rataura2.db.models import Conversation
    from rataura2.document.model import ConversationDocument

console = make_console()


def side(db: Session, conversation: Conversation, which: str) -> tuple[str, ConversationDocument]:
    """One side of a diff as a document, with its name: ``draft``, a version number, or a document file."""
    from rataura2.document import codec
    from rataura2.document.export import document_from_spec, export_document
    from rataura2.errors import InvalidDocumentError
    from rataura2.persistence.versions import load_version

    if which == DRAFT:
        return DRAFT, export_document(db, conversation)
    if which.isdigit():
        return f"version {which}", document_from_spec(load_version(db, conversation.id, int(which)).spec)
    path = Path(which)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidDocumentError(
            (), f"{which!r} is neither 'draft', a version number nor a readable file ({exc.strerror})"
        ) from None
    return str(path), codec.load(text, codec.format_of(path.name))


def diff_command(
    conversation: Annotated[str, typer.Argument(help="Conversation id or name.")],
    before: Annotated[str, typer.Argument(help="'draft', a published version number, or a document file.")],
    after: Annotated[str, typer.Argument(help="'draft' (default), a version number, or a document file.")] = DRAFT,
    database_url: DatabaseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON (the HTTP API's shape).")] = False,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when the two differ (for CI).")] = False,
) -> None:
    """Show what changed from BEFORE to AFTER: agents, tools, transitions and rule sets added, removed or changed,
    field by field (transitions are told apart by source, target and their order between that pair)."""
    from rataura2.db.loader import find_conversation
    from rataura2.db.session import init_db
    from rataura2.document.diff import diff_documents

    with init_db(existing_database_url(database_url)) as database, database() as db:
        found = find_conversation(db, conversation)
        (old_name, old), (new_name, new) = side(db, found, before), side(db, found, after)
    diff = diff_documents(old, new)
    if as_json:
        ends = {"from_version": _version_key(before), "to_version": _version_key(after)}
        print(json.dumps({**ends, **diff}, indent=2))
    else:
        lines = describe(diff)
        console.print(f"[bold]{escape(found.name)}[/bold]: {escape(old_name)} -> {escape(new_name)}")
        for line in lines or ["no differences"]:
            console.print(f"  {escape(line)}")
    if exit_code and describe(diff):
        raise typer.Exit(1)


def _version_key(which: str) -> int | str:
    """How the HTTP API names a side: a version number, ``draft`` (or here, a file's path)."""
    return int(which) if which.isdigit() else which


def _text(value: Any) -> str:
    return json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


def _change(old: Any, new: Any, width: int = 76) -> str:
    """``old -> new``; long values are shown from a little before where they first differ, so that the change is
    what is seen (two long rule sets cut at the same length would look the same)."""
    before, after = _text(old), _text(new)
    if len(before) <= width + 4 and len(after) <= width + 4:
        return f"{before} -> {after}"
    same = next(
        (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), min(len(before), len(after))
    )
    start = max(0, same - width // 4)
    return f"{_window(before, start, width)} -> {_window(after, start, width)}"


def _window(text: str, start: int, width: int) -> str:
    return ("..." if start else "") + text[start : start + width] + ("..." if start + width < len(text) else "")


def _fields(fields: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {_change(v['from'], v['to'])}" for k, v in fields.items())


def describe(diff: dict[str, Any]) -> list[str]:
    """The diff in lines: ``+`` added, ``-`` removed, ``~`` changed (with each field's old and new value)."""
    lines = [f"~ conversation {_fields(diff['conversation']['changed'])}"] if diff["conversation"]["changed"] else []
    for kind in ("agents", "tools"):
        part = diff[kind]
        lines += [f"+ {kind[:-1]} {name}" for name in part["added"]]
        lines += [f"- {kind[:-1]} {name}" for name in part["removed"]]
        lines += [f"~ {kind[:-1]} {c['name']}: {_fields(c['fields'])}" for c in part["changed"]]

    def ref(t: dict[str, Any]) -> str:
        return f"{t['source']} -> {t['target']} #{t['index'] + 1} ({t['condition_type']})"

    part = diff["transitions"]
    lines += [f"+ transition {ref(t)}" for t in part["added"]]
    lines += [f"- transition {ref(t)}" for t in part["removed"]]
    lines += [f"~ transition {ref(t)}: {_fields(t['fields'])}" for t in part["changed"]]
    rules = diff["rules"]
    lines += [f"+ rules of {ref(t)}" for t in rules["added"]]
    lines += [f"- rules of {ref(t)}" for t in rules["removed"]]
    lines += [f"~ rules of {ref(t)}: {_change(t['from'], t['to'])}" for t in rules["changed"]]
    return lines
