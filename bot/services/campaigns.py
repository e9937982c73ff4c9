"""Advertising campaigns by staff: drafts, audiences, and the law's rules for sending.

정보통신망법 제50조: ads go only to residents who opted in, never between 21:00 and 08:00
(local time) unless the resident gave the separate night-time consent; such sends wait for
the morning. Consent is read again just before each send, so a withdrawal counts at once.

A campaign draws its audience when it starts (now, or at its scheduled time) into one row
per recipient; the sender (services/broadcast.py) works through those rows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import users
from bot.services.errors import BadAdText, CampaignState, NotAllowed, NotFound, TimeInPast
from models.base import CampaignStatus, RecipientStatus, Role
from models.campaign import Campaign, CampaignRecipient
from models.coupon import Coupon, IssuedCoupon
from models.order import Order
from models.region import Merchant, Region
from models.user import User

MAX_TEXT = 700  # with the "(광고)" header and footer it fits a photo caption (1,024)
RECENCY = ("any", "30d", "90d", "lapsed30")  # ordered within 30 / 90 days, not in 30 days
COUNTED = ("paid", "accepted", "dispatched", "delivered")
# What the composer waits for from a staff member (kept with the user, see users.expect).
AWAIT_KO, AWAIT_EN = "campaign_ko", "campaign_en"
AWAIT_IMAGE, AWAIT_TIME = "campaign_image", "campaign_time"
NIGHT = "night"  # a recipient's note while it waits for 08:00


@dataclass(frozen=True)
class Audience:
    """Who a campaign is for, beyond the law's consent: a category ordered, order recency."""

    category: str | None = None
    recency: str = "any"

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Audience":
        """Read the stored form (unknown values fall back to everyone)."""
        data = data or {}
        recency = data.get("recency") if data.get("recency") in RECENCY else "any"
        category = data.get("category") if isinstance(data.get("category"), str) else None
        return cls(category or None, recency or "any")

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"category": self.category, "recency": self.recency}


@dataclass(frozen=True)
class Draft:
    """A campaign as the composer shows it."""

    id: int
    status: CampaignStatus
    text_ko: str
    text_en: str
    image: str | None
    coupon_id: int | None
    coupon_name: str | None
    coupon_name_en: str | None
    audience: Audience
    reach: int  # residents the law and the filters allow
    reach_night: int  # of them, who also allow night-time ads
    scheduled_at: datetime | None


@dataclass(frozen=True)
class Report:
    """Where a campaign's sending stands."""

    campaign_id: int
    status: CampaignStatus
    total: int
    sent: int
    failed: int
    blocked: int
    opted_out: int
    waiting: int  # pending, of which `morning` wait for 08:00
    morning: int
    redeemed: int  # campaign coupons used on paid orders so far
    has_coupon: bool = False

    @property
    def handled(self) -> int:
        """Recipients with a final outcome."""
        return self.sent + self.failed + self.blocked + self.opted_out


def clean_text(text: str) -> str:
    """An ad text as staff typed it, trimmed; refused when empty or too long."""
    text = text.strip()
    if not text:
        raise BadAdText("empty", 0)
    if len(text) > MAX_TEXT:
        raise BadAdText("long", len(text))
    return text


def audience_query(region_id: int, audience: Audience, now: datetime) -> Select[tuple[int]]:
    """The ids of residents the law and the filters allow to receive an ad."""
    query = select(User.id).where(
        User.role == Role.RESIDENT,
        User.marketing_consent.is_(True),
        User.blocked_at.is_(None),
        User.forgotten_at.is_(None),
    )
    ordered = select(Order.id).join(Merchant, Merchant.id == Order.merchant_id)
    ordered = ordered.where(
        Order.user_id == User.id, Order.status.in_(COUNTED), Merchant.region_id == region_id
    )
    if audience.category:
        query = query.where(exists(ordered.where(Merchant.category == audience.category)))
    if audience.recency in ("30d", "90d"):
        days = 30 if audience.recency == "30d" else 90
        query = query.where(exists(ordered.where(Order.paid_at >= now - timedelta(days=days))))
    elif audience.recency == "lapsed30":
        since = now - timedelta(days=30)
        query = query.where(exists(ordered), ~exists(ordered.where(Order.paid_at >= since)))
    return query


