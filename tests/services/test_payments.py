"""Payment callbacks: applied once, forged/stale/replayed/mismatched refused; expiry; timeouts."""

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.integrations import signing
from bot.integrations.payments import PaymentRequest, SandboxLocalCurrency
from bot.nlu import Line
from bot.services import checkout, demo, merchants, ordering, payments
from bot.services.errors import NotAllowed, WrongState
from models import db
from models.base import OrderStatus
from models.order import Order
from models.outbox import OrderMessage, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))
KEY = b"test-payment-key"
RESIDENT, OWNER, OTHER_OWNER = 700001, 710001, 710002


def provider() -> SandboxLocalCurrency:
    return SandboxLocalCurrency(KEY, "http://127.0.0.1:9")


async def placed(session: AsyncSession) -> tuple[int, PaymentRequest]:
    """Seed the demo, order 2 colas + 1 양념치킨 at 한빛치킨 and place it; return the request."""
    await demo.seed(session, ROOT / "demo" / "incheon-seo.json", ROOT / "demo" / "personas.json")
    cart = await ordering.add_lines(
        session,
        telegram_id=RESIDENT,
        lines=[Line("hanbit-chicken", "yangnyeom", 1), Line("hanbit-chicken", "cola", 2)],
        now=EVENING,
    )
    assert cart is not None
    for missing in cart.missing:
        await ordering.choose_option(
            session,
            telegram_id=RESIDENT,
            line_id=missing.line_id,
            choice_id=missing.group.choices[0].id,
            now=EVENING,
        )
    await checkout.begin(session, telegram_id=RESIDENT, now=EVENING)
    state = await checkout.view(session, telegram_id=RESIDENT, now=EVENING)
    await checkout.set_address(
        session, telegram_id=RESIDENT, address_id=state.saved_addresses[0].id, now=EVENING
    )
    sandbox = provider()
    link = await payments.place(session, telegram_id=RESIDENT, provider=sandbox, now=EVENING)
    sealed = link.url.rsplit("/", 1)[1]
    request = sandbox._open(sealed)
    assert request is not None
    return link.order_id, request


def callback(
    request: PaymentRequest, *, status: str = "paid", **changes: object
) -> tuple[dict, str]:
    signed = provider().callback(request, status)
    payload, nonce = signing.verify(KEY, signed.headers, signed.body)
    payload.update(changes)
    return payload, nonce


async def pay_placed(session: AsyncSession, request: PaymentRequest) -> None:
    """Apply the provider's "paid" callback for a placed order."""
    payload, nonce = callback(request)
    await payments.apply_callback(
        session, payload=payload, nonce=nonce, provider=provider(), now=EVENING
    )


async def outbox_kinds(session: AsyncSession, order_id: int) -> list[str]:
    return list(
        await session.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.order_id == order_id)
            .order_by(OutboxMessage.id)
        )
    )


async def test_paid_callback_moves_the_order_and_alerts_the_shop(session: AsyncSession) -> None:
    order_id, request = await placed(session)
    payload, nonce = callback(request)
    assert (
        await payments.apply_callback(
            session, payload=payload, nonce=nonce, provider=provider(), now=EVENING
        )
        == payments.Applied.PAID
    )
    order = await session.get(Order, order_id)
    assert order is not None
    assert order.status == OrderStatus.PAID
    assert await outbox_kinds(session, order_id) == ["order_paid", "merchant_new_order"]
    # the provider retries the same transaction (new nonce): applied once only
    again, nonce2 = callback(request, tx_id=payload["tx_id"])
    assert (
        await payments.apply_callback(
            session, payload=again, nonce=nonce2, provider=provider(), now=EVENING
        )
        == payments.Applied.DUPLICATE
    )
    assert await outbox_kinds(session, order_id) == ["order_paid", "merchant_new_order"]


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({"amount": "+1"}, 422, "amount or currency does not match"),
        ({"currency": "krw"}, 422, "amount or currency does not match"),
        ({"order_id": 999999}, 422, "order does not match"),
        ({"payment_token": "nope"}, 404, "unknown payment"),
        ({"tx_id": ""}, 400, "missing payment_token or tx_id"),
    ],
    ids=["one-won-more", "other-currency", "other-order", "unknown-token", "no-tx"],
)
async def test_mismatched_callbacks_change_nothing(
    session: AsyncSession, changes: dict, status: int, reason: str
) -> None:
    order_id, request = await placed(session)
    if changes.get("amount") == "+1":
        changes = {"amount": request.amount + 1}
    payload, nonce = callback(request, **changes)
    with pytest.raises(payments.CallbackRejected) as caught:
        await payments.apply_callback(
            session, payload=payload, nonce=nonce, provider=provider(), now=EVENING
        )
    assert (caught.value.status, caught.value.reason) == (status, reason)
    order = await session.get(Order, order_id)
    assert order is not None
    assert order.status == OrderStatus.AWAITING_PAYMENT


