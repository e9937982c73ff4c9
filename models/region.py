"""A region, its merchants and their menus (the aggregate a menu pack fills)."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, intpk, str64, won


class Region(TimestampMixin, Base):
    __tablename__ = "region"

    id: Mapped[intpk]
    code: Mapped[str64] = mapped_column(unique=True)
    name: Mapped[str]
    name_en: Mapped[str]
    currency: Mapped[str64]  # local currency code, e.g. "seoro-eeum" (서로e음)

    merchants: Mapped[list["Merchant"]] = relationship(
        back_populates="region", order_by="Merchant.position"
    )


class Merchant(TimestampMixin, Base):
    __tablename__ = "merchant"
    __table_args__ = (UniqueConstraint("region_id", "code"),)

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"))
    code: Mapped[str64]
    name: Mapped[str]
    name_en: Mapped[str]
    category: Mapped[str64] = mapped_column(index=True)
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None]
    phone: Mapped[str | None] = mapped_column(String(32))
    hours: Mapped[str] = mapped_column(String(64))  # "11:00-24:00", may pass midnight
    min_order: Mapped[won]
    delivery_fee: Mapped[won]
    delivery_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    region: Mapped[Region] = relationship(back_populates="merchants")
    items: Mapped[list["MenuItem"]] = relationship(
        back_populates="merchant", order_by="MenuItem.position", cascade="all, delete-orphan"
    )


class MenuItem(TimestampMixin, Base):
    __tablename__ = "menu_item"
    __table_args__ = (UniqueConstraint("merchant_id", "code"),)

    id: Mapped[intpk]
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id", ondelete="CASCADE"))
    code: Mapped[str64]
    name: Mapped[str]
    name_en: Mapped[str]
    category: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    price: Mapped[won]
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    popular: Mapped[bool] = mapped_column(Boolean, default=False)
    sold_out: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    merchant: Mapped[Merchant] = relationship(back_populates="items")
    option_groups: Mapped[list["OptionGroup"]] = relationship(
        back_populates="item", order_by="OptionGroup.position", cascade="all, delete-orphan"
    )


class OptionGroup(Base):
    __tablename__ = "option_group"
    __table_args__ = (UniqueConstraint("item_id", "code"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("menu_item.id", ondelete="CASCADE"))
    code: Mapped[str64]
    name: Mapped[str]
    name_en: Mapped[str]
    min_select: Mapped[int] = mapped_column(Integer, default=0)
    max_select: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)

    item: Mapped[MenuItem] = relationship(back_populates="option_groups")
    choices: Mapped[list["OptionChoice"]] = relationship(
        back_populates="group", order_by="OptionChoice.position", cascade="all, delete-orphan"
    )

    @property
    def required(self) -> bool:
        """A group the resident must choose from."""
        return self.min_select > 0


class OptionChoice(Base):
    __tablename__ = "option_choice"
    __table_args__ = (UniqueConstraint("group_id", "code"),)

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("option_group.id", ondelete="CASCADE"))
    code: Mapped[str64]
    name: Mapped[str]
    name_en: Mapped[str]
    price: Mapped[won] = mapped_column(default=0)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    sold_out: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    group: Mapped[OptionGroup] = relationship(back_populates="choices")


class MerchantMember(TimestampMixin, Base):
    """A Telegram user linked to a shop: receives its alerts and may press its buttons."""

    __tablename__ = "merchant_member"
    __table_args__ = (UniqueConstraint("merchant_id", "user_id"),)

    id: Mapped[intpk]
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)


class MerchantInvite(TimestampMixin, Base):
    """A single-use, expiring deep-link code that links an owner's chat to a shop, or (with
    no shop) makes the account a member of the city's staff."""

    __tablename__ = "merchant_invite"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[int | None] = mapped_column(
        ForeignKey("merchant.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
