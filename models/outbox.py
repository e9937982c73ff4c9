"""Messages to send, written in the same transaction as the change that causes them; and
the sent messages whose buttons act on an order, taken off once it moves on."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, OutboxStatus, intpk, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_available", "status", "available_at"),)

    id: Mapped[intpk]
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # what to render: "order_paid", ...
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(255))


class OrderMessage(Base):
    """A sent message whose buttons act on an order (a shop's alert, a payment link): they
    are taken off once the order moves on, so nobody presses a button that no longer applies."""

    __tablename__ = "order_message"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )
    # what the message says once its buttons are gone (its question left out); None: the
    # text stays as it is (a message a handler redrew when its button was pressed)
    retired_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
