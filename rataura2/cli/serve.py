"""``rataura2 serve`` (the HTTP API, and the studio when it is built) and ``rataura2 token`` (its bearer tokens)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rataura2.cli.options import PLAIN_HELP, DatabaseOption, make_console, resolve_database_url
from rataura2.vocabulary.enums import Role

token_app = typer.Typer(help="Bearer tokens of the HTTP API: create (shown once), list, revoke.", **PLAIN_HELP)
console = make_console()


def serve(
    database_url: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes the API to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    durability: Annotated[str, typer.Option(help="Sessions created over HTTP: sync or async.")] = "sync",
    cors_origin: Annotated[
        list[str] | None, typer.Option("--cors-origin", help="Allow this browser origin (repeatable); none by default.")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (docs/api.md; OpenAPI at /docs) and, when it is built, the studio at /."""
    import uvicorn

    from rataura2.api.app import create_app
    from rataura2.errors import RatauraError

    if durability not in ("sync", "async"):
        raise RatauraError(f"--durability must be sync or async, got {durability!r}")
    app = create_app(
        resolve_database_url(database_url),
        durability="async" if durability == "async" else "sync",
        cors_origins=cors_origin or (),
    )
    console.print(f"rataura2 API on http://{host}:{port} (OpenAPI at /docs); tokens: rataura2 token create")
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="viewer (read), editor (definitions), operator (sessions) or admin.")],
    name: Annotated[str | None, typer.Option(help="Who or what it is for.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Make a token and print it, once: only its hash is stored."""
    from rataura2.api.tokens import create_token
    from rataura2.db.session import init_db

    with init_db(resolve_database_url(database_url)) as database, database() as db:
        row, token = create_token(db, role.value, name)
    console.print(f"token {row.id} ({escape(row.name)}, {row.role}); keep it now, it is not shown again:")
    print(token)


@token_app.command("list")
def token_list(database_url: DatabaseOption = None) -> None:
    """The tokens, without their secrets."""
    from rataura2.api.tokens import list_tokens
    from rataura2.db.session import init_db

    with init_db(resolve_database_url(database_url)) as database, database() as db:
        rows = list_tokens(db)
    table = Table("id", "name", "role", "created", "revoked")
    for r in rows:
        revoked = f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "-"
        table.add_row(str(r.id), escape(r.name), r.role, f"{r.created_at:%Y-%m-%d %H:%M}", revoked)
    console.print(table if rows else "No tokens.")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see token list).")],
    database_url: DatabaseOption = None,
) -> None:
    """Revoke a token: requests with it get 401 (within seconds on running servers)."""
    from rataura2.api.tokens import revoke_token
    from rataura2.db.session import init_db

    with init_db(resolve_database_url(database_url)) as database, database() as db:
        row = revoke_token(db, token_id)
    console.print(f"token {row.id} ({escape(row.name)}) revoked")
