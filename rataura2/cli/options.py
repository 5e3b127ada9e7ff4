"""Options shared by the command's sub-apps."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from rataura2.settings import get_settings

PLAIN_HELP: dict[str, Any] = {"rich_markup_mode": None, "no_args_is_help": True}
"""Settings of every command group: help as click prints it. Typer's rich help loads rich.markdown and markdown-it,
which would make ``rataura2 --help`` take several times longer."""

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", "-d", help="SQLAlchemy URL; default: RATAURA2_DATABASE_URL or sqlite:///rataura2.db"
    ),
]


def make_console(*, stderr: bool = False) -> Console:
    """The console every command prints with: user data as text (callers escape markup), no wrapping of long lines
    (they stay whole when piped or logged), and tables as wide as a terminal's or, piped, 160 columns rather than
    Rich's 80."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, soft_wrap=True, highlight=False, width=160 if piped else None)


def resolve_database_url(url: str | None) -> str:
    """The ``--database-url`` given, else the configured one."""
    return url or get_settings().database_url


def existing_database_url(url: str | None) -> str:
    """:func:`resolve_database_url` for commands that only read: a SQLite file that does not exist is an error
    naming it, instead of an empty database made on the spot (which would answer "nothing here" and leave a stray
    file behind, typically when the user forgot ``-d``)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from rataura2.errors import NoDatabaseError

    resolved = resolve_database_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        return resolved  # opening it says what is wrong with it
    database = parsed.database
    in_memory = database in (None, "", ":memory:") or "mode=memory" in resolved
    if parsed.get_backend_name() == "sqlite" and not in_memory and not Path(str(database)).expanduser().exists():
        given = "from --database-url" if url else "RATAURA2_DATABASE_URL, or the default when unset"
        raise NoDatabaseError(
            f"no database at {database} ({resolved}, {given}); point to yours with -d sqlite:///path/to/file.db or "
            "RATAURA2_DATABASE_URL (rataura2 demo, graph import and db upgrade make a new one)"
        )
    return resolved
