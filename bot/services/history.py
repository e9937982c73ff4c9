"""MY배달: a resident's past orders, their details, reordering, and cancelling in time."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.integrations.payments import PaymentProvider
from bot.nlu import Line, OptionPick
from bot.services import coupons, lifecycle, ordering, outbox, payments
from bot.services.errors import NotAllowed, NotFound, WrongState
from models.base import OrderStatus, PaymentStatus
from models.order import Order
from models.payment import Payment
from models.region import MenuItem, Merchant
from models.review import Review
from models.user import User

CANCELLABLE = (OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED, OrderStatus.PAID)


@dataclass(frozen=True)
class OrderRow:
    id: int
    status: OrderStatus
    shop: str
    shop_en: str
    total: int
    placed_at: datetime | None


@dataclass(frozen=True)
class Reordered:
    cart: ordering.CartView | None
    skipped: tuple[tuple[str, str], ...]  # (name, name_en) of items no longer available


async def _find_user_id(session: AsyncSession, telegram_id: int) -> int | None:
    return await session.scalar(select(User.id).where(User.telegram_id == telegram_id))


async def _user_id(session: AsyncSession, telegram_id: int) -> int:
    found = await _find_user_id(session, telegram_id)
    if found is None:
        raise NotFound("user", telegram_id)
    return found


async def recent(session: AsyncSession, *, telegram_id: int, limit: int = 8) -> list[OrderRow]:
    """The resident's latest placed orders, newest first (none for someone never seen)."""
    user_id = await _find_user_id(session, telegram_id)
    if user_id is None:  # writes before /start, or again after /forget
        return []
    rows = await session.execute(
        select(Order, Merchant)
        .join(Merchant, Merchant.id == Order.merchant_id)
        .where(Order.user_id == user_id, Order.status != OrderStatus.CART)
        .order_by(Order.id.desc())
        .limit(limit)
    )
    return [OrderRow(o.id, o.status, m.name, m.name_en, o.total, o.placed_at) for o, m in rows]


async def _own(session: AsyncSession, order_id: int, telegram_id: int) -> Order:
    order = await lifecycle.load(session, order_id)
    if order.user_id != await _user_id(session, telegram_id):
        raise NotAllowed(f"order {order_id} is not the user's")
    return order


async def detail(session: AsyncSession, *, order_id: int, telegram_id: int) -> dict[str, Any]:
    """One of the resident's orders, as the outbox renders orders, plus whether it was rated."""
    order = await _own(session, order_id, telegram_id)
    reviewed = await session.scalar(select(Review.stars).where(Review.order_id == order_id))
    return await lifecycle.summary(session, order) | {
        "cancellable": order.status in CANCELLABLE,
        "reviewed": reviewed,
    }


async def reorder(
    session: AsyncSession, *, order_id: int, telegram_id: int, now: datetime, replace: bool = False
) -> Reordered:
    """Rebuild the cart from a past order at today's prices and availability."""
    order = await _own(session, order_id, telegram_id)
    merchant = await session.get(Merchant, order.merchant_id)
    assert merchant is not None  # noqa: S101 (foreign key)
    available = {
        item.code
        for item in await session.scalars(
            select(MenuItem).where(
                MenuItem.merchant_id == merchant.id,
                MenuItem.active.is_(True),
                MenuItem.sold_out.is_(False),
            )
        )
    }
    lines, skipped = [], []
    for line in order.lines:
        if line.item_code not in available:
            skipped.append((line.name, line.name_en))
            continue
        lines.append(
            Line(
                merchant.code,
                line.item_code,
                line.quantity,
                tuple(OptionPick(o.group_code, o.choice_code, o.amount) for o in line.options),
                tuple(line.excluded),
                line.note,
            )
        )
    cart = None
    if lines:
        try:
            async with session.begin_nested():
                cart = await ordering.add_lines(
                    session,
                    telegram_id=telegram_id,
                    lines=lines,
                    now=now,
                    replace_other_shop=replace,
                )
        except NotFound:  # an option that no longer exists: take the items without it
            cart = await ordering.add_lines(
                session,
                telegram_id=telegram_id,
                lines=[Line(ln.merchant, ln.item, ln.quantity) for ln in lines],
                now=now,
                replace_other_shop=replace,
            )
    return Reordered(cart, tuple(skipped))


async def cancel(
    session: AsyncSession,
    *,
    order_id: int,
    telegram_id: int,
    provider: PaymentProvider,
    now: datetime,
) -> int:
    """Cancel before the shop accepts; refund what was paid. Return the amount refunded."""
    order = await _own(session, order_id, telegram_id)
    if order.status not in CANCELLABLE:
        raise WrongState(order_id, order.status.value)
    was_paid = order.status == OrderStatus.PAID
    lifecycle.move(order, OrderStatus.CANCELLED, now)
    order.cancel_reason = "by_resident"
    await outbox.retire(session, order_id=order_id, now=now)
    await coupons.release(session, order)
    for pending in await session.scalars(
        select(Payment).where(
            Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING
        )
    ):
        pending.status = PaymentStatus.EXPIRED
    refunded = await payments.refund(session, order, provider, now=now) if was_paid else 0
    await lifecycle.notify(
        session,
        order,
        now=now,
        merchant="merchant_order_cancelled" if was_paid else None,
        extra={"refunded": refunded},
    )
    return refunded
