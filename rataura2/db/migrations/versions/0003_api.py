"""The HTTP API: bearer tokens, a revision per conversation for optimistic concurrency, saved node positions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("conversation_agents") as batch:
        batch.add_column(sa.Column("position_x", sa.Double(), nullable=True))
        batch.add_column(sa.Column("position_y", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_agents") as batch:
        batch.drop_column("position_y")
        batch.drop_column("position_x")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("revision")
    op.drop_table("api_tokens")
