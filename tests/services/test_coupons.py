"""Coupons: discounts, claiming by code, and a budget never overspent under concurrency."""

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.services import coupons, users
from bot.services.errors import CouponExhausted, CouponInvalid, CouponLimit
from models import db
from models.base import CouponKind, OrderStatus
from models.coupon import Coupon
from models.order import Order
from models.region import Merchant
from tests.services.test_payments import ROOT, cleanup

EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))


@pytest.mark.parametrize(
    ("kind", "value", "cap", "subtotal", "expected"),
    [
        (CouponKind.FIXED, 3000, None, 20000, 3000),
        (CouponKind.FIXED, 3000, None, 2000, 2000),
        (CouponKind.PERCENT, 10, None, 23500, 2350),
        (CouponKind.PERCENT, 50, 5000, 30000, 5000),
    ],
    ids=["fixed", "fixed-over-subtotal", "percent", "percent-capped"],
)
def test_discount(
    kind: CouponKind, value: int, cap: int | None, subtotal: int, expected: int
) -> None:
    coupon = Coupon(kind=kind, value=value, max_discount=cap)
    assert coupons.discount_for(coupon, subtotal) == expected


async def seeded(session: AsyncSession, budget: int) -> int:
    from bot.services import demo

    await demo.seed(session, ROOT / "demo" / "incheon-seo.json", ROOT / "demo" / "personas.json")
    return await coupons.create(
        session,
        code="seogu3000",
        name="서구 3천원",
        name_en="Seo-gu 3,000 off",
        kind=CouponKind.FIXED,
        value=3000,
        budget=budget,
        valid_from=EVENING - timedelta(days=1),
        valid_to=EVENING + timedelta(days=1),
        per_user_limit=1,
    )


async def test_claim_once_and_expiry(session: AsyncSession) -> None:
    await seeded(session, 30000)
    assert await coupons.claim(session, telegram_id=700001, code="SEOGU3000", now=EVENING) == (
        "서구 3천원",
        "Seo-gu 3,000 off",
    )
    with pytest.raises(CouponLimit):
        await coupons.claim(session, telegram_id=700001, code="seogu3000", now=EVENING)
    with pytest.raises(CouponInvalid):
        await coupons.claim(
            session, telegram_id=700002, code="seogu3000", now=EVENING + timedelta(days=2)
        )
    with pytest.raises(CouponInvalid):
        await coupons.claim(session, telegram_id=700002, code="nope", now=EVENING)


async def test_budget_is_never_overspent_by_concurrent_checkouts(engine: AsyncEngine) -> None:
    """20 residents each hold the coupon; the budget covers 5 discounts; all place at once."""
    sessions = db.session_factory(engine)
    async with sessions.begin() as session:
        coupon_id = await seeded(session, budget=15000)
        merchant = await session.scalar(select(Merchant).where(Merchant.code == "hanbit-chicken"))
        assert merchant is not None
        orders = []
        for n in range(20):
            telegram_id = 900000 + n
            await users.touch(session, telegram_id=telegram_id, first_name=f"r{n}")
            await coupons.claim(session, telegram_id=telegram_id, code="seogu3000", now=EVENING)
            user = await users.touch(session, telegram_id=telegram_id)
            order = Order(
                user_id=user.id, merchant_id=merchant.id, status=OrderStatus.CART, subtotal=20000
            )
            session.add(order)
            await session.flush()
            await coupons.choose(session, telegram_id=telegram_id, issued_id=None, now=EVENING)
            offers = await coupons.offers(
                session, telegram_id=telegram_id, order_id=order.id, subtotal=20000, now=EVENING
            )
            await coupons.choose(
                session, telegram_id=telegram_id, issued_id=offers[0].issued_id, now=EVENING
            )
            orders.append(order.id)

    async def place(order_id: int) -> bool:
        try:
            async with sessions.begin() as session:
                order = await session.get(Order, order_id)
                assert order is not None
                await coupons.reserve(session, order, now=EVENING)
                return True
        except CouponExhausted:
            return False

    try:
        placed = await asyncio.gather(*(place(order_id) for order_id in orders))
        assert placed.count(True) == 5
        async with sessions() as session:
            coupon = await session.get(Coupon, coupon_id)
            assert coupon is not None
            assert coupon.spent == 15000
    finally:
        async with sessions.begin() as session:
            await cleanup(session)
