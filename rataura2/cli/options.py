"""Options shared by the command's sub-apps."""

from __future__ import annotations

from typing import Annotated, Any

import typer

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


def resolve_database_url(url: str | None) -> str:
    """The ``--database-url`` given, else the configured one."""
    return url or get_settings().database_url
