"""What a shop does with its orders: accept with an ETA, reject with a reason, deliver."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.integrations.payments import PaymentProvider
from bot.services import lifecycle, payments
from bot.services.errors import NotAllowed, WrongState
from models.base import OrderStatus
from models.order import Order
from models.region import MerchantMember
from models.user import User

ETAS = (15, 30, 45, 60)
REASONS = ("sold_out", "too_busy", "closed", "outside_area")


async def _order_for_member(session: AsyncSession, order_id: int, telegram_id: int) -> Order:
    order = await lifecycle.load(session, order_id)
    member = await session.scalar(
        select(MerchantMember.id)
        .join(User, User.id == MerchantMember.user_id)
        .where(MerchantMember.merchant_id == order.merchant_id, User.telegram_id == telegram_id)
    )
    if member is None:
        raise NotAllowed(f"user {telegram_id} is not linked to the shop of order {order_id}")
    return order


async def accept(
    session: AsyncSession, *, order_id: int, telegram_id: int, eta: int, now: datetime
) -> None:
    """Accept a paid order, promising it in `eta` minutes."""
    if eta not in ETAS:
        raise WrongState(order_id, "bad eta")
    order = await _order_for_member(session, order_id, telegram_id)
    lifecycle.move(order, OrderStatus.ACCEPTED, now)
    order.eta_minutes = eta
    await lifecycle.notify(session, order, now=now, resident="order_accepted")


async def reject(
    session: AsyncSession,
    *,
    order_id: int,
    telegram_id: int,
    reason: str,
    provider: PaymentProvider,
    now: datetime,
) -> None:
    """Reject a paid order with a reason and refund the resident."""
    if reason not in REASONS:
        raise WrongState(order_id, "bad reason")
    order = await _order_for_member(session, order_id, telegram_id)
    lifecycle.move(order, OrderStatus.REJECTED, now)
    order.reject_reason = reason
    refunded = await payments.refund(session, order, provider, now=now)
    await lifecycle.notify(
        session, order, now=now, resident="order_rejected", extra={"refunded": refunded}
    )


async def dispatch(
    session: AsyncSession, *, order_id: int, telegram_id: int, now: datetime
) -> None:
    """The order left the shop (출발), or is ready for pickup."""
    order = await _order_for_member(session, order_id, telegram_id)
    lifecycle.move(order, OrderStatus.DISPATCHED, now)
    await lifecycle.notify(session, order, now=now, resident="order_dispatched")


async def deliver(
    session: AsyncSession, *, order_id: int, telegram_id: int, now: datetime
) -> None:
    """The order reached the resident (배달 완료): ask for a review."""
    order = await _order_for_member(session, order_id, telegram_id)
    lifecycle.move(order, OrderStatus.DELIVERED, now)
    await lifecycle.notify(session, order, now=now, resident="order_delivered")


async def chase_unanswered(
    session: AsyncSession,
    *,
    now: datetime,
    provider: PaymentProvider,
    realert_after: timedelta,
    cancel_after: timedelta,
) -> tuple[list[int], list[int]]:
    """Alert the shop again about paid orders it has not answered; cancel and refund later.

    Returns the ids of the orders re-alerted and of those cancelled.
    """
    waiting = list(
        await session.scalars(
            select(Order)
            .where(Order.status == OrderStatus.PAID, Order.paid_at <= now - realert_after)
            .with_for_update(skip_locked=True)
        )
    )
    realerted, cancelled = [], []
    for order in waiting:
        assert order.paid_at is not None  # noqa: S101 (PAID orders have it)
        if order.paid_at <= now - cancel_after:
            full = await lifecycle.load(session, order.id)
            lifecycle.move(full, OrderStatus.CANCELLED, now)
            full.cancel_reason = "no_answer"
            refunded = await payments.refund(session, full, provider, now=now)
            await lifecycle.notify(
                session,
                full,
                now=now,
                resident="order_cancelled",
                merchant="merchant_order_cancelled",
                extra={"refunded": refunded},
            )
            cancelled.append(order.id)
        elif order.alerts_sent < 1:
            order.alerts_sent += 1
            full = await lifecycle.load(session, order.id)
            await lifecycle.notify(
                session, full, now=now, merchant="merchant_new_order", extra={"again": True}
            )
            realerted.append(order.id)
    return realerted, cancelled
