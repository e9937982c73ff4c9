"""Payments through a local-currency provider, and deliveries through an agency."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import (
    Base,
    DeliveryStatus,
    PaymentStatus,
    TimestampMixin,
    intpk,
    str64,
    won,
)


class Payment(TimestampMixin, Base):
    __tablename__ = "payment"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    provider: Mapped[str64]
    token: Mapped[str] = mapped_column(String(64), unique=True)  # in the payment link
    provider_tx_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    amount: Mapped[won]
    currency: Mapped[str64]
    status: Mapped[PaymentStatus] = mapped_column(default=PaymentStatus.PENDING)
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    refund_tx_id: Mapped[str | None] = mapped_column(String(128))


class CallbackNonce(Base):
    """A nonce seen in a signed provider callback; a replay finds it here."""

    __tablename__ = "callback_nonce"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str64]
    received_at: Mapped[datetime]


class Delivery(TimestampMixin, Base):
    __tablename__ = "delivery"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    agency: Mapped[str64]  # "self" when the shop delivers itself
    agency_ref: Mapped[str | None] = mapped_column(String(128), unique=True)
    rider_name: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.REQUESTED)
