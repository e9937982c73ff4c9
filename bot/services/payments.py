"""Paying for an order in local currency: the link, the provider's callback, expiry, refunds."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.integrations.payments import PaymentProvider, PaymentRequest
from bot.services import checkout, coupons, lifecycle, outbox
from bot.services.errors import (
    CheckoutIncomplete,
    CouponExhausted,
    CouponInvalid,
    NotAllowed,
    ServiceError,
    WrongState,
)
from models.base import OrderStatus, PaymentStatus
from models.order import Order
from models.payment import CallbackNonce, Payment
from models.region import Merchant, Region

logger = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=15)


class CallbackRejected(ServiceError):
    """A provider callback we refuse: forged, stale, replayed or not matching the order."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Applied(StrEnum):
    PAID = "paid"
    DECLINED = "declined"
    DUPLICATE = "duplicate"
    REFUNDED = "refunded"  # paid on a link that no longer applied: refunded at once


@dataclass(frozen=True)
class PaymentLink:
    order_id: int
    url: str
    amount: int
    currency: str
    expires_at: datetime


async def place(
    session: AsyncSession,
    *,
    telegram_id: int,
    provider: PaymentProvider,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> PaymentLink:
    """Turn the checked-out cart into an order waiting for payment, and make its link."""
    state = await checkout.view(session, telegram_id=telegram_id, now=now)
    await checkout.begin_check(session, telegram_id=telegram_id, now=now)
    if state.fulfilment is None:
        raise CheckoutIncomplete("address")
    if state.phone is None:
        raise CheckoutIncomplete("phone")
    order = await lifecycle.load(session, state.cart.order_id)
    order.subtotal = state.cart.subtotal
    order.delivery_fee = state.delivery_fee
    await coupons.reserve(session, order, now=now)
    order.total = order.subtotal + order.delivery_fee - order.discount
    order.phone = state.phone
    lifecycle.move(order, OrderStatus.AWAITING_PAYMENT, now)
    return await _link(session, order, provider, now, ttl)


async def _link(
    session: AsyncSession, order: Order, provider: PaymentProvider, now: datetime, ttl: timedelta
) -> PaymentLink:
    merchant = await session.get(Merchant, order.merchant_id)
    assert merchant is not None  # noqa: S101 (foreign key)
    region = await session.get(Region, merchant.region_id)
    assert region is not None  # noqa: S101 (foreign key)
    payment = Payment(
        order_id=order.id,
        provider=provider.code,
        token=secrets.token_urlsafe(18),
        amount=order.total,
        currency=region.currency,
        expires_at=now + ttl,
    )
    session.add(payment)
    await session.flush()
    url = provider.checkout_url(
        PaymentRequest(
            token=payment.token,
            order_id=order.id,
            amount=payment.amount,
            currency=payment.currency,
            shop=merchant.name,
            expires_at=int(payment.expires_at.timestamp()),
        )
    )
    return PaymentLink(order.id, url, payment.amount, payment.currency, payment.expires_at)


async def awaiting(session: AsyncSession, order_id: int) -> bool:
    """Whether an order still waits for its payment (its newest link is the one to use)."""
    status = await session.scalar(select(Order.status).where(Order.id == order_id))
    return status == OrderStatus.AWAITING_PAYMENT


async def pay_again(
    session: AsyncSession,
    *,
    telegram_id: int,
    order_id: int,
    provider: PaymentProvider,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> PaymentLink:
    """A new link for an order whose link expired (or was declined)."""
    order = await lifecycle.load(session, order_id)
    if await lifecycle.resident_chat(session, order) != telegram_id:
        raise NotAllowed(f"order {order_id} is not the user's")
    if order.status == OrderStatus.EXPIRED:
        lifecycle.move(order, OrderStatus.AWAITING_PAYMENT, now)
        try:  # the coupon was given back on expiry: take it again if its budget allows
            async with session.begin_nested():
                await coupons.reserve(session, order, now=now)
        except (CouponExhausted, CouponInvalid):
            order.issued_coupon_id, order.discount = None, 0
        order.total = order.subtotal + order.delivery_fee - order.discount
    elif order.status != OrderStatus.AWAITING_PAYMENT:
        raise WrongState(order_id, order.status.value)
    await outbox.retire(session, order_id=order_id, now=now)  # the earlier links and offers
    for old in await session.scalars(
        select(Payment).where(
            Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING
        )
    ):
        old.status = PaymentStatus.EXPIRED
    return await _link(session, order, provider, now, ttl)


async def apply_callback(
    session: AsyncSession,
    *,
    payload: dict[str, Any],
    nonce: str,
    provider: PaymentProvider,
    now: datetime,
) -> Applied:
    """Apply a verified provider callback at most once; refuse anything that does not match."""
    try:
        async with session.begin_nested():
            session.add(CallbackNonce(nonce=nonce, source="payment", received_at=now))
    except IntegrityError:
        raise CallbackRejected("replayed nonce", 409) from None
    token, tx_id = payload.get("payment_token"), payload.get("tx_id")
    if not isinstance(token, str) or not isinstance(tx_id, str) or not tx_id:
        raise CallbackRejected("missing payment_token or tx_id")
    payment = await session.scalar(select(Payment).where(Payment.token == token).with_for_update())
    if payment is None:
        raise CallbackRejected("unknown payment", 404)
    seen = await session.scalar(select(Payment.id).where(Payment.provider_tx_id == tx_id))
    if seen is not None:
        return Applied.DUPLICATE
    if payload.get("amount") != payment.amount or payload.get("currency") != payment.currency:
        raise CallbackRejected("amount or currency does not match", 422)
    if payload.get("order_id") != payment.order_id:
        raise CallbackRejected("order does not match", 422)
    status = payload.get("status")
    if status not in ("paid", "declined"):
        raise CallbackRejected("unknown status")
    order = await lifecycle.load(session, payment.order_id)
    if status == "declined":
        if payment.status != PaymentStatus.PENDING:
            raise CallbackRejected(f"payment is {payment.status.value}", 409)
        payment.status = PaymentStatus.DECLINED
        payment.provider_tx_id = tx_id
        await outbox.retire(session, order_id=order.id, now=now)
        if order.status == OrderStatus.AWAITING_PAYMENT:
            lifecycle.move(order, OrderStatus.EXPIRED, now)  # unpaid: the resident may pay again
            await coupons.release(session, order)
        await lifecycle.notify(session, order, now=now, resident="payment_declined")
        return Applied.DECLINED
    usable = (
        payment.status == PaymentStatus.PENDING
        and payment.expires_at > now
        and order.status == OrderStatus.AWAITING_PAYMENT
    )
    if not usable:
        # Money was taken on a link that no longer applies (expired, replaced, paid twice,
        # order cancelled): give it back at once and say so, rather than keep it.
        session.add(
            Payment(
                order_id=order.id,
                provider=provider.code,
                token=secrets.token_urlsafe(18),
                provider_tx_id=tx_id,
                amount=payment.amount,
                currency=payment.currency,
                status=PaymentStatus.REFUNDED,
                expires_at=now,
                paid_at=now,
                refunded_at=now,
                refund_tx_id=await provider.refund(tx_id, payment.amount),
            )
        )
        await lifecycle.notify(
            session,
            order,
            now=now,
            resident="payment_refunded",
            extra={"refunded": payment.amount},
        )
        return Applied.REFUNDED
    payment.status = PaymentStatus.PAID
    payment.provider_tx_id = tx_id
    payment.paid_at = now
    lifecycle.move(order, OrderStatus.PAID, now)
    await outbox.retire(session, order_id=order.id, now=now)
    await lifecycle.notify(
        session, order, now=now, resident="order_paid", merchant="merchant_new_order"
    )
    return Applied.PAID


async def expire_due(session: AsyncSession, *, now: datetime) -> list[int]:
    """Expire unpaid links past their time and tell the residents; return the order ids."""
    due = list(
        await session.scalars(
            select(Payment)
            .where(Payment.status == PaymentStatus.PENDING, Payment.expires_at <= now)
            .with_for_update(skip_locked=True)
        )
    )
    expired = []
    for payment in due:
        payment.status = PaymentStatus.EXPIRED
        order = await lifecycle.load(session, payment.order_id)
        if order.status == OrderStatus.AWAITING_PAYMENT:
            lifecycle.move(order, OrderStatus.EXPIRED, now)
            await coupons.release(session, order)
            await outbox.retire(session, order_id=order.id, now=now)
            await lifecycle.notify(session, order, now=now, resident="payment_expired")
            expired.append(order.id)
    return expired


async def refund(
    session: AsyncSession, order: Order, provider: PaymentProvider, *, now: datetime
) -> int:
    """Refund what was paid for an order; return the amount refunded."""
    payment = await session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == PaymentStatus.PAID)
        .with_for_update()
    )
    if payment is None or payment.provider_tx_id is None:
        return 0
    payment.refund_tx_id = await provider.refund(payment.provider_tx_id, payment.amount)
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = now
    return payment.amount
