"""Session start without reading the definition: a revision per conversation that every edit moves on, and the
revision the latest version was published from.

``conversations.revision`` is the same column as the HTTP API's optimistic-concurrency revision (migration 0003 on
that branch); it is added here only if it is not there yet, so either order of the two migrations gives one column.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> set[str]:
    return {column["name"] for column in sa.inspect(op.get_bind()).get_columns("conversations")}


def upgrade() -> None:
    existing = _columns()
    with op.batch_alter_table("conversations") as batch:
        if "revision" not in existing:
            batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("published_revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("published_revision")
