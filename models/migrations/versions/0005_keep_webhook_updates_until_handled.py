"""keep webhook updates until handled

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbound_update")),
    )
    with op.batch_alter_table("inbound_update", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_update_chat", ["chat_id", "update_id"], unique=False)
        batch_op.create_index(
            "ix_inbound_update_done_claimed", ["done_at", "claimed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_update", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_update_done_claimed")
        batch_op.drop_index("ix_inbound_update_chat")

    op.drop_table("inbound_update")
