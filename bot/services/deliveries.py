"""Calling a rider from a delivery agency, and applying the agency's signed callbacks."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.integrations.delivery import DeliveryAgency, DeliveryRequest
from bot.services import lifecycle, outbox
from bot.services.errors import WrongState
from bot.services.merchants import order_for_member
from bot.services.payments import CallbackRejected
from models.base import DeliveryStatus, Fulfilment, OrderStatus
from models.payment import CallbackNonce, Delivery
from models.region import Merchant

STEPS = {
    "assigned": DeliveryStatus.ASSIGNED,
    "picked_up": DeliveryStatus.PICKED_UP,
    "delivered": DeliveryStatus.DELIVERED,
}
ORDER = list(STEPS.values())


async def call_rider(
    session: AsyncSession,
    *,
    order_id: int,
    telegram_id: int,
    agency: DeliveryAgency,
    now: datetime,
) -> str:
    """Ask the agency for a rider for an accepted delivery order; return its reference."""
    order = await order_for_member(session, order_id, telegram_id)
    if order.status != OrderStatus.ACCEPTED or order.fulfilment != Fulfilment.DELIVERY:
        raise WrongState(order_id, order.status.value)
    try:
        async with session.begin_nested():
            delivery = Delivery(order_id=order_id, agency=agency.code)
            session.add(delivery)
    except IntegrityError:
        raise WrongState(order_id, "rider already called") from None
    merchant = await session.get(Merchant, order.merchant_id)
    assert merchant is not None  # noqa: S101 (foreign key)
    delivery.agency_ref = await agency.request(
        DeliveryRequest(order_id, merchant.name, merchant.address, order.address_text or "")
    )
    return delivery.agency_ref


async def apply_callback(
    session: AsyncSession, *, payload: dict[str, Any], nonce: str, now: datetime
) -> str:
    """Apply an agency's verified callback once: rider assigned, picked up, delivered."""
    try:
        async with session.begin_nested():
            session.add(CallbackNonce(nonce=nonce, source="delivery", received_at=now))
    except IntegrityError:
        raise CallbackRejected("replayed nonce", 409) from None
    step = STEPS.get(str(payload.get("status")))
    delivery = await session.scalar(
        select(Delivery).where(Delivery.agency_ref == payload.get("reference")).with_for_update()
    )
    if delivery is None or step is None:
        raise CallbackRejected("unknown delivery or status", 404)
    if delivery.order_id != payload.get("order_id"):
        raise CallbackRejected("order does not match", 422)
    if delivery.status in ORDER and ORDER.index(delivery.status) >= ORDER.index(step):
        return "duplicate"
    delivery.status = step
    order = await lifecycle.load(session, delivery.order_id)
    if step == DeliveryStatus.ASSIGNED:
        delivery.rider_name = str(payload.get("rider") or "")[:64]
        await lifecycle.notify(
            session, order, now=now, resident="rider_assigned", merchant="merchant_rider",
            extra={"rider": delivery.rider_name},
        )  # fmt: skip
    elif step == DeliveryStatus.PICKED_UP:
        lifecycle.move(order, OrderStatus.DISPATCHED, now)
        await outbox.retire(session, order_id=order.id, now=now)
        await lifecycle.notify(session, order, now=now, resident="order_dispatched")
    else:
        if order.status == OrderStatus.ACCEPTED:  # picked-up callback lost: still delivered
            lifecycle.move(order, OrderStatus.DISPATCHED, now)
        lifecycle.move(order, OrderStatus.DELIVERED, now)
        await outbox.retire(session, order_id=order.id, now=now)
        await lifecycle.notify(
            session, order, now=now, resident="order_delivered", merchant="merchant_delivered"
        )
    return step.value