async def test_replayed_nonce_is_refused(session: AsyncSession) -> None:
    _, request = await placed(session)
    payload, nonce = callback(request, status="declined")
    await payments.apply_callback(
        session, payload=payload, nonce=nonce, provider=provider(), now=EVENING
    )
    with pytest.raises(payments.CallbackRejected) as caught:
        await payments.apply_callback(
            session, payload=payload, nonce=nonce, provider=provider(), now=EVENING
        )
    assert caught.value.status == 409


def test_forged_and_stale_signatures_are_refused() -> None:
    request = PaymentRequest("tok", 1, 18000, "seoro-eeum", "한빛치킨", 0)
    signed = provider().callback(request, "paid")
    forged = signed.body.replace(b"18000", b"1800")
    with pytest.raises(signing.BadSignature, match="signature mismatch"):
        signing.verify(KEY, signed.headers, forged)
    with pytest.raises(signing.BadSignature, match="signature mismatch"):
        signing.verify(b"other-key", signed.headers, signed.body)
    with pytest.raises(signing.BadSignature, match="stale"):
        signing.verify(KEY, signed.headers, signed.body, now=10**10)
    with pytest.raises(signing.BadSignature, match="missing"):
        signing.verify(KEY, {}, signed.body)


async def test_expired_link_refuses_payment_and_tells_the_resident(session: AsyncSession) -> None:
    order_id, request = await placed(session)
    later = EVENING + timedelta(minutes=16)
    assert await payments.expire_due(session, now=later) == [order_id]
    assert await outbox_kinds(session, order_id) == ["payment_expired"]
    payload, nonce = callback(request)
    sandbox = provider()
    outcome = await payments.apply_callback(
        session, payload=payload, nonce=nonce, provider=sandbox, now=later
    )
    assert outcome == payments.Applied.REFUNDED  # money on a dead link comes straight back
    assert sandbox.refunds == [(payload["tx_id"], request.amount)]
    assert (await outbox_kinds(session, order_id))[-1] == "payment_refunded"
    link = await payments.pay_again(
        session, telegram_id=RESIDENT, order_id=order_id, provider=provider(), now=later
    )
    assert link.amount == request.amount


