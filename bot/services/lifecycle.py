"""The order lifecycle of DESIGN.md: allowed transitions, and the messages each one causes."""

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import outbox
from bot.services.errors import WrongState
from models.base import OrderStatus
from models.order import Order, OrderLine
from models.region import Merchant, MerchantMember
from models.user import User

logger = logging.getLogger(__name__)
S = OrderStatus
ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    S.CART: {S.AWAITING_PAYMENT},
    S.AWAITING_PAYMENT: {S.PAID, S.EXPIRED, S.CANCELLED},
    S.EXPIRED: {S.AWAITING_PAYMENT, S.CANCELLED},  # paid again, or given up
    S.PAID: {S.ACCEPTED, S.REJECTED, S.CANCELLED},
    S.ACCEPTED: {S.DISPATCHED, S.CANCELLED},
    S.DISPATCHED: {S.DELIVERED},
    S.REJECTED: set(),
    S.CANCELLED: set(),
    S.DELIVERED: set(),
}
STAMPS = {
    S.AWAITING_PAYMENT: "placed_at",
    S.PAID: "paid_at",
    S.ACCEPTED: "accepted_at",
    S.DISPATCHED: "dispatched_at",
    S.DELIVERED: "delivered_at",
    S.REJECTED: "closed_at",
    S.CANCELLED: "closed_at",
    S.EXPIRED: "closed_at",
}


def move(order: Order, to: OrderStatus, now: datetime) -> None:
    """Change an order's status if the lifecycle allows it, else raise WrongState."""
    if to not in ALLOWED[order.status]:
        raise WrongState(order.id, order.status.value)
    logger.info(
        "Order %s: %s -> %s", order.id, order.status.value, to.value, extra={"order_id": order.id}
    )
    order.status = to
    order.status_changed_at = now
    setattr(order, STAMPS[to], now)


async def load(session: AsyncSession, order_id: int, *, lock: bool = True) -> Order:
    """An order with its lines, locked for update (PostgreSQL; SQLite locks the database)."""
    query = (
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines).selectinload(OrderLine.options))
    )
    if lock:
        query = query.with_for_update()
    order = await session.scalar(query)
    if order is None:
        raise WrongState(order_id, "missing")
    return order


async def summary(session: AsyncSession, order: Order) -> dict[str, Any]:
    """Everything a message about the order shows, as plain JSON for the outbox."""
    merchant = await session.get(Merchant, order.merchant_id)
    assert merchant is not None  # noqa: S101 (foreign key)
    return {
        "order_id": order.id,
        "status": order.status.value,
        "shop": merchant.name,
        "shop_en": merchant.name_en,
        "shop_phone": merchant.phone,
        "fulfilment": order.fulfilment.value,
        "address": order.address_text,
        "phone": order.phone,
        "note": order.note,
        "subtotal": order.subtotal,
        "delivery_fee": order.delivery_fee,
        "discount": order.discount,
        "total": order.total,
        "eta": order.eta_minutes,
        "reason": order.reject_reason or order.cancel_reason,
        "lines": [
            {
                "name": line.name,
                "name_en": line.name_en,
                "quantity": line.quantity,
                "total": line.unit_price * line.quantity,
                "options": [[o.name, o.name_en, o.amount] for o in line.options],
                "excluded": list(line.excluded),
                "note": line.note,
            }
            for line in order.lines
        ],
    }


async def resident_chat(session: AsyncSession, order: Order) -> int | None:
    """The Telegram chat of the resident who placed the order (None once they used /forget:
    the anonymous row's id is nobody's chat)."""
    if order.user_id is None:
        return None
    return await session.scalar(
        select(User.telegram_id).where(User.id == order.user_id, User.forgotten_at.is_(None))
    )


async def merchant_chats(session: AsyncSession, merchant_id: int) -> list[int]:
    """The Telegram chats linked to a shop."""
    return list(
        await session.scalars(
            select(User.telegram_id)
            .join(MerchantMember, MerchantMember.user_id == User.id)
            .where(MerchantMember.merchant_id == merchant_id)
            .order_by(User.id)
        )
    )


async def notify(
    session: AsyncSession,
    order: Order,
    *,
    now: datetime,
    resident: str | None = None,
    merchant: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the messages a transition causes to the outbox, in the same transaction."""
    payload = await summary(session, order) | (extra or {})
    if resident and (chat := await resident_chat(session, order)) is not None:
        outbox.enqueue(
            session, chat_id=chat, kind=resident, payload=payload, now=now, order_id=order.id
        )
    if merchant:
        for chat in await merchant_chats(session, order.merchant_id):
            outbox.enqueue(
                session, chat_id=chat, kind=merchant, payload=payload, now=now, order_id=order.id
            )