async def _region_id(session: AsyncSession) -> int:
    region_id = await session.scalar(select(Region.id).order_by(Region.id).limit(1))
    if region_id is None:
        raise NotFound("region", None)
    return region_id


async def _staff(session: AsyncSession, telegram_id: int) -> User:
    user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    if user is None or user.role != Role.STAFF:
        raise NotAllowed("campaigns are for staff")
    return user


async def _campaign(session: AsyncSession, campaign_id: int, *, lock: bool = False) -> Campaign:
    query = select(Campaign).where(Campaign.id == campaign_id)
    if lock:
        query = query.with_for_update()
    campaign = await session.scalar(query)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


async def create(session: AsyncSession, *, telegram_id: int) -> int:
    """Start a draft for a staff member; return its id."""
    staff = await _staff(session, telegram_id)
    campaign = Campaign(
        region_id=await _region_id(session),
        created_by_id=staff.id,
        text_ko="",
        text_en="",
        audience=Audience().to_json(),
    )
    session.add(campaign)
    await session.flush()
    return campaign.id


async def edit(
    session: AsyncSession, *, campaign_id: int, telegram_id: int, **changes: Any
) -> None:
    """Change a draft: text_ko, text_en, image, coupon_id or audience (an Audience)."""
    await _staff(session, telegram_id)
    campaign = await _campaign(session, campaign_id, lock=True)
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignState(str(campaign.status))
    for name, value in changes.items():
        if name in ("text_ko", "text_en"):
            value = clean_text(value)
        elif name == "audience":
            value = value.to_json()
        elif name == "coupon_id" and value is not None:
            coupon = await session.get(Coupon, value)
            if coupon is None or coupon.spent >= coupon.budget:
                raise NotFound("coupon", value)
        elif name != "image":
            raise ValueError(f"unknown change {name!r}")
        setattr(campaign, name, value)
    await session.flush()


async def ask(
    session: AsyncSession, *, telegram_id: int, what: str, campaign_id: int, first: bool = False
) -> None:
    """Wait for a text (or picture) for a campaign from a staff member; `first` while the
    composer walks through the steps of a new campaign."""
    staff = await _staff(session, telegram_id)
    users.expect(staff, what, {"campaign": campaign_id, "first": first})
    await session.flush()


async def stop_asking(session: AsyncSession, *, telegram_id: int) -> None:
    """Stop waiting for a campaign answer."""
    users.forget(await users.get(session, telegram_id))
    await session.flush()


@dataclass(frozen=True)
class CouponOffer:
    """A coupon a campaign can carry, with the budget it has left."""

    id: int
    name: str
    name_en: str
    left: int
    valid_to: datetime


async def coupons_on_offer(session: AsyncSession, *, now: datetime | None) -> list[CouponOffer]:
    """Coupons a campaign can carry: budget left and (when `now` is given) valid now."""
    query = select(Coupon).where(Coupon.spent < Coupon.budget).order_by(Coupon.id.desc())
    if now is not None:
        query = query.where(Coupon.valid_from <= now, Coupon.valid_to > now)
    return [
        CouponOffer(c.id, c.name, c.name_en, c.budget - c.spent, c.valid_to)
        for c in await session.scalars(query.limit(20))
    ]


async def reach(session: AsyncSession, audience: Audience, now: datetime) -> tuple[int, int]:
    """How many residents an audience reaches, and how many of them allow night-time ads."""
    region_id = await _region_id(session)
    ids = audience_query(region_id, audience, now).subquery()
    total = await session.scalar(select(func.count()).select_from(ids)) or 0
    night = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.id.in_(select(ids.c.id)), User.night_consent.is_(True))
    )
    return total, night or 0


