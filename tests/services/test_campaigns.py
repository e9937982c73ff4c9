"""Campaigns: who may receive an ad (the law and the filters), quiet hours, one row each."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import ad_times, broadcast, campaigns, coupons, users
from bot.services.campaigns import Audience
from bot.services.errors import BadAdText, CampaignState, NotAllowed, TimeInPast
from models.base import CouponKind, OrderStatus, RecipientStatus
from models.campaign import CampaignRecipient
from models.coupon import IssuedCoupon
from models.order import Order
from models.region import Merchant
from models.user import User
from tests.services.test_payments import ROOT

SEOUL = ZoneInfo("Asia/Seoul")
EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=SEOUL)
NIGHT = datetime(2026, 11, 27, 22, 30, tzinfo=SEOUL)
STAFF = 790001


@pytest.mark.parametrize(
    ("clock", "quiet", "morning"),
    [
        ("07:59", True, "2026-11-27 08:00"),
        ("08:00", False, "2026-11-28 08:00"),
        ("20:59", False, "2026-11-28 08:00"),
        ("21:00", True, "2026-11-28 08:00"),
        ("23:59", True, "2026-11-28 08:00"),
        ("00:00", True, "2026-11-27 08:00"),
    ],
)
def test_quiet_hours(clock: str, quiet: bool, morning: str) -> None:
    hour, minute = map(int, clock.split(":"))
    moment = datetime(2026, 11, 27, hour, minute, tzinfo=SEOUL)
    assert ad_times.quiet(moment, SEOUL) is quiet
    assert ad_times.next_morning(moment, SEOUL).strftime("%Y-%m-%d %H:%M") == morning
    # the same instant given in UTC reads the same
    assert ad_times.quiet(moment.astimezone(ZoneInfo("UTC")), SEOUL) is quiet


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-01 10:00", "2026-12-01 10:00"),
        ("12/01 10:00", "2026-12-01 10:00"),
        ("12.1 9:05", "2026-12-01 09:05"),
        ("내일 10:00", "2026-11-28 10:00"),
        ("tomorrow 18:30", "2026-11-28 18:30"),
        ("20:30", "2026-11-27 20:30"),
        ("18:00", "2026-11-28 18:00"),  # passed today: tomorrow
        ("1/5 09:00", "2027-01-05 09:00"),
        ("02-30 10:00", None),
        ("25:00", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_when(typed: str, expected: str | None) -> None:
    found = ad_times.parse_when(typed, EVENING, SEOUL)
    assert (found.strftime("%Y-%m-%d %H:%M") if found else None) == expected


async def seeded(session: AsyncSession) -> None:
    from bot.services import demo

    await demo.seed(session, ROOT / "demo" / "incheon-seo.json", ROOT / "demo" / "personas.json")


async def resident(
    session: AsyncSession,
    telegram_id: int,
    *,
    consent: bool = True,
    night: bool = False,
    locale: str = "ko",
) -> User:
    await users.touch(session, telegram_id=telegram_id, first_name=f"r{telegram_id}")
    await users.set_locale(session, telegram_id=telegram_id, locale=locale)
    if consent:
        await users.set_consent(
            session, telegram_id=telegram_id, kind="marketing", given=True, now=EVENING
        )
    if night:
        await users.set_consent(
            session, telegram_id=telegram_id, kind="night", given=True, now=EVENING
        )
    return await users.get(session, telegram_id)


async def ordered(session: AsyncSession, user: User, shop: str, when: datetime) -> None:
    merchant = await session.scalar(select(Merchant).where(Merchant.code == shop))
    assert merchant is not None
    session.add(
        Order(
            user_id=user.id,
            merchant_id=merchant.id,
            status=OrderStatus.DELIVERED,
            subtotal=20000,
            total=20000,
            paid_at=when,
        )
    )
    await session.flush()


async def ready_campaign(session: AsyncSession, audience: Audience | None = None) -> int:
    campaign_id = await campaigns.create(session, telegram_id=STAFF)
    await campaigns.edit(
        session,
        campaign_id=campaign_id,
        telegram_id=STAFF,
        text_ko="이번 주말 치킨 3천원 할인!",
        text_en="3,000 won off chicken this weekend!",
        audience=audience or Audience(),
    )
    return campaign_id


async def test_audience_follows_the_law_and_the_filters(session: AsyncSession) -> None:
    await seeded(session)
    base = 800000
    fan = await resident(session, base + 1)
    await ordered(session, fan, "hanbit-chicken", EVENING - timedelta(days=3))
    lapsed = await resident(session, base + 2, night=True)
    await ordered(session, lapsed, "hanbit-chicken", EVENING - timedelta(days=60))
    pizza = await resident(session, base + 3)
    await ordered(session, pizza, "pizza-maeul", EVENING - timedelta(days=1))
    await resident(session, base + 4)  # consented, never ordered
    refused = await resident(session, base + 5, consent=False)
    await ordered(session, refused, "hanbit-chicken", EVENING - timedelta(days=1))
    gone = await resident(session, base + 6)
    gone.blocked_at = EVENING
    await session.flush()

    region_id = await session.scalar(select(Merchant.region_id).limit(1))
    assert region_id is not None

    async def ids(audience: Audience) -> set[int]:
        rows = await session.scalars(campaigns.audience_query(region_id, audience, EVENING))
        tg = await session.scalars(select(User.telegram_id).where(User.id.in_(list(rows))))
        return {t - base for t in tg if t > base}

    assert await ids(Audience()) == {1, 2, 3, 4}
    assert await ids(Audience("chicken")) == {1, 2}
    assert await ids(Audience("chicken", "30d")) == {1}
    assert await ids(Audience(None, "90d")) == {1, 2, 3}
    assert await ids(Audience(None, "lapsed30")) == {2}
    total, night = await campaigns.reach(session, Audience("chicken"), EVENING)
    assert (total, night) == (2, 1)


async def test_only_staff_compose_and_a_started_campaign_is_frozen(session: AsyncSession) -> None:
    await seeded(session)
    with pytest.raises(NotAllowed):
        await campaigns.create(session, telegram_id=700001)
    campaign_id = await campaigns.create(session, telegram_id=STAFF)
    with pytest.raises(CampaignState):  # no texts yet
        await campaigns.start(session, campaign_id=campaign_id, now=EVENING, telegram_id=STAFF)
    with pytest.raises(BadAdText):
        await campaigns.edit(
            session, campaign_id=campaign_id, telegram_id=STAFF, text_ko="가" * 701
        )
    with pytest.raises(NotAllowed):
        await campaigns.edit(session, campaign_id=campaign_id, telegram_id=700001, text_ko="x")
    await campaigns.edit(
        session, campaign_id=campaign_id, telegram_id=STAFF, text_ko="안녕", text_en="hi"
    )
    await campaigns.start(session, campaign_id=campaign_id, now=EVENING, telegram_id=STAFF)
    with pytest.raises(CampaignState):  # a second press of "send now"
        await campaigns.start(session, campaign_id=campaign_id, now=EVENING, telegram_id=STAFF)
    with pytest.raises(CampaignState):
        await campaigns.edit(session, campaign_id=campaign_id, telegram_id=STAFF, text_ko="x")
    with pytest.raises(CampaignState):
        await campaigns.discard(session, campaign_id=campaign_id, telegram_id=STAFF)


async def test_scheduled_campaign_starts_once_when_due(session: AsyncSession) -> None:
    await seeded(session)
    await resident(session, 810001)
    campaign_id = await ready_campaign(session)
    with pytest.raises(TimeInPast):
        await campaigns.schedule(
            session, campaign_id=campaign_id, telegram_id=STAFF, at=EVENING, now=EVENING
        )
    at = EVENING + timedelta(hours=1)
    await campaigns.schedule(
        session, campaign_id=campaign_id, telegram_id=STAFF, at=at, now=EVENING
    )
    assert await campaigns.due(session, now=EVENING) == []
    assert await campaigns.due(session, now=at) == [campaign_id]
    count = await campaigns.start(session, campaign_id=campaign_id, now=at)
    assert count >= 1
    with pytest.raises(CampaignState):
        await campaigns.start(session, campaign_id=campaign_id, now=at)
    assert await campaigns.due(session, now=at) == []


async def test_claim_applies_consent_and_quiet_hours_at_send_time(session: AsyncSession) -> None:
    await seeded(session)
    owl = await resident(session, 820001, night=True)
    sleeper = await resident(session, 820002)
    changed_mind = await resident(session, 820003)
    blocked = await resident(session, 820004)
    campaign_id = await ready_campaign(session)
    await campaigns.start(session, campaign_id=campaign_id, now=NIGHT, telegram_id=STAFF)
    await users.set_consent(session, telegram_id=820003, kind="marketing", given=False, now=NIGHT)
    blocked.blocked_at = NIGHT
    await session.flush()

    batch = await broadcast.claim(session, now=NIGHT, tz=SEOUL, limit=100)
    mine = {s.chat_id for s in batch if 820000 < s.chat_id < 830000}
    assert mine == {820001}

    async def status(user: User) -> tuple[RecipientStatus, datetime | None]:
        row = await session.scalar(
            select(CampaignRecipient).where(
                CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.user_id == user.id
            )
        )
        assert row is not None
        return row.status, row.not_before

    assert (await status(owl))[0] == RecipientStatus.SENDING
    assert await status(sleeper) == (
        RecipientStatus.PENDING,
        datetime(2026, 11, 28, 8, 0, tzinfo=SEOUL),
    )
    assert (await status(changed_mind))[0] == RecipientStatus.OPTED_OUT
    assert (await status(blocked))[0] == RecipientStatus.BLOCKED
    # nothing more before the morning; at 08:00 the sleepers come due
    assert await broadcast.claim(session, now=NIGHT + timedelta(hours=1), tz=SEOUL) == []
    morning = await broadcast.claim(
        session, now=datetime(2026, 11, 28, 8, 0, tzinfo=SEOUL), tz=SEOUL, limit=100
    )
    assert 820002 in {s.chat_id for s in morning}


async def test_sent_issues_the_coupon_once_and_the_report_counts(session: AsyncSession) -> None:
    await seeded(session)
    for n in range(3):
        await resident(session, 830001 + n)
    coupon_id = await coupons.create(
        session,
        code=None,
        name="치킨 3천원",
        name_en="3,000 off chicken",
        kind=CouponKind.FIXED,
        value=3000,
        budget=300000,
        valid_from=EVENING - timedelta(days=1),
        valid_to=EVENING + timedelta(days=7),
    )
    campaign_id = await ready_campaign(session)
    await campaigns.edit(session, campaign_id=campaign_id, telegram_id=STAFF, coupon_id=coupon_id)
    total = await campaigns.start(session, campaign_id=campaign_id, now=EVENING, telegram_id=STAFF)
    batch = await broadcast.claim(session, now=EVENING, tz=SEOUL, limit=1000)
    assert len(batch) == total
    assert batch[0].coupon is not None
    assert batch[0].coupon.name == "치킨 3천원"
    first, second, *rest = batch
    await broadcast.sent(session, first.recipient_id, now=EVENING, coupon=True)
    await broadcast.sent(session, first.recipient_id, now=EVENING, coupon=True)  # once only
    await broadcast.blocked(session, second.recipient_id, now=EVENING)
    report = await campaigns.report(session, campaign_id, now=EVENING)
    assert (report.sent, report.blocked, report.waiting) == (1, 1, total - 2)
    assert not await campaigns.finish(session, campaign_id, now=EVENING)
    for send in rest:
        await broadcast.failed(session, send.recipient_id, error="chat not found")
    assert await campaigns.finish(session, campaign_id, now=EVENING)
    assert not await campaigns.finish(session, campaign_id, now=EVENING)  # reported once
    issued = await session.scalar(
        select(IssuedCoupon).where(IssuedCoupon.campaign_id == campaign_id)
    )
    assert issued is not None
    held = list(
        await session.scalars(select(IssuedCoupon).where(IssuedCoupon.coupon_id == coupon_id))
    )
    assert len(held) == 1
    blocked_user = await session.scalar(
        select(User)
        .join(CampaignRecipient, CampaignRecipient.user_id == User.id)
        .where(CampaignRecipient.id == second.recipient_id)
    )
    assert blocked_user is not None
    assert blocked_user.blocked_at is not None
    report = await campaigns.report(session, campaign_id, now=EVENING)
    assert (report.sent, report.blocked, report.failed, report.waiting) == (1, 1, total - 2, 0)


async def test_recover_puts_back_what_a_dead_sender_held(session: AsyncSession) -> None:
    await seeded(session)
    await resident(session, 840001)
    campaign_id = await ready_campaign(session)
    await campaigns.start(session, campaign_id=campaign_id, now=EVENING, telegram_id=STAFF)
    batch = await broadcast.claim(session, now=EVENING, tz=SEOUL, limit=1000)
    assert batch
    assert await broadcast.recover(session, before=EVENING - timedelta(seconds=1)) == 0
    assert await broadcast.recover(session, before=EVENING + timedelta(minutes=1)) == len(batch)
    again = await broadcast.claim(session, now=EVENING, tz=SEOUL, limit=1000)
    assert {s.recipient_id for s in again} == {s.recipient_id for s in batch}
    assert all(s.attempts == 2 for s in again)
