"""Updates Telegram posted to the webhook, kept until handled (several instances share them)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class InboundUpdate(Base):
    """One update: stored before the webhook answers 200, claimed by one instance with a
    lease, marked done once handled. Its id is Telegram's update_id: a second delivery of the
    same update is recognised and dropped."""

    __tablename__ = "inbound_update"
    __table_args__ = (
        Index("ix_inbound_update_done_claimed", "done_at", "claimed_at"),
        Index("ix_inbound_update_chat", "chat_id", "update_id"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]  # the lease of the instance handling it
    claimed_by: Mapped[str | None] = mapped_column(String(32))  # that instance
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None]