async def draft(
    session: AsyncSession, *, campaign_id: int, telegram_id: int, now: datetime
) -> Draft:
    """A campaign with its coupon and its current reach."""
    await _staff(session, telegram_id)
    campaign = await _campaign(session, campaign_id)
    coupon = await session.get(Coupon, campaign.coupon_id) if campaign.coupon_id else None
    audience = Audience.from_json(campaign.audience)
    total, night = await reach(session, audience, now)
    return Draft(
        campaign.id,
        campaign.status,
        campaign.text_ko,
        campaign.text_en,
        campaign.image,
        campaign.coupon_id,
        coupon.name if coupon else None,
        coupon.name_en if coupon else None,
        audience,
        total,
        night,
        campaign.scheduled_at,
    )


async def categories(session: AsyncSession) -> list[str]:
    """The categories of the region's shops, for the audience filter."""
    rows = await session.scalars(
        select(Merchant.category)
        .where(Merchant.active.is_(True))
        .distinct()
        .order_by(Merchant.category)
    )
    return list(rows)


async def schedule(
    session: AsyncSession, *, campaign_id: int, telegram_id: int, at: datetime, now: datetime
) -> None:
    """Send a ready draft at `at` (in the future)."""
    await _staff(session, telegram_id)
    campaign = await _campaign(session, campaign_id, lock=True)
    _check_ready(campaign)
    if at <= now:
        raise TimeInPast(at.isoformat())
    await _check_coupon(session, campaign, at)
    campaign.status, campaign.scheduled_at = CampaignStatus.SCHEDULED, at
    await session.flush()


async def unschedule(session: AsyncSession, *, campaign_id: int, telegram_id: int) -> None:
    """Take a scheduled campaign back to a draft (before it starts)."""
    await _staff(session, telegram_id)
    result = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SCHEDULED)
        .values(status=CampaignStatus.DRAFT, scheduled_at=None)
    )
    if not result.rowcount:
        raise CampaignState("not scheduled")


async def discard(session: AsyncSession, *, campaign_id: int, telegram_id: int) -> None:
    """Cancel a draft or a scheduled campaign (one that is sending cannot be called back)."""
    await _staff(session, telegram_id)
    result = await session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status.in_([CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]),
        )
        .values(status=CampaignStatus.CANCELLED)
    )
    if not result.rowcount:
        raise CampaignState("started")


async def _check_coupon(session: AsyncSession, campaign: Campaign, at: datetime) -> None:
    """A campaign's coupon must still be valid at `at` and have budget left."""
    if campaign.coupon_id is None:
        return
    coupon = await session.get(Coupon, campaign.coupon_id)
    if (
        coupon is None
        or not coupon.valid_from <= at < coupon.valid_to
        or coupon.spent >= coupon.budget
    ):
        raise CampaignState("coupon")


def _check_ready(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignState(str(campaign.status))
    if not campaign.text_ko or not campaign.text_en:
        raise CampaignState("texts missing")


async def start(
    session: AsyncSession,
    *,
    campaign_id: int,
    now: datetime,
    telegram_id: int | None = None,
    progress: tuple[int, int] | None = None,
) -> int:
    """Start sending a draft (staff pressed "send now") or a due scheduled campaign (the
    timer, telegram_id None): draw the audience into one row per recipient. The status
    changes with one conditional UPDATE, so two instances never start it twice.
    Return the number of recipients; raise CampaignState if it was not startable."""
    if telegram_id is not None:
        await _staff(session, telegram_id)
        startable = [CampaignStatus.DRAFT]
        campaign = await _campaign(session, campaign_id)
        _check_ready(campaign)
        await _check_coupon(session, campaign, now)
    else:
        startable = [CampaignStatus.SCHEDULED]
    values: dict[str, Any] = {"status": CampaignStatus.SENDING, "started_at": now}
    if progress is not None:
        values["progress_chat_id"], values["progress_message_id"] = progress
    result = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(startable))
        .values(**values)
    )
    if not result.rowcount:
        raise CampaignState("not startable")
    campaign = await _campaign(session, campaign_id)
    audience = audience_query(campaign.region_id, Audience.from_json(campaign.audience), now)
    ids = list(await session.scalars(audience.order_by(User.id)))
    session.add_all(CampaignRecipient(campaign_id=campaign_id, user_id=uid) for uid in ids)
    await session.flush()
    return len(ids)


