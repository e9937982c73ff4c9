"""Checkout: from the cart to an order waiting for payment (delivery or pickup, address,
phone, note), each step saved on the cart so any instance can continue it."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import coupons, ordering, users
from bot.services.errors import (
    BelowMinimumOrder,
    CartEmpty,
    CheckoutIncomplete,
    InvalidPhone,
    NotFound,
    OptionsMissing,
    OutsideDeliveryArea,
    ShopUnavailable,
    SoldOut,
)
from models.base import Fulfilment, OrderStatus, utcnow
from models.order import Order
from models.region import MenuItem, Merchant
from models.user import Address, User

NOTE_LIMIT = 300
ADDRESS_LIMIT = 200
_PHONE = re.compile(r"^(?:\+?82[-\s]?)?0?(1[016789])[-\s]?(\d{3,4})[-\s]?(\d{4})$")

AWAIT_ADDRESS = "checkout_address"
AWAIT_NOTE = "checkout_note"
AWAIT_PHONE = "checkout_phone"


@dataclass(frozen=True)
class SavedAddress:
    id: int
    label: str | None
    text: str
    dong: str | None
    deliverable: bool = True  # in the delivery area of the cart's shop (as set_address judges)


@dataclass(frozen=True)
class Checkout:
    """The cart with what checkout knows so far."""

    cart: ordering.CartView
    fulfilment: Fulfilment | None
    address: str | None
    dong: str | None
    phone: str | None
    note: str | None
    saved_addresses: tuple[SavedAddress, ...]
    delivery_areas: tuple[str, ...]
    offers: tuple[coupons.Offer, ...] = ()  # the resident's coupons that fit
    coupon: coupons.Offer | None = None  # the one chosen

    @property
    def delivery_fee(self) -> int:
        """No fee for pickup."""
        return 0 if self.fulfilment == Fulfilment.PICKUP else self.cart.delivery_fee

    @property
    def discount(self) -> int:
        """What the chosen coupon takes off."""
        return self.coupon.discount if self.coupon else 0

    @property
    def total(self) -> int:
        """What the resident pays."""
        return self.cart.subtotal + self.delivery_fee - self.discount


def normalize_phone(text: str) -> str:
    """A Korean mobile number as 010-1234-5678, or InvalidPhone."""
    match = _PHONE.match(text.strip())
    if match is None:
        raise InvalidPhone(text[:32])
    prefix, middle, last = match.groups()
    return f"0{prefix}-{middle}-{last}"


def _area(text: str, dong: str | None, areas: list[str]) -> bool:
    """Whether an address (its 동, else the one its text names) is in the delivery area."""
    dong = dong or find_dong(text, areas)
    return dong is not None and dong in areas


def find_dong(text: str, areas: list[str]) -> str | None:
    """The delivery-area 동 named in an address, if any (longest name first: 청라1동 ≠ 청라)."""
    compact = re.sub(r"\s+", "", text)
    for area in sorted(areas, key=len, reverse=True):
        if re.sub(r"\s+", "", area) in compact:
            return area
    return None


async def _state(session: AsyncSession, telegram_id: int) -> tuple[User, Order, Merchant]:
    user = await session.scalar(
        select(User).where(User.telegram_id == telegram_id).options(selectinload(User.addresses))
    )
    if user is None:
        raise NotFound("user", telegram_id)
    cart = await session.scalar(
        select(Order).where(Order.user_id == user.id, Order.status == OrderStatus.CART)
    )
    if cart is None or not await ordering.has_lines(session, cart.id):
        raise CartEmpty
    merchant = await session.get(Merchant, cart.merchant_id)
    assert merchant is not None  # noqa: S101 (foreign key)
    return user, cart, merchant


async def view(session: AsyncSession, *, telegram_id: int, now: datetime) -> Checkout:
    """The cart and the checkout choices made so far."""
    user, order, merchant = await _state(session, telegram_id)
    cart = await ordering.view(session, telegram_id=telegram_id, now=now)
    if cart is None:
        raise CartEmpty
    offers = await coupons.offers(
        session, telegram_id=telegram_id, order_id=order.id, subtotal=cart.subtotal, now=now
    )
    return Checkout(
        cart=cart,
        fulfilment=(
            order.fulfilment
            if order.fulfilment == Fulfilment.PICKUP or order.address_text
            else None
        ),
        address=order.address_text,
        dong=order.address_dong,
        phone=order.phone or user.phone,
        note=order.note,
        saved_addresses=tuple(
            SavedAddress(
                a.id, a.label, a.text, a.dong, _area(a.text, a.dong, merchant.delivery_areas)
            )
            for a in sorted(
                user.addresses, key=lambda a: a.last_used_at or a.created_at, reverse=True
            )
        ),
        delivery_areas=tuple(merchant.delivery_areas),
        offers=tuple(offers),
        coupon=next((o for o in offers if o.issued_id == order.issued_coupon_id), None),
    )


async def begin_check(session: AsyncSession, *, telegram_id: int, now: datetime) -> None:
    """Check the cart can be ordered now: options chosen, shop open, minimum reached."""
    _, _, merchant = await _state(session, telegram_id)
    cart = await ordering.view(session, telegram_id=telegram_id, now=now)
    if cart is None:
        raise CartEmpty
    if cart.missing:
        raise OptionsMissing
    if not cart.shop.open_now or cart.shop.paused:
        raise ShopUnavailable(
            merchant.id, merchant.name, merchant.name_en, merchant.hours, merchant.paused
        )
    gone = await session.scalar(
        select(MenuItem)
        .where(
            MenuItem.id.in_([line.item_id for line in cart.lines if line.item_id]),
            or_(MenuItem.sold_out.is_(True), MenuItem.active.is_(False)),
        )
        .limit(1)
    )
    if gone is not None or any(line.item_id is None for line in cart.lines):
        name = (gone.name, gone.name_en) if gone else ("", "")
        raise SoldOut(*name)
    if cart.shortfall:
        raise BelowMinimumOrder(cart.shop.min_order, cart.shortfall)


async def begin(session: AsyncSession, *, telegram_id: int, now: datetime) -> Checkout:
    """Check the cart can be ordered now; start with a clean checkout."""
    await begin_check(session, telegram_id=telegram_id, now=now)
    user, order, _ = await _state(session, telegram_id)
    order.fulfilment = Fulfilment.DELIVERY
    order.address_text = order.address_dong = order.note = None
    order.phone = user.phone
    users.forget(user)
    await session.flush()
    return await view(session, telegram_id=telegram_id, now=now)


async def choose_pickup(session: AsyncSession, *, telegram_id: int, now: datetime) -> Checkout:
    """Pick the order up at the shop (포장): no address, no delivery fee."""
    _, order, _ = await _state(session, telegram_id)
    order.fulfilment = Fulfilment.PICKUP
    order.address_text = order.address_dong = None
    await session.flush()
    return await view(session, telegram_id=telegram_id, now=now)


async def ask_address(session: AsyncSession, *, telegram_id: int) -> None:
    """Wait for the resident to type an address (or share a location)."""
    user, order, _ = await _state(session, telegram_id)
    order.fulfilment = Fulfilment.DELIVERY
    users.expect(user, AWAIT_ADDRESS)


async def set_address(
    session: AsyncSession,
    *,
    telegram_id: int,
    now: datetime,
    text: str | None = None,
    dong: str | None = None,
    address_id: int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Checkout:
    """Deliver to a saved or new address; it must be in the shop's delivery area."""
    user, order, merchant = await _state(session, telegram_id)
    areas = list(merchant.delivery_areas)
    if address_id is not None:
        saved = next((a for a in user.addresses if a.id == address_id), None)
        if saved is None:
            raise NotFound("address", address_id)
        text, dong = saved.text, saved.dong
        saved.last_used_at = utcnow()
    if not text:
        raise CheckoutIncomplete("address")
    text = text.strip()[:ADDRESS_LIMIT]
    dong = dong or find_dong(text, areas)
    if not _area(text, dong, areas):
        raise OutsideDeliveryArea(dong, areas)
    order.fulfilment = Fulfilment.DELIVERY
    order.address_text, order.address_dong = text, dong
    order.latitude, order.longitude = latitude, longitude
    if address_id is None and not any(a.text == text for a in user.addresses):
        user.addresses.append(Address(text=text, dong=dong, last_used_at=utcnow()))
    users.forget(user)
    await session.flush()
    return await view(session, telegram_id=telegram_id, now=now)


