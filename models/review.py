"""Reviews (꿀맛 평가): one per delivered order, with the owner's single reply."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, intpk


class Review(TimestampMixin, Base):
    __tablename__ = "review"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