async def test_unanswered_order_is_realerted_then_cancelled_with_refund(
    session: AsyncSession,
) -> None:
    order_id, request = await placed(session)
    payload, nonce = callback(request)
    await payments.apply_callback(
        session, payload=payload, nonce=nonce, provider=provider(), now=EVENING
    )
    sandbox = provider()
    minutes = {"realert_after": timedelta(minutes=3), "cancel_after": timedelta(minutes=10)}
    assert await merchants.chase_unanswered(
        session, now=EVENING + timedelta(minutes=2), provider=sandbox, **minutes
    ) == ([], [])
    assert await merchants.chase_unanswered(
        session, now=EVENING + timedelta(minutes=4), provider=sandbox, **minutes
    ) == ([order_id], [])
    assert await merchants.chase_unanswered(
        session, now=EVENING + timedelta(minutes=5), provider=sandbox, **minutes
    ) == ([], [])
    assert await merchants.chase_unanswered(
        session, now=EVENING + timedelta(minutes=11), provider=sandbox, **minutes
    ) == ([], [order_id])
    assert sandbox.refunds == [(payload["tx_id"], request.amount)]
    kinds = await outbox_kinds(session, order_id)
    assert kinds == [
        "order_paid",
        "merchant_new_order",
        "retire_buttons",  # the first alert's buttons come off: the second one replaces it
        "merchant_new_order",
        "retire_buttons",  # and the second's once the order is cancelled
        "order_cancelled",
        "merchant_order_cancelled",
    ]


async def test_only_the_shop_may_answer_and_only_once(session: AsyncSession) -> None:
    order_id, request = await placed(session)
    payload, nonce = callback(request)
    await payments.apply_callback(
        session, payload=payload, nonce=nonce, provider=provider(), now=EVENING
    )
    with pytest.raises(NotAllowed):
        await merchants.accept(
            session, order_id=order_id, telegram_id=OTHER_OWNER, eta=30, now=EVENING
        )
    with pytest.raises(NotAllowed):
        await merchants.accept(
            session, order_id=order_id, telegram_id=RESIDENT, eta=30, now=EVENING
        )
    await merchants.accept(session, order_id=order_id, telegram_id=OWNER, eta=30, now=EVENING)
    with pytest.raises(WrongState):
        await merchants.accept(session, order_id=order_id, telegram_id=OWNER, eta=30, now=EVENING)
    with pytest.raises(WrongState):
        await merchants.reject(
            session,
            order_id=order_id,
            telegram_id=OWNER,
            reason="sold_out",
            provider=provider(),
            now=EVENING,
        )


async def test_hundred_concurrent_duplicate_callbacks_apply_once(engine: AsyncEngine) -> None:
    """Each callback in its own transaction and connection, all at once (SQLite and PostgreSQL)."""
    sessions = db.session_factory(engine)
    async with sessions.begin() as session:
        # a fresh resident per backend run: the engine fixture's database is shared
        order_id, request = await placed(session)
    payload, _ = callback(request)

    async def deliver(n: int) -> str:
        _, nonce = callback(request)
        try:
            async with sessions.begin() as session:
                return (
                    await payments.apply_callback(
                        session,
                        payload=dict(payload),
                        nonce=nonce,
                        provider=provider(),
                        now=EVENING,
                    )
                ).value
        except payments.CallbackRejected as err:
            return err.reason

    try:
        outcomes = await asyncio.gather(*(deliver(n) for n in range(100)))
        assert outcomes.count("paid") == 1
        assert outcomes.count("duplicate") == 99
        async with sessions() as session:
            alerts = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.order_id == order_id, OutboxMessage.kind == "merchant_new_order"
                )
            )
            assert alerts == 1
    finally:
        async with sessions.begin() as session:
            await cleanup(session)


async def cleanup(session: AsyncSession) -> None:
    """Remove what a committed test wrote, children first."""
    from sqlalchemy import delete

    from models.campaign import Campaign, CampaignRecipient
    from models.coupon import Coupon, IssuedCoupon
    from models.order import OrderLine, OrderLineOption
    from models.payment import CallbackNonce, Payment
    from models.region import MenuItem, Merchant, MerchantMember, OptionChoice, OptionGroup, Region
    from models.user import Address, User

    for table in (
        OrderMessage,
        OutboxMessage,
        CallbackNonce,
        Payment,
        OrderLineOption,
        OrderLine,
        Order,
        IssuedCoupon,
        CampaignRecipient,
        Campaign,
        Coupon,
        MerchantMember,
        Address,
        User,
        OptionChoice,
        OptionGroup,
        MenuItem,
        Merchant,
        Region,
    ):
        await session.execute(delete(table))
