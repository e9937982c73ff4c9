"""staff invites: an invite without a shop makes its user staff

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchant_invite", schema=None) as batch_op:
        batch_op.alter_column("merchant_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM merchant_invite WHERE merchant_id IS NULL")
    with op.batch_alter_table("merchant_invite", schema=None) as batch_op:
        batch_op.alter_column("merchant_id", existing_type=sa.Integer(), nullable=False)
