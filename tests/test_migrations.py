"""The migrations make exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rataura2.db.models import Base
from rataura2.db.session import Database


def test_the_migrated_schema_is_the_models_schema(sessions: Database) -> None:
    with sessions.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
