"""Updates Telegram posted to the webhook, kept until handled (several instances share them)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class InboundUpdate(Base):
    """One update: stored before the webhook answers 200, claimed by one instance with a
    lease, marked done once handled. Its id is Telegram's update_id: a second delivery of the
    same update is recognised and dropped."""

    __tablename__ = "inbound_update"
    __table_args__ = (
        # The claim reads only updates not done yet. Partial indexes hold those alone, not a
        # day of done ones; and a lease taken or renewed changes no indexed column, so on
        # PostgreSQL it can update the row in place and leave no entry behind in any index.
        Index(
            "ix_inbound_update_waiting",
            "update_id",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
        Index(
            "ix_inbound_update_waiting_chat",
            "chat_id",
            "update_id",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
        Index("ix_inbound_update_done_at", "done_at"),  # the purge of old done updates
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]  # the lease of the instance handling it
    claimed_by: Mapped[str | None] = mapped_column(String(32))  # that instance
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None]
