"""Flow design: role instructions, conversation tools and sensitive keys; agents' on_enter / on_exit actions,
context strategy and sensitive input.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role_instructions", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sensitive_keys", Json, nullable=True))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_enter", Json, nullable=True))
        batch_op.add_column(sa.Column("on_exit", Json, nullable=True))
        batch_op.add_column(
            sa.Column("context_strategy", sa.String(length=30), server_default="append", nullable=False)
        )
        batch_op.add_column(sa.Column("context_options", Json, nullable=True))
        batch_op.add_column(sa.Column("sensitive_input", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "conversation_tools",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tool_id"], ["tools.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", "tool_id"),
    )


def downgrade() -> None:
    op.drop_table("conversation_tools")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("sensitive_input")
        batch_op.drop_column("context_options")
        batch_op.drop_column("context_strategy")
        batch_op.drop_column("on_exit")
        batch_op.drop_column("on_enter")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("sensitive_keys")
        batch_op.drop_column("role_instructions")
