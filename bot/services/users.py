"""Residents, merchants and staff as the bot knows them."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import memo
from bot.services.errors import NotFound
from models.base import Role, utcnow
from models.region import Merchant, MerchantMember
from models.user import User


@dataclass(frozen=True)
class UserView:
    id: int
    telegram_id: int
    locale: str | None
    language_code: str | None
    role: Role
    first_name: str | None
    merchant_codes: tuple[str, ...] = ()
    consent_decided: bool = False  # asked about advertising messages and answered


async def touch(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
    reset_prompt: bool = False,
) -> UserView:
    """Find or create the user behind a Telegram account, refreshing its profile.

    With reset_prompt (a command such as /start), any question the bot was waiting on is
    dropped, so the next text is read afresh.
    """
    user = await get_or_create(session, telegram_id)
    for name, value in (
        ("first_name", first_name),
        ("username", username),
        ("language_code", language_code),
    ):
        if value is not None and getattr(user, name) != value:
            setattr(user, name, value)
    if user.blocked_at is not None:  # writing to us again means they unblocked
        user.blocked_at = None
    if reset_prompt:
        forget(user)
    await session.flush()
    return await _view(session, user)


async def set_locale(session: AsyncSession, *, telegram_id: int, locale: str) -> UserView:
    """Remember the language a user chose."""
    user = await get_or_create(session, telegram_id)
    user.locale = locale
    await session.flush()
    return await _view(session, user)


async def languages_of(session: AsyncSession, telegram_id: int) -> tuple[str | None, str | None]:
    """The language a user chose and the one Telegram reports, if known."""
    row = (
        await session.execute(
            select(User.locale, User.language_code).where(User.telegram_id == telegram_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


async def get(session: AsyncSession, telegram_id: int) -> User:
    """The user behind a Telegram account, or NotFound; read once per transaction."""
    # /forget replaces the Telegram id: the object read before is no longer this account's
    user = memo.recall(session, "user", telegram_id, lambda u: u.telegram_id == telegram_id)
    if user is not None:
        return user
    user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    if user is None:
        raise NotFound("user", telegram_id)
    memo.remember(session, "user", telegram_id, user)
    return user


async def locale_of(session: AsyncSession, telegram_id: int) -> str | None:
    """The language a user chose, if any (the user as read in this transaction)."""
    try:
        return (await get(session, telegram_id)).locale
    except NotFound:
        return None


async def get_or_create(session: AsyncSession, telegram_id: int) -> User:
    """The user row, created on first contact (also a resident writing again after /forget);
    a concurrent first contact wins the race. Read once per transaction, as get()."""
    try:
        return await get(session, telegram_id)
    except NotFound:
        pass
    try:
        async with session.begin_nested():
            session.add(User(telegram_id=telegram_id, role=Role.RESIDENT))
    except IntegrityError:
        pass  # the other first contact committed it
    return await get(session, telegram_id)


async def _view(session: AsyncSession, user: User) -> UserView:
    codes = await session.scalars(
        select(Merchant.code)
        .join(MerchantMember, MerchantMember.merchant_id == Merchant.id)
        .where(MerchantMember.user_id == user.id)
        .order_by(Merchant.position)
    )
    return UserView(
        id=user.id,
        telegram_id=user.telegram_id,
        locale=user.locale,
        language_code=user.language_code,
        role=user.role,
        first_name=user.first_name,
        merchant_codes=tuple(codes),
        consent_decided=user.marketing_consent_at is not None,
    )


PROMPT_TTL = timedelta(minutes=15)


def expect(user: User, what: str, data: dict[str, Any] | None = None) -> None:
    """Remember that the bot waits for `what` from this user (kept in the database)."""
    user.awaiting = what
    user.awaiting_data = {**(data or {}), "at": utcnow().isoformat()}


def forget(user: User) -> None:
    """Stop waiting for an answer from this user."""
    user.awaiting = None
    user.awaiting_data = None


async def expected(session: AsyncSession, telegram_id: int) -> tuple[str | None, dict[str, Any]]:
    """What the bot waits for from this user and its data; nothing once it is stale."""
    try:
        user = await get(session, telegram_id)
    except NotFound:
        return None, {}
    if user.awaiting is None:
        return None, {}
    data = dict(user.awaiting_data or {})
    try:
        asked = datetime.fromisoformat(str(data.pop("at")))
    except (KeyError, ValueError):
        return None, {}
    if utcnow() - asked > PROMPT_TTL:
        return None, {}
    return user.awaiting, data


@dataclass(frozen=True)
class Consents:
    """What a user agreed to receive (정보통신망법 제50조), with when they decided."""

    locale: str | None
    marketing: bool
    marketing_at: datetime | None
    night: bool
    night_at: datetime | None


async def consents(session: AsyncSession, *, telegram_id: int) -> Consents:
    """The user's advertising consents."""
    user = await get_or_create(session, telegram_id)
    return Consents(
        user.locale,
        user.marketing_consent,
        user.marketing_consent_at,
        user.night_consent,
        user.night_consent_at,
    )


async def set_consent(
    session: AsyncSession, *, telegram_id: int, kind: str, given: bool, now: datetime
) -> Consents:
    """Record a consent decision with its time; night-time sends need marketing consent too."""
    user = await get_or_create(session, telegram_id)
    if kind == "marketing":
        user.marketing_consent, user.marketing_consent_at = given, now
        if not given and user.night_consent:  # withdrawing consent withdraws night-time too
            user.night_consent, user.night_consent_at = False, now
    elif kind == "night":
        user.night_consent, user.night_consent_at = given and user.marketing_consent, now
    else:
        raise ValueError(f"unknown consent {kind!r}")
    await session.flush()
    return await consents(session, telegram_id=telegram_id)


async def make_staff(session: AsyncSession, *, telegram_id: int) -> None:
    """Give a Telegram account the municipal staff role."""
    user = await get_or_create(session, telegram_id)
    user.role = Role.STAFF
    await session.flush()


async def role_of(session: AsyncSession, telegram_id: int) -> Role:
    """The user's role (a stranger is a resident)."""
    role = await session.scalar(select(User.role).where(User.telegram_id == telegram_id))
    return role or Role.RESIDENT
