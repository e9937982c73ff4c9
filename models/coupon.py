"""Coupons funded by the city, and the copies issued to residents."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CouponKind, CouponScope, TimestampMixin, intpk, won


class Coupon(TimestampMixin, Base):
    __tablename__ = "coupon"

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)  # for /coupon CODE
    name: Mapped[str]
    name_en: Mapped[str]
    kind: Mapped[CouponKind]
    value: Mapped[int] = mapped_column(Integer)  # won, or percent
    max_discount: Mapped[int | None]  # cap for percent coupons
    min_order: Mapped[won] = mapped_column(default=0)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime]
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    budget: Mapped[won]  # total won the city funds
    spent: Mapped[won] = mapped_column(default=0)
    scope: Mapped[CouponScope] = mapped_column(default=CouponScope.REGION)
    scope_value: Mapped[str | None] = mapped_column(String(64))  # category or merchant code
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)


class IssuedCoupon(TimestampMixin, Base):
    __tablename__ = "issued_coupon"
    __table_args__ = (UniqueConstraint("coupon_id", "user_id", "serial"),)

    id: Mapped[intpk]
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupon.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    serial: Mapped[int] = mapped_column(Integer, default=1)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"), index=True)
    reserved_order_id: Mapped[int | None] = mapped_column(Integer)
    used_at: Mapped[datetime | None]
    discount: Mapped[int | None]
