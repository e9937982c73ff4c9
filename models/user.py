"""People who write to the bot, and the addresses they deliver to."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Role, TimestampMixin, intpk, tg_id


class User(TimestampMixin, Base):
    __tablename__ = "app_user"

    id: Mapped[intpk]
    telegram_id: Mapped[tg_id] = mapped_column(unique=True)
    first_name: Mapped[str | None]
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))  # what Telegram says
    locale: Mapped[str | None] = mapped_column(String(8))  # what the user chose: ko / en
    role: Mapped[Role] = mapped_column(default=Role.RESIDENT)
    phone: Mapped[str | None] = mapped_column(String(32))
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    marketing_consent_at: Mapped[datetime | None]
    night_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    night_consent_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]  # the user blocked the bot (403 on send)
    forgotten_at: Mapped[datetime | None]
    # What the bot waits for from this user (an address, a review text...), kept in the
    # database so that any instance, after any restart, reads the next message right.
    awaiting: Mapped[str | None] = mapped_column(String(32))
    awaiting_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Address.id"
    )


class Address(TimestampMixin, Base):
    __tablename__ = "address"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(500))
    dong: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="addresses")
