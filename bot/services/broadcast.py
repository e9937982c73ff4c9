"""The recipients of a sending campaign, one row each: claimed, sent, blocked, failed.

A row is claimed (SENDING, committed), its lease renewed right before the send, and marked
SENT right after, in the transaction that puts the campaign coupon in the account; outcomes
apply only to a row still SENDING. A sender that dies leaves at most the rows it had claimed
as SENDING; `recover` puts them back after the lease, so nothing is skipped (a message whose send
succeeded but whose mark was lost with the process goes out again: at most one per
message in flight).

The law is applied at claim time, on the resident's current consents: withdrawn consent
-> OPTED_OUT; quiet hours without night-time consent -> wait until 08:00.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Update, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import ad_times, campaigns, coupons
from models.base import CampaignStatus, RecipientStatus
from models.campaign import Campaign, CampaignRecipient
from models.coupon import Coupon, IssuedCoupon
from models.user import User

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class CouponNote:
    """What an ad says about the coupon that comes with it."""

    name: str
    name_en: str
    valid_to: datetime


@dataclass(frozen=True)
class Send:
    """One message to send now."""

    recipient_id: int
    campaign_id: int
    chat_id: int
    locale: str | None
    language_code: str | None
    text_ko: str
    text_en: str
    image: str | None
    coupon: CouponNote | None
    attempts: int
    night_consent: bool = False


async def claim(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo, limit: int = 25
) -> list[Send]:
    """Take due recipients of sending campaigns (rows locked elsewhere are skipped), apply
    the consent and quiet-hour rules, and mark those to send now as SENDING."""
    rows = (
        await session.execute(
            select(CampaignRecipient, User, Campaign)
            .join(User, User.id == CampaignRecipient.user_id)
            .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
            .where(
                Campaign.status == CampaignStatus.SENDING,
                CampaignRecipient.status == RecipientStatus.PENDING,
                or_(CampaignRecipient.not_before.is_(None), CampaignRecipient.not_before <= now),
            )
            .order_by(CampaignRecipient.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=CampaignRecipient)
        )
    ).all()
    night = ad_times.quiet(now, tz)
    batch = []
    for recipient, user, campaign in rows:
        if not user.marketing_consent or user.forgotten_at is not None:
            recipient.status = RecipientStatus.OPTED_OUT
            continue
        if user.blocked_at is not None:
            recipient.status = RecipientStatus.BLOCKED
            continue
        if night and not user.night_consent:
            defer_to_morning(recipient, now, tz)
            continue
        recipient.status, recipient.claimed_at = RecipientStatus.SENDING, now
        recipient.attempts += 1
        batch.append(
            Send(
                recipient.id,
                campaign.id,
                user.telegram_id,
                user.locale,
                user.language_code,
                campaign.text_ko,
                campaign.text_en,
                campaign.image,
                await _coupon(session, campaign, user.id, now),
                recipient.attempts,
                user.night_consent,
            )
        )
    await session.flush()
    return batch


def defer_to_morning(recipient: CampaignRecipient, now: datetime, tz: ZoneInfo) -> None:
    """Quiet hours and no night-time consent: wait until 08:00."""
    recipient.status = RecipientStatus.PENDING
    recipient.not_before, recipient.error = ad_times.next_morning(now, tz), campaigns.NIGHT


async def _coupon(
    session: AsyncSession, campaign: Campaign, user_id: int, now: datetime
) -> CouponNote | None:
    """What the ad says about the campaign coupon: None when the resident will not get one
    (the coupon is no longer valid, its budget is spent, or they hold as many as it allows).
    The coupon itself is put in the account when the ad is recorded as sent."""
    if campaign.coupon_id is None:
        return None
    coupon = await session.get(Coupon, campaign.coupon_id)
    if coupon is None:
        return None
    note = CouponNote(coupon.name, coupon.name_en, coupon.valid_to)
    if await _issued(session, campaign.id, user_id):  # a second try of the same ad
        return note
    if not coupon.valid_from <= now < coupon.valid_to or coupon.spent >= coupon.budget:
        return None
    held = await session.scalar(
        select(func.count(IssuedCoupon.id)).where(
            IssuedCoupon.coupon_id == coupon.id, IssuedCoupon.user_id == user_id
        )
    )
    return note if (held or 0) < coupon.per_user_limit else None


async def _issued(session: AsyncSession, campaign_id: int, user_id: int) -> bool:
    found = await session.scalar(
        select(IssuedCoupon.id).where(
            IssuedCoupon.campaign_id == campaign_id, IssuedCoupon.user_id == user_id
        )
    )
    return found is not None


async def sending_now(session: AsyncSession, recipient_id: int, *, now: datetime) -> bool:
    """Renew the lease right before the send; False when the row is no longer ours (a
    recovery gave it to another sender, or it was settled)."""
    result = await session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.id == recipient_id,
            CampaignRecipient.status == RecipientStatus.SENDING,
        )
        .values(claimed_at=now)
    )
    return bool(result.rowcount)


def _settle(recipient_id: int, **values: object) -> Update:
    """An outcome for a claimed row; it only applies while the row is still SENDING."""
    return (
        update(CampaignRecipient)
        .where(
            CampaignRecipient.id == recipient_id,
            CampaignRecipient.status == RecipientStatus.SENDING,
        )
        .values(**values)
    )


async def sent(
    session: AsyncSession, recipient_id: int, *, now: datetime, coupon: bool = False
) -> None:
    """Record a delivered ad and, when it promised one, put the coupon in the account."""
    result = await session.execute(
        _settle(recipient_id, status=RecipientStatus.SENT, sent_at=now, error=None)
    )
    if not result.rowcount or not coupon:
        return
    recipient = await session.get(CampaignRecipient, recipient_id)
    campaign = await session.get(Campaign, recipient.campaign_id) if recipient else None
    if recipient is None or campaign is None or campaign.coupon_id is None:
        return
    if not await _issued(session, campaign.id, recipient.user_id):
        found = await session.get(Coupon, campaign.coupon_id)
        if found is not None:
            await coupons.issue(
                session, coupon=found, user_id=recipient.user_id, campaign_id=campaign.id
            )


async def blocked(session: AsyncSession, recipient_id: int, *, now: datetime) -> None:
    """The resident blocked the bot (403): mark them, and send them nothing more."""
    result = await session.execute(
        _settle(recipient_id, status=RecipientStatus.BLOCKED, error="blocked")
    )
    if result.rowcount:
        user_id = select(CampaignRecipient.user_id).where(CampaignRecipient.id == recipient_id)
        await session.execute(
            update(User).where(User.id == user_id.scalar_subquery()).values(blocked_at=now)
        )


async def failed(session: AsyncSession, recipient_id: int, *, error: str) -> None:
    """Give up on one recipient (the chat is gone, the message cannot be sent)."""
    await session.execute(_settle(recipient_id, status=RecipientStatus.FAILED, error=error[:255]))


async def retry(
    session: AsyncSession, recipient_id: int, *, now: datetime, delay: float, error: str
) -> None:
    """Send again after `delay` seconds; give up after MAX_ATTEMPTS."""
    recipient = await session.get(CampaignRecipient, recipient_id)
    if recipient is None or recipient.status != RecipientStatus.SENDING:
        return
    recipient.error = error[:255]
    if recipient.attempts >= MAX_ATTEMPTS:
        recipient.status = RecipientStatus.FAILED
    else:
        recipient.status = RecipientStatus.PENDING
        recipient.not_before = now + timedelta(seconds=delay)


async def release(
    session: AsyncSession, recipient_id: int, *, morning: tuple[datetime, ZoneInfo] | None = None
) -> None:
    """Put a claimed recipient back in line untouched (a 429: Telegram asked us to wait; or,
    with `morning`, quiet hours began before the send)."""
    recipient = await session.get(CampaignRecipient, recipient_id)
    if recipient is None or recipient.status != RecipientStatus.SENDING:
        return
    recipient.status = RecipientStatus.PENDING
    recipient.attempts = max(0, recipient.attempts - 1)
    if morning is not None:
        defer_to_morning(recipient, *morning)


async def recover(session: AsyncSession, *, before: datetime) -> int:
    """Put back recipients claimed before `before` and still SENDING (their sender died)."""
    result = await session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.status == RecipientStatus.SENDING,
            or_(CampaignRecipient.claimed_at <= before, CampaignRecipient.claimed_at.is_(None)),
        )
        .values(status=RecipientStatus.PENDING)
    )
    return result.rowcount or 0
