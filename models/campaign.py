"""Advertising campaigns by staff and one row per recipient, so sends resume exactly."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CampaignStatus, RecipientStatus, TimestampMixin, intpk


class Campaign(TimestampMixin, Base):
    __tablename__ = "campaign"

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    text_ko: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(255))  # Telegram file_id
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupon.id"), index=True)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[CampaignStatus] = mapped_column(default=CampaignStatus.DRAFT)
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(Integer)


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipient"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    status: Mapped[RecipientStatus] = mapped_column(default=RecipientStatus.PENDING, index=True)
    not_before: Mapped[datetime | None]  # night-time sends wait for the morning
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]  # while SENDING: when the sender took it (a lease)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(255))
