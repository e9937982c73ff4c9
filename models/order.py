"""Orders (a cart is an order in status CART), their lines and chosen options."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Fulfilment, OrderStatus, TimestampMixin, intpk, str64, won

if TYPE_CHECKING:
    from models.region import Merchant


class Order(TimestampMixin, Base):
    __tablename__ = "customer_order"
    __table_args__ = (
        # one open cart per resident
        Index(
            "uq_customer_order_open_cart",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'cart'"),
            postgresql_where=text("status = 'cart'"),
        ),
        Index("ix_customer_order_status_changed", "status", "status_changed_at"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(default=OrderStatus.CART)
    status_changed_at: Mapped[datetime | None]
    fulfilment: Mapped[Fulfilment] = mapped_column(default=Fulfilment.DELIVERY)
    address_text: Mapped[str | None] = mapped_column(String(500))
    address_dong: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    phone: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    subtotal: Mapped[won] = mapped_column(default=0)
    delivery_fee: Mapped[won] = mapped_column(default=0)
    discount: Mapped[won] = mapped_column(default=0)
    total: Mapped[won] = mapped_column(default=0)
    issued_coupon_id: Mapped[int | None] = mapped_column(
        ForeignKey("issued_coupon.id"), index=True
    )
    eta_minutes: Mapped[int | None] = mapped_column(Integer)
    reject_reason: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    alerts_sent: Mapped[int] = mapped_column(Integer, default=0)
    placed_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    # read only where a query loads it (a cart with its shop); merchant_id is what is written
    merchant: Mapped["Merchant"] = relationship(lazy="raise", viewonly=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class OrderLine(Base):
    __tablename__ = "order_line"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("menu_item.id", ondelete="SET NULL"), index=True
    )
    item_code: Mapped[str64]
    name: Mapped[str]  # snapshot at order time
    name_en: Mapped[str]
    unit_price: Mapped[won]  # item price plus option prices
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    excluded: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="lines")
    options: Mapped[list["OrderLineOption"]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="OrderLineOption.id"
    )

    @property
    def line_total(self) -> int:
        """Unit price times quantity."""
        return self.unit_price * self.quantity


class OrderLineOption(Base):
    __tablename__ = "order_line_option"

    id: Mapped[intpk]
    line_id: Mapped[int] = mapped_column(
        ForeignKey("order_line.id", ondelete="CASCADE"), index=True
    )
    choice_id: Mapped[int | None] = mapped_column(
        ForeignKey("option_choice.id", ondelete="SET NULL"), index=True
    )
    group_code: Mapped[str64]
    choice_code: Mapped[str64]
    name: Mapped[str]
    name_en: Mapped[str]
    price: Mapped[won] = mapped_column(default=0)
    amount: Mapped[str | None] = mapped_column(String(16))  # "extra" / "light"

    line: Mapped[OrderLine] = relationship(back_populates="options")
