"""Tool names are unique per conversation, not across the whole database.

Two conversations may each have their own ``end_conversation`` tool. Uniqueness within a conversation (tools are
linked to agents, agents to conversations) is checked when a definition is committed
(``rataura2.core.validation.check_tool_names``), with an error that names the tools, not an IntegrityError.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tools(*constraints: sa.Constraint) -> sa.Table:
    """The tools table as 0001 made it, with ``constraints`` besides its primary key."""
    return sa.Table(
        "tools",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("function_name", sa.String(length=255), nullable=False),
        sa.Column("parameters_schema", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        *constraints,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("tools_name_key", "tools", type_="unique")
    else:  # SQLite keeps an unnamed UNIQUE in the table itself: the table is rebuilt without it
        with op.batch_alter_table("tools", recreate="always", copy_from=_tools()):
            pass
    op.create_index("ix_tools_name", "tools", ["name"])


def downgrade() -> None:
    op.drop_index("ix_tools_name", table_name="tools")
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint("tools_name_key", "tools", ["name"])
    else:
        with op.batch_alter_table("tools", recreate="always", copy_from=_tools(sa.UniqueConstraint("name"))):
            pass