async def due(session: AsyncSession, *, now: datetime) -> list[int]:
    """Scheduled campaigns whose time has come."""
    rows = await session.scalars(
        select(Campaign.id).where(
            Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= now
        )
    )
    return list(rows)


async def set_progress(
    session: AsyncSession, campaign_id: int, chat_id: int, message_id: int
) -> None:
    """Remember the staff message that shows a campaign's progress."""
    await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id)
    )


async def report(session: AsyncSession, campaign_id: int, *, now: datetime) -> Report:
    """Counts by outcome, and the campaign coupons redeemed on paid orders so far."""
    campaign = await _campaign(session, campaign_id)
    counts: dict[RecipientStatus, int] = dict(
        (
            await session.execute(  # type: ignore[arg-type]
                select(CampaignRecipient.status, func.count())
                .where(CampaignRecipient.campaign_id == campaign_id)
                .group_by(CampaignRecipient.status)
            )
        ).all()
    )
    morning = await session.scalar(
        select(func.count()).where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status == RecipientStatus.PENDING,
            CampaignRecipient.not_before > now,
            CampaignRecipient.error == NIGHT,
        )
    )
    redeemed = await session.scalar(
        select(func.count())
        .select_from(IssuedCoupon)
        .join(Order, Order.issued_coupon_id == IssuedCoupon.id)
        .where(IssuedCoupon.campaign_id == campaign_id, Order.status.in_(COUNTED))
    )
    return Report(
        campaign_id,
        campaign.status,
        sum(counts.values()),
        counts.get(RecipientStatus.SENT, 0),
        counts.get(RecipientStatus.FAILED, 0),
        counts.get(RecipientStatus.BLOCKED, 0),
        counts.get(RecipientStatus.OPTED_OUT, 0),
        counts.get(RecipientStatus.PENDING, 0) + counts.get(RecipientStatus.SENDING, 0),
        morning or 0,
        redeemed or 0,
        campaign.coupon_id is not None,
    )


async def finish(session: AsyncSession, campaign_id: int, *, now: datetime) -> bool:
    """Mark a sending campaign done when no recipient is left; True for the one caller
    that did it (it sends the final report)."""
    left = exists().where(
        CampaignRecipient.campaign_id == campaign_id,
        CampaignRecipient.status.in_([RecipientStatus.PENDING, RecipientStatus.SENDING]),
    )
    result = await session.execute(
        update(Campaign)
        .where(and_(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING), ~left)
        .values(status=CampaignStatus.DONE, finished_at=now)
    )
    return bool(result.rowcount)


async def recent(session: AsyncSession, *, telegram_id: int, limit: int = 8) -> list[Campaign]:
    """The latest campaigns, for the staff's list."""
    await _staff(session, telegram_id)
    rows = await session.scalars(
        select(Campaign)
        .where(Campaign.status != CampaignStatus.CANCELLED)
        .order_by(Campaign.id.desc())
        .limit(limit)
    )
    return list(rows)


async def creator_chat(session: AsyncSession, campaign_id: int) -> int | None:
    """The chat of the staff member who made a campaign."""
    return await session.scalar(
        select(User.telegram_id)
        .join(Campaign, Campaign.created_by_id == User.id)
        .where(Campaign.id == campaign_id)
    )


async def progress_targets(session: AsyncSession) -> list[tuple[int, int | None, int | None]]:
    """Sending campaigns with the staff chat to report to (the progress message's, else the
    creator's) and the progress message to edit, if there is one."""
    rows = await session.execute(
        select(
            Campaign.id, Campaign.progress_chat_id, User.telegram_id, Campaign.progress_message_id
        )
        .outerjoin(User, User.id == Campaign.created_by_id)
        .where(Campaign.status == CampaignStatus.SENDING)
        .order_by(Campaign.id)
    )
    return [(cid, chat or creator, message) for cid, chat, creator, message in rows.all()]