async def remember_location(
    session: AsyncSession, *, telegram_id: int, latitude: float, longitude: float
) -> None:
    """Keep a shared location until the resident says which 동 it is in."""
    user, _, _ = await _state(session, telegram_id)
    users.expect(user, AWAIT_ADDRESS, {"latitude": latitude, "longitude": longitude})


async def set_location_dong(
    session: AsyncSession, *, telegram_id: int, position: int, now: datetime
) -> Checkout:
    """Deliver to the shared location, in the delivery area picked by its position."""
    user, _, merchant = await _state(session, telegram_id)
    data = dict(user.awaiting_data or {})
    if user.awaiting != AWAIT_ADDRESS or "latitude" not in data:
        raise CheckoutIncomplete("location")
    areas = list(merchant.delivery_areas)
    if not 0 <= position < len(areas):
        raise OutsideDeliveryArea(None, areas)
    latitude, longitude = float(data["latitude"]), float(data["longitude"])
    return await set_address(
        session,
        telegram_id=telegram_id,
        now=now,
        text=f"📍 {latitude:.5f}, {longitude:.5f} ({areas[position]})",
        dong=areas[position],
        latitude=latitude,
        longitude=longitude,
    )


async def set_phone(
    session: AsyncSession, *, telegram_id: int, phone: str, now: datetime
) -> Checkout:
    """Save the resident's phone number for this and later orders."""
    user, order, _ = await _state(session, telegram_id)
    number = normalize_phone(phone)
    user.phone = order.phone = number
    users.forget(user)
    await session.flush()
    return await view(session, telegram_id=telegram_id, now=now)


async def ask(session: AsyncSession, *, telegram_id: int, what: str) -> None:
    """Wait for a typed answer: the note or the phone number."""
    user, _, _ = await _state(session, telegram_id)
    users.expect(user, what)


async def set_note(
    session: AsyncSession, *, telegram_id: int, note: str | None, now: datetime
) -> Checkout:
    """A request for the shop and the rider (empty: none)."""
    user, order, _ = await _state(session, telegram_id)
    order.note = note.strip()[:NOTE_LIMIT] if note and note.strip() else None
    users.forget(user)
    await session.flush()
    return await view(session, telegram_id=telegram_id, now=now)
