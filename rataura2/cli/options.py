"""Options shared by the command's sub-apps."""

from __future__ import annotations

from typing import Annotated

import typer

from rataura2.settings import get_settings

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", "-d", help="SQLAlchemy URL; default: RATAURA2_DATABASE_URL or sqlite:///rataura2.db"
    ),
]


def resolve_database_url(url: str | None) -> str:
    """The ``--database-url`` given, else the configured one."""
    return url or get_settings().database_url
