"""Coupons funded by the city: claimed by code, applied at checkout, budget never overspent.

The budget is reserved with one conditional UPDATE (spent + discount <= budget) when the
order is placed, so concurrent checkouts cannot overspend it; an order that is not paid,
rejected or cancelled gives its reservation back.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import users
from bot.services.errors import CouponExhausted, CouponInvalid, CouponLimit, NotFound
from models.base import CouponKind, CouponScope
from models.coupon import Coupon, IssuedCoupon
from models.order import Order
from models.region import Merchant, Region


@dataclass(frozen=True)
class Offer:
    issued_id: int
    name: str
    name_en: str
    discount: int


def discount_for(coupon: Coupon, subtotal: int) -> int:
    """What a coupon takes off a subtotal (never more than the subtotal)."""
    if coupon.kind == CouponKind.FIXED:
        amount = coupon.value
    else:
        amount = subtotal * coupon.value // 100
        if coupon.max_discount is not None:
            amount = min(amount, coupon.max_discount)
    return max(0, min(amount, subtotal))


def _fits(coupon: Coupon, merchant: Merchant, subtotal: int, now: datetime) -> bool:
    if not coupon.valid_from <= now < coupon.valid_to or subtotal < coupon.min_order:
        return False
    if coupon.scope == CouponScope.MERCHANT:
        return coupon.scope_value == merchant.code
    if coupon.scope == CouponScope.CATEGORY:
        return coupon.scope_value == merchant.category
    return coupon.region_id == merchant.region_id


async def create(
    session: AsyncSession,
    *,
    code: str | None,
    name: str,
    name_en: str,
    kind: CouponKind,
    value: int,
    budget: int,
    valid_from: datetime,
    valid_to: datetime,
    min_order: int = 0,
    max_discount: int | None = None,
    per_user_limit: int = 1,
    scope: CouponScope = CouponScope.REGION,
    scope_value: str | None = None,
) -> int:
    """Create a coupon in the (first) region; return its id."""
    region_id = await session.scalar(select(Region.id).order_by(Region.id).limit(1))
    if region_id is None:
        raise NotFound("region", None)
    coupon = Coupon(
        region_id=region_id,
        code=code.upper() if code else None,
        name=name,
        name_en=name_en,
        kind=kind,
        value=value,
        budget=budget,
        valid_from=valid_from,
        valid_to=valid_to,
        min_order=min_order,
        max_discount=max_discount,
        per_user_limit=per_user_limit,
        scope=scope,
        scope_value=scope_value,
    )
    session.add(coupon)
    await session.flush()
    return coupon.id


async def claim(
    session: AsyncSession, *, telegram_id: int, code: str, now: datetime
) -> tuple[str, str]:
    """Claim a coupon by its code (/coupon CODE); return its names."""
    coupon = await session.scalar(select(Coupon).where(Coupon.code == code.strip().upper()))
    if coupon is None or not coupon.valid_from <= now < coupon.valid_to:
        raise CouponInvalid(code[:32])
    user = await users.get(session, telegram_id)
    if not await issue(session, coupon=coupon, user_id=user.id):
        raise CouponLimit(code[:32])
    return coupon.name, coupon.name_en


async def issue(
    session: AsyncSession, *, coupon: Coupon, user_id: int, campaign_id: int | None = None
) -> bool:
    """Give a resident a copy of a coupon, unless they hold as many as it allows."""
    held = await session.scalar(
        select(func.count(IssuedCoupon.id)).where(
            IssuedCoupon.coupon_id == coupon.id, IssuedCoupon.user_id == user_id
        )
    )
    if (held or 0) >= coupon.per_user_limit:
        return False
    session.add(
        IssuedCoupon(
            coupon_id=coupon.id, user_id=user_id, serial=(held or 0) + 1, campaign_id=campaign_id
        )
    )
    await session.flush()
    return True


async def offers(
    session: AsyncSession, *, telegram_id: int, order_id: int, subtotal: int, now: datetime
) -> list[Offer]:
    """The resident's unused coupons that fit this order, best first."""
    user = await users.get(session, telegram_id)
    order = await session.get(Order, order_id)
    merchant = await session.get(Merchant, order.merchant_id) if order else None
    if merchant is None:
        return []
    rows = await session.execute(
        select(IssuedCoupon, Coupon)
        .join(Coupon, Coupon.id == IssuedCoupon.coupon_id)
        .where(IssuedCoupon.user_id == user.id, IssuedCoupon.used_at.is_(None))
    )
    found = [
        Offer(issued.id, coupon.name, coupon.name_en, discount_for(coupon, subtotal))
        for issued, coupon in rows
        if _fits(coupon, merchant, subtotal, now)
    ]
    return sorted(found, key=lambda offer: -offer.discount)


async def choose(
    session: AsyncSession, *, telegram_id: int, issued_id: int | None, now: datetime
) -> None:
    """Use one of the resident's coupons on the cart (None: no coupon)."""
    user = await users.get(session, telegram_id)
    cart = await session.scalar(
        select(Order).where(Order.user_id == user.id, Order.status == "cart")
    )
    if cart is None:
        raise NotFound("cart", telegram_id)
    if issued_id is None:
        cart.issued_coupon_id, cart.discount = None, 0
        return
    issued = await session.get(IssuedCoupon, issued_id)
    if issued is None or issued.user_id != user.id or issued.used_at is not None:
        raise CouponInvalid(str(issued_id))
    cart.issued_coupon_id = issued_id


async def reserve(session: AsyncSession, order: Order, *, now: datetime) -> int:
    """Take the discount out of the coupon's budget as the order is placed; return it."""
    if order.issued_coupon_id is None:
        order.discount = 0
        return 0
    issued = await session.get(IssuedCoupon, order.issued_coupon_id)
    coupon = await session.get(Coupon, issued.coupon_id) if issued else None
    merchant = await session.get(Merchant, order.merchant_id)
    if issued is None or coupon is None or merchant is None or issued.used_at is not None:
        raise CouponInvalid(str(order.issued_coupon_id))
    if not _fits(coupon, merchant, order.subtotal, now):
        raise CouponInvalid(coupon.code or str(coupon.id))
    discount = discount_for(coupon, order.subtotal)
    taken = await session.execute(
        update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.spent + discount <= Coupon.budget)
        .values(spent=Coupon.spent + discount)
    )
    if not taken.rowcount:
        raise CouponExhausted(coupon.code or str(coupon.id))
    issued.used_at, issued.reserved_order_id, issued.discount = now, order.id, discount
    order.discount = discount
    return discount


async def release(session: AsyncSession, order: Order) -> None:
    """Give back the coupon of an order that will not be paid or fulfilled."""
    if order.issued_coupon_id is None or not order.discount:
        return
    issued = await session.get(IssuedCoupon, order.issued_coupon_id)
    if issued is None or issued.reserved_order_id != order.id:
        return
    await session.execute(
        update(Coupon)
        .where(Coupon.id == issued.coupon_id)
        .values(spent=Coupon.spent - order.discount)
    )
    issued.used_at = issued.reserved_order_id = issued.discount = None
