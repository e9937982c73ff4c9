"""lease campaign recipients while they are being sent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_recipient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_at", models.base.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_recipient", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
