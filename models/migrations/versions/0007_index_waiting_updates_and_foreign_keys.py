"""index the inbox's waiting updates only, and every foreign key

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:00:00

The inbox's claim looked through every version of every update not done that PostgreSQL had
not vacuumed yet: with the lease in an index, each claim added entries to every index, and a
claim cost 20-30 ms of the server's time after a few thousand updates. Its indexes now hold
the waiting updates alone.

Foreign keys without an index made reads by them (an order's lines, a user's addresses) and
every delete of the row they point to (a cart emptied: its outbox and its lines) scan the
whole table, which grows with every order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("done_at IS NULL")

FOREIGN_KEYS = [  # (table, column): indexed as ix_<table>_<column>
    ("address", "user_id"),
    ("campaign", "coupon_id"),
    ("campaign", "created_by_id"),
    ("campaign", "region_id"),
    ("campaign_recipient", "user_id"),
    ("coupon", "created_by_id"),
    ("coupon", "region_id"),
    ("customer_order", "issued_coupon_id"),
    ("issued_coupon", "campaign_id"),
    ("issued_coupon", "user_id"),
    ("merchant_invite", "created_by_id"),
    ("merchant_invite", "merchant_id"),
    ("merchant_invite", "used_by_id"),
    ("merchant_member", "user_id"),
    ("order_line", "item_id"),
    ("order_line", "order_id"),
    ("order_line_option", "choice_id"),
    ("order_line_option", "line_id"),
    ("outbox", "order_id"),
    ("review", "user_id"),
]


def upgrade() -> None:
    with op.batch_alter_table("inbound_update", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_update_done_claimed")
        batch_op.drop_index("ix_inbound_update_chat")
        batch_op.create_index(
            "ix_inbound_update_waiting",
            ["update_id"],
            unique=False,
            postgresql_where=WAITING,
            sqlite_where=WAITING,
        )
        batch_op.create_index(
            "ix_inbound_update_waiting_chat",
            ["chat_id", "update_id"],
            unique=False,
            postgresql_where=WAITING,
            sqlite_where=WAITING,
        )
        batch_op.create_index("ix_inbound_update_done_at", ["done_at"], unique=False)
    for table, column in FOREIGN_KEYS:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(FOREIGN_KEYS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    with op.batch_alter_table("inbound_update", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_update_done_at")
        batch_op.drop_index("ix_inbound_update_waiting_chat")
        batch_op.drop_index("ix_inbound_update_waiting")
        batch_op.create_index("ix_inbound_update_chat", ["chat_id", "update_id"], unique=False)
        batch_op.create_index(
            "ix_inbound_update_done_claimed", ["done_at", "claimed_at"], unique=False
        )
