"""Declarative base, shared column types and enums of the data model."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import BigInteger, DateTime, Enum, Integer, MetaData, String, func
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite gives them back naive, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and normalise to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes on every backend."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def str_enum(enum_cls: type[StrEnum]) -> Enum:
    """Store a StrEnum by value in a VARCHAR, the same on SQLite and PostgreSQL."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=24,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


class Role(StrEnum):
    RESIDENT = "resident"
    MERCHANT = "merchant"
    STAFF = "staff"


class OrderStatus(StrEnum):
    CART = "cart"
    AWAITING_PAYMENT = "awaiting_payment"
    EXPIRED = "expired"
    PAID = "paid"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"


class Fulfilment(StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    DECLINED = "declined"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class DeliveryStatus(StrEnum):
    REQUESTED = "requested"
    ASSIGNED = "assigned"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class CouponKind(StrEnum):
    FIXED = "fixed"
    PERCENT = "percent"


class CouponScope(StrEnum):
    REGION = "region"
    CATEGORY = "category"
    MERCHANT = "merchant"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class RecipientStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; back to PENDING if that sender died
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # the resident blocked the bot (403)
    OPTED_OUT = "opted_out"  # consent withdrawn after the audience was drawn


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
tg_id = Annotated[int, mapped_column(BigInteger)]
won = Annotated[int, mapped_column(Integer)]
str64 = Annotated[str, mapped_column(String(64))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012
        datetime: UtcDateTime(),
        str: String(255),
        Role: str_enum(Role),
        OrderStatus: str_enum(OrderStatus),
        Fulfilment: str_enum(Fulfilment),
        PaymentStatus: str_enum(PaymentStatus),
        DeliveryStatus: str_enum(DeliveryStatus),
        CouponKind: str_enum(CouponKind),
        CouponScope: str_enum(CouponScope),
        CampaignStatus: str_enum(CampaignStatus),
        RecipientStatus: str_enum(RecipientStatus),
        OutboxStatus: str_enum(OutboxStatus),
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )
