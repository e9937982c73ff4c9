"""Personal data: erased after the retention period, and deleted on request (/forget)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import inbox, outbox, privacy, reviews, stats, users
from bot.services.errors import NotAllowed, OrdersOpen, WrongState
from models.base import OrderStatus, OutboxStatus
from models.inbox import InboundUpdate
from models.order import Order, OrderLine
from models.outbox import OrderMessage, OutboxMessage
from models.payment import Delivery
from models.region import Merchant, MerchantMember
from models.review import Review
from models.user import Address, User
from tests.services.test_payments import ROOT

NOW = datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))
RESIDENT = 870001


async def seeded(session: AsyncSession) -> Merchant:
    from bot.services import demo

    await demo.seed(session, ROOT / "demo" / "incheon-seo.json", ROOT / "demo" / "personas.json")
    merchant = await session.scalar(select(Merchant).where(Merchant.code == "hanbit-chicken"))
    assert merchant is not None
    return merchant


async def month(session: AsyncSession) -> stats.Figures:
    """The city's figures for the last 30 days."""
    return await stats.figures(
        session,
        start=(NOW - timedelta(days=30)).date(),
        end=NOW.date(),
        tz=ZoneInfo("Asia/Seoul"),
        commission_percent=9.8,
        merchant_ids=None,
    )


async def order(
    session: AsyncSession, merchant: Merchant, user_id: int, status: OrderStatus, days_ago: int
) -> Order:
    when = NOW - timedelta(days=days_ago)
    placed = Order(
        user_id=user_id,
        merchant_id=merchant.id,
        status=status,
        status_changed_at=when,
        paid_at=when,
        address_text="인천 서구 청라동 1-2",
        address_dong="청라동",
        latitude=37.5,
        longitude=126.6,
        phone="010-1234-5678",
        note="문 앞에 놔주세요",
        subtotal=20000,
        total=20000,
    )
    session.add(placed)
    await session.flush()
    session.add(
        OrderLine(
            order_id=placed.id,
            item_code="fried",
            name="후라이드",
            name_en="Fried chicken",
            unit_price=20000,
            note="도착하면 010-1234-5678로 전화",
        )
    )
    await session.flush()
    return placed


async def reviewed(
    session: AsyncSession,
    merchant: Merchant,
    user_id: int,
    *,
    stars: int = 5,
    text: str | None = None,
    reply: str | None = None,
) -> Review:
    """A review of a delivered order of the user's, with the owner's reply when given."""
    done = await order(session, merchant, user_id, OrderStatus.DELIVERED, 3)
    review = Review(
        order_id=done.id,
        user_id=user_id,
        merchant_id=merchant.id,
        stars=stars,
        text=text,
        reply=reply,
        replied_at=NOW if reply else None,
    )
    session.add(review)
    await session.flush()
    return review


async def line_notes(session: AsyncSession, order_id: int) -> list[str | None]:
    return list(
        await session.scalars(select(OrderLine.note).where(OrderLine.order_id == order_id))
    )


@pytest.mark.parametrize(
    ("status", "days_ago", "erased"),
    [
        (OrderStatus.DELIVERED, 91, True),
        (OrderStatus.DELIVERED, 89, False),
        (OrderStatus.CANCELLED, 120, True),
        (OrderStatus.ACCEPTED, 120, False),  # still under way: kept
    ],
)
async def test_retention_erases_finished_orders(
    session: AsyncSession, status: OrderStatus, days_ago: int, erased: bool
) -> None:
    merchant = await seeded(session)
    user = await users.touch(session, telegram_id=RESIDENT, first_name="민지")
    placed = await order(session, merchant, user.id, status, days_ago)
    outbox.remember(session, order_id=placed.id, chat_id=RESIDENT, message_id=7, now=NOW)
    delivery = Delivery(order_id=placed.id, agency="sandbox-riders", rider_name="김배달")
    session.add(delivery)
    await session.flush()
    count = await privacy.erase_expired(session, now=NOW, days=90)
    await session.refresh(placed)
    await session.refresh(delivery)
    assert count == (1 if erased else 0)
    kept = await session.scalar(select(func.count()).select_from(OrderMessage))
    assert kept == (0 if erased else 1)  # the message id kept to take its buttons off
    assert (placed.address_text is None) is erased
    assert (placed.phone is None) is erased
    assert (placed.latitude is None) is erased
    assert (await line_notes(session, placed.id) == [None]) is erased
    assert (delivery.rider_name is None) is erased  # the rider's name is a person's too
    assert placed.total == 20000  # the figures stay


async def test_forget_anonymises_and_keeps_the_statistics(session: AsyncSession) -> None:
    merchant = await seeded(session)
    await users.touch(session, telegram_id=RESIDENT, first_name="민지", username="minji")
    user = await users.get(session, RESIDENT)
    user.phone = "010-1234-5678"
    session.add(Address(user_id=user.id, text="인천 서구 청라동 1-2", dong="청라동"))
    await users.set_consent(session, telegram_id=RESIDENT, kind="marketing", given=True, now=NOW)
    shop_chat, other_chat = 870901, 870902
    for days in (3, 10):
        done = await order(session, merchant, user.id, OrderStatus.DELIVERED, days)
        outbox.remember(session, order_id=done.id, chat_id=RESIDENT, message_id=days, now=NOW)
        # the shop's alert (its text once retired, and its payload, hold the address)
        outbox.remember(session, order_id=done.id, chat_id=shop_chat, message_id=days, now=NOW)
        for chat in (RESIDENT, shop_chat):
            outbox.enqueue(
                session, chat_id=chat, kind="sent", payload={}, now=NOW, order_id=done.id
            )
    outbox.enqueue(session, chat_id=other_chat, kind="sent", payload={}, now=NOW)
    await session.flush()
    await session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    for update_id, chat, done_at in [
        (1, RESIDENT, NOW),
        (2, RESIDENT, None),
        (3, other_chat, NOW),
    ]:
        await inbox.receive(
            session, update_id=update_id, chat_id=chat, payload={"text": "청라동 1-2"}, now=NOW
        )
        await session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.update_id == update_id)
            .values(done_at=done_at)
        )
    user_id = user.id
    before = await month(session)

    await privacy.forget(session, telegram_id=RESIDENT, now=NOW)

    row = await session.get(User, user_id)
    assert row is not None
    assert row.telegram_id != RESIDENT
    assert (row.first_name, row.username, row.phone, row.marketing_consent) == (
        None,
        None,
        None,
        False,
    )
    assert row.forgotten_at is not None
    assert not list(await session.scalars(select(Address).where(Address.user_id == user_id)))
    assert await session.scalar(select(func.count()).select_from(OrderMessage)) == 0
    assert list(await session.scalars(select(OutboxMessage.chat_id))) == [other_chat]
    payloads = select(InboundUpdate.update_id, InboundUpdate.payload).order_by("update_id")
    assert [tuple(row) for row in await session.execute(payloads)] == [
        (1, {}),  # handled: what they wrote goes, the id stays
        (2, {"text": "청라동 1-2"}),  # in flight (the /forget itself): handled as written
        (3, {"text": "청라동 1-2"}),  # someone else's
    ]
    orders = list(await session.scalars(select(Order).where(Order.user_id == user_id)))
    assert len(orders) == 2
    assert all(o.address_text is None and o.phone is None and o.note is None for o in orders)
    assert [await line_notes(session, o.id) for o in orders] == [[None], [None]]
    after = await month(session)
    assert (after.orders, after.sales, after.repeat_rate) == (
        before.orders,
        before.sales,
        before.repeat_rate,
    )
    # writing again starts afresh
    fresh = await users.touch(session, telegram_id=RESIDENT, first_name="민지")
    assert fresh.id != user_id


async def test_forget_deletes_what_reviews_said_and_keeps_the_stars(
    session: AsyncSession,
) -> None:
    """A review's text is the resident's own words, shown on the shop's page: it goes, with
    the owner's reply to it; the stars stay in the shop's rating."""
    merchant = await seeded(session)
    mine = await users.touch(session, telegram_id=RESIDENT, first_name="민지")
    other = await users.touch(session, telegram_id=RESIDENT + 1, first_name="민지")
    reviews = [
        await reviewed(
            session, merchant, user.id, stars=4, text="민지예요, 맛있어요", reply="민지님 고마워요"
        )
        for user in (mine, other)
    ]

    await privacy.forget(session, telegram_id=RESIDENT, now=NOW)

    for review in reviews:
        await session.refresh(review)
    assert [(r.stars, r.text, r.reply) for r in reviews] == [
        (4, None, None),
        (4, "민지예요, 맛있어요", "민지님 고마워요"),  # someone else's
    ]


async def test_a_forgotten_residents_reviews_take_no_second_reply(session: AsyncSession) -> None:
    """/forget empties a reply but the review stays replied (one reply each), and a reply to
    a review not answered before goes to nobody: the resident has no chat any more."""
    merchant = await seeded(session)
    owner = await session.scalar(
        select(User.telegram_id)
        .join(MerchantMember, MerchantMember.user_id == User.id)
        .where(MerchantMember.merchant_id == merchant.id)
        .limit(1)
    )
    assert owner is not None
    mine = await users.touch(session, telegram_id=RESIDENT, first_name="민지")
    replied = await reviewed(session, merchant, mine.id, reply="고마워요")
    unanswered = await reviewed(session, merchant, mine.id)
    await privacy.forget(session, telegram_id=RESIDENT, now=NOW)

    with pytest.raises(WrongState):
        await reviews.ask_reply(session, review_id=replied.id, telegram_id=owner)
    await reviews.ask_reply(session, review_id=unanswered.id, telegram_id=owner)
    await reviews.reply(session, telegram_id=owner, text="감사합니다", now=NOW)
    to_resident = select(func.count()).where(OutboxMessage.chat_id == -mine.id)
    assert await session.scalar(to_resident) == 0


async def test_forget_leaves_what_a_message_in_line_still_needs(session: AsyncSession) -> None:
    """A finished order whose buttons are still being taken off in the shop's chat (a
    retire message in line) keeps its records until that went; a settled one loses them."""
    merchant = await seeded(session)
    user = await users.touch(session, telegram_id=RESIDENT, first_name="민지")
    shop_chat = 870901
    settled = await order(session, merchant, user.id, OrderStatus.DELIVERED, 3)
    retiring = await order(session, merchant, user.id, OrderStatus.CANCELLED, 0)
    for placed in (settled, retiring):
        outbox.remember(
            session, order_id=placed.id, chat_id=shop_chat, message_id=placed.id, now=NOW
        )
        outbox.enqueue(
            session,
            chat_id=shop_chat,
            kind="merchant_new_order",
            payload={},
            now=NOW,
            order_id=placed.id,
        )
    await session.flush()
    await session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    outbox.enqueue(
        session, chat_id=shop_chat, kind=outbox.RETIRE, payload={}, now=NOW, order_id=retiring.id
    )
    await session.flush()

    await privacy.forget(session, telegram_id=RESIDENT, now=NOW)

    kept = select(OrderMessage.order_id)
    assert list(await session.scalars(kept)) == [retiring.id]
    rows = select(OutboxMessage.order_id, OutboxMessage.kind).order_by(OutboxMessage.id)
    assert [tuple(r) for r in await session.execute(rows)] == [
        (retiring.id, "merchant_new_order"),
        (retiring.id, outbox.RETIRE),
    ]


async def test_forget_is_refused_while_an_order_is_under_way(session: AsyncSession) -> None:
    merchant = await seeded(session)
    user = await users.touch(session, telegram_id=RESIDENT)
    await order(session, merchant, user.id, OrderStatus.ACCEPTED, 0)
    with pytest.raises(OrdersOpen):
        await privacy.forget(session, telegram_id=RESIDENT, now=NOW)


@pytest.mark.parametrize("telegram_id", [710001, 790001], ids=["owner", "staff"])
async def test_forget_is_not_for_shop_or_staff_accounts(
    session: AsyncSession, telegram_id: int
) -> None:
    await seeded(session)
    with pytest.raises(NotAllowed):
        await privacy.forget(session, telegram_id=telegram_id, now=NOW)
