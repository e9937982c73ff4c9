"""The recipients of a sending campaign, one row each: claimed, sent, blocked, failed.

A row is claimed (SENDING, committed, with the time as a lease) just before its message goes
out and marked SENT right after, in the transaction that also issues the campaign coupon.
A sender that dies leaves at most the rows it had in flight as SENDING; `recover` puts them
back after the lease, so nothing is skipped (a message whose send succeeded but whose mark
was lost with the process goes out again: at most one per message in flight).

The law is applied at claim time, on the resident's current consents: withdrawn consent
-> OPTED_OUT; quiet hours without night-time consent -> wait until 08:00.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import campaigns, coupons
from models.base import CampaignStatus, RecipientStatus
from models.campaign import Campaign, CampaignRecipient
from models.coupon import Coupon
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
    night = campaigns.quiet(now, tz)
    coupon_notes: dict[int, CouponNote | None] = {}
    batch = []
    for recipient, user, campaign in rows:
        if not user.marketing_consent or user.forgotten_at is not None:
            recipient.status = RecipientStatus.OPTED_OUT
            continue
        if user.blocked_at is not None:
            recipient.status = RecipientStatus.BLOCKED
            continue
        if night and not user.night_consent:
            recipient.not_before = campaigns.next_morning(now, tz)
            continue
        recipient.status, recipient.claimed_at = RecipientStatus.SENDING, now
        recipient.attempts += 1
        if campaign.id not in coupon_notes:
            coupon_notes[campaign.id] = await _coupon_note(session, campaign.coupon_id)
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
                coupon_notes[campaign.id],
                recipient.attempts,
            )
        )
    await session.flush()
    return batch


async def _coupon_note(session: AsyncSession, coupon_id: int | None) -> CouponNote | None:
    coupon = await session.get(Coupon, coupon_id) if coupon_id else None
    return CouponNote(coupon.name, coupon.name_en, coupon.valid_to) if coupon else None


async def sent(session: AsyncSession, recipient_id: int, *, now: datetime) -> None:
    """Record a delivered ad and put its coupon in the resident's account."""
    recipient = await session.get(CampaignRecipient, recipient_id, with_for_update=True)
    if recipient is None or recipient.status == RecipientStatus.SENT:
        return
    recipient.status, recipient.sent_at, recipient.error = RecipientStatus.SENT, now, None
    campaign = await session.get(Campaign, recipient.campaign_id)
    if campaign is not None and campaign.coupon_id is not None:
        coupon = await session.get(Coupon, campaign.coupon_id)
        if coupon is not None:
            await coupons.issue(
                session, coupon=coupon, user_id=recipient.user_id, campaign_id=campaign.id
            )
    await session.flush()


async def blocked(session: AsyncSession, recipient_id: int, *, now: datetime) -> None:
    """The resident blocked the bot (403): mark them, and send them nothing more."""
    recipient = await session.get(CampaignRecipient, recipient_id)
    if recipient is None:
        return
    recipient.status, recipient.error = RecipientStatus.BLOCKED, "blocked"
    await session.execute(update(User).where(User.id == recipient.user_id).values(blocked_at=now))


async def failed(session: AsyncSession, recipient_id: int, *, error: str) -> None:
    """Give up on one recipient (the chat is gone, the message cannot be sent)."""
    await session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id == recipient_id)
        .values(status=RecipientStatus.FAILED, error=error[:255])
    )


async def retry(
    session: AsyncSession, recipient_id: int, *, now: datetime, delay: float, error: str
) -> None:
    """Send again after `delay` seconds; give up after MAX_ATTEMPTS."""
    recipient = await session.get(CampaignRecipient, recipient_id)
    if recipient is None:
        return
    recipient.error = error[:255]
    if recipient.attempts >= MAX_ATTEMPTS:
        recipient.status = RecipientStatus.FAILED
    else:
        recipient.status = RecipientStatus.PENDING
        recipient.not_before = now + timedelta(seconds=delay)


async def release(session: AsyncSession, recipient_id: int) -> None:
    """Put a claimed recipient back in line untouched (a 429: Telegram asked us to wait)."""
    recipient = await session.get(CampaignRecipient, recipient_id)
    if recipient is not None and recipient.status == RecipientStatus.SENDING:
        recipient.status = RecipientStatus.PENDING
        recipient.attempts = max(0, recipient.attempts - 1)


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
