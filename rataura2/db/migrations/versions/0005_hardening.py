"""Integrity: a checksum on each logged event and each snapshot, verified when a session is resumed.

Rows written before this migration have none and are taken as they are.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checksum", sa.String(length=64), nullable=True))
    with op.batch_alter_table("session_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checksum", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_snapshots", schema=None) as batch_op:
        batch_op.drop_column("checksum")
    with op.batch_alter_table("session_events", schema=None) as batch_op:
        batch_op.drop_column("checksum")
