"""The engine and sessions: ``init_db`` brings the schema to the latest migration and hands out sessions."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from rataura2.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the ``RATAURA2_DATABASE_URL`` setting). SQLite gets foreign keys on and
    WAL journaling; an in-memory SQLite database is one shared connection."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


class Database(sessionmaker[Session]):
    """A database at the latest migration: calling it opens a :class:`~sqlalchemy.orm.Session` (it is a
    ``sessionmaker``), and it owns its engine, so ``dispose()`` (or leaving a ``with`` block) lets the connections
    go without reaching into the factory's arguments."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(bind=engine, expire_on_commit=False)
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Close every pooled connection (the handle stays usable; new sessions reconnect)."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()


def init_db(url: str | None = None, *, engine: Engine | None = None) -> Database:
    """Upgrade the database at ``url`` (default: the ``RATAURA2_DATABASE_URL`` setting) to the latest migration and
    return a handle that opens sessions on it: ``with init_db(url) as db: session = db()``."""
    engine = engine or make_engine(url)
    upgrade(engine)
    return Database(engine)


__all__ = ["Database", "init_db", "make_engine", "upgrade"]
