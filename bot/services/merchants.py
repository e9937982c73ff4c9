"""What a shop does with its orders: accept with an ETA, reject with a reason, deliver."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.integrations.payments import PaymentProvider
from bot.services import coupons, lifecycle, outbox, payments
from bot.services.errors import InviteInvalid, NotAllowed, NotFound, WrongState
from models.base import OrderStatus, Role
from models.order import Order
from models.region import MenuItem, Merchant, MerchantInvite, MerchantMember
from models.user import User

ETAS = (15, 30, 45, 60)
REASONS = ("sold_out", "too_busy", "closed", "outside_area")


async def order_for_member(
    session: AsyncSession, order_id: int, telegram_id: int, *, lock: bool = True
) -> Order:
    order = await lifecycle.load(session, order_id, lock=lock)
    member = await session.scalar(
        select(MerchantMember.id)
        .join(User, User.id == MerchantMember.user_id)
        .where(MerchantMember.merchant_id == order.merchant_id, User.telegram_id == telegram_id)
    )
    if member is None:
        raise NotAllowed(f"user {telegram_id} is not linked to the shop of order {order_id}")
    return order


async def ensure_unanswered(session: AsyncSession, *, order_id: int, telegram_id: int) -> None:
    """Raise unless the order still waits for its shop's answer and the user is the shop's."""
    order = await order_for_member(session, order_id, telegram_id, lock=False)
    if order.status != OrderStatus.PAID:
        raise WrongState(order_id, order.status.value)


async def accept(
    session: AsyncSession,
    *,
    order_id: int,
    telegram_id: int,
    eta: int,
    now: datetime,
    keep: tuple[int, int] | None = None,
) -> str:
    """Accept a paid order, promising it in `eta` minutes; return its fulfilment. The
    buttons come off the order's other alerts, but not off `keep` (see outbox.retire)."""
    if eta not in ETAS:
        raise WrongState(order_id, "bad eta")
    order = await order_for_member(session, order_id, telegram_id)
    lifecycle.move(order, OrderStatus.ACCEPTED, now)
    order.eta_minutes = eta
    await outbox.retire(session, order_id=order_id, now=now, keep=keep)
    await lifecycle.notify(session, order, now=now, resident="order_accepted")
    return order.fulfilment.value


async def reject(
    session: AsyncSession,
    *,
    order_id: int,
    telegram_id: int,
    reason: str,
    provider: PaymentProvider,
    now: datetime,
    keep: tuple[int, int] | None = None,
) -> None:
    """Reject a paid order with a reason and refund the resident."""
    if reason not in REASONS:
        raise WrongState(order_id, "bad reason")
    order = await order_for_member(session, order_id, telegram_id)
    lifecycle.move(order, OrderStatus.REJECTED, now)
    order.reject_reason = reason
    await outbox.retire(session, order_id=order_id, now=now, keep=keep)
    await coupons.release(session, order)
    refunded = await payments.refund(session, order, provider, now=now)
    await lifecycle.notify(
        session, order, now=now, resident="order_rejected", extra={"refunded": refunded}
    )


async def dispatch(
    session: AsyncSession,
    *,
    order_id: int,
    telegram_id: int,
    now: datetime,
    keep: tuple[int, int] | None = None,
) -> str:
    """The order left the shop (출발), or is ready for pickup; return its fulfilment."""
    return await _advance(
        session, order_id, telegram_id, now, keep, OrderStatus.DISPATCHED, "order_dispatched"
    )


async def deliver(
    session: AsyncSession,
    *,
    order_id: int,
    telegram_id: int,
    now: datetime,
    keep: tuple[int, int] | None = None,
) -> str:
    """Record the order delivered (배달 완료) or picked up, ask for a review; return how it
    was fulfilled."""
    return await _advance(
        session, order_id, telegram_id, now, keep, OrderStatus.DELIVERED, "order_delivered"
    )


async def _advance(
    session: AsyncSession,
    order_id: int,
    telegram_id: int,
    now: datetime,
    keep: tuple[int, int] | None,
    to: OrderStatus,
    resident: str,
) -> str:
    """Move the shop's order on and tell the resident; return its fulfilment."""
    order = await order_for_member(session, order_id, telegram_id)
    lifecycle.move(order, to, now)
    await outbox.retire(session, order_id=order_id, now=now, keep=keep)
    await lifecycle.notify(session, order, now=now, resident=resident)
    return order.fulfilment.value


async def chase_unanswered(
    session: AsyncSession,
    *,
    now: datetime,
    provider: PaymentProvider,
    realert_after: timedelta,
    cancel_after: timedelta,
) -> tuple[list[int], list[int]]:
    """Alert the shop again about paid orders it has not answered; cancel and refund later.

    Returns the ids of the orders re-alerted and of those cancelled.
    """
    waiting = list(
        await session.scalars(
            select(Order)
            .where(Order.status == OrderStatus.PAID, Order.paid_at <= now - realert_after)
            .with_for_update(skip_locked=True)
        )
    )
    realerted, cancelled = [], []
    for order in waiting:
        assert order.paid_at is not None  # noqa: S101 (PAID orders have it)
        if order.paid_at <= now - cancel_after:
            full = await lifecycle.load(session, order.id)
            lifecycle.move(full, OrderStatus.CANCELLED, now)
            full.cancel_reason = "no_answer"
            await outbox.retire(session, order_id=order.id, now=now)
            await coupons.release(session, full)
            refunded = await payments.refund(session, full, provider, now=now)
            await lifecycle.notify(
                session,
                full,
                now=now,
                resident="order_cancelled",
                merchant="merchant_order_cancelled",
                extra={"refunded": refunded},
            )
            cancelled.append(order.id)
        elif order.alerts_sent < 1:
            order.alerts_sent += 1
            full = await lifecycle.load(session, order.id)
            await outbox.retire(session, order_id=order.id, now=now)  # the new alert replaces it
            await lifecycle.notify(
                session, full, now=now, merchant="merchant_new_order", extra={"again": True}
            )
            realerted.append(order.id)
    return realerted, cancelled


INVITE_TTL = timedelta(hours=72)


@dataclass(frozen=True)
class ShopPanel:
    merchant_id: int
    code: str
    name: str
    name_en: str
    paused: bool
    sold_out: tuple[tuple[int, str, str], ...]  # (item id, name, name_en)


@dataclass(frozen=True)
class ItemToggle:
    id: int
    name: str
    name_en: str
    sold_out: bool


async def create_invite(
    session: AsyncSession, *, merchant_code: str, now: datetime, created_by: int | None = None
) -> str:
    """A single-use code that links a Telegram account to a shop, valid for 72 hours."""
    merchant = await session.scalar(select(Merchant).where(Merchant.code == merchant_code))
    if merchant is None:
        raise NotFound("merchant", merchant_code)
    code = secrets.token_urlsafe(12)
    session.add(
        MerchantInvite(
            code=code,
            merchant_id=merchant.id,
            created_by_id=created_by,
            expires_at=now + INVITE_TTL,
        )
    )
    await session.flush()
    return code


async def create_staff_invite(session: AsyncSession, *, now: datetime, created_by: int) -> str:
    """A single-use code, valid for 72 hours, that makes its user a member of staff; only
    staff create one."""
    staff = await session.scalar(select(User).where(User.telegram_id == created_by))
    if staff is None or staff.role != Role.STAFF:
        raise NotAllowed("only staff invite staff")
    code = secrets.token_urlsafe(12)
    session.add(
        MerchantInvite(
            code=code, merchant_id=None, created_by_id=staff.id, expires_at=now + INVITE_TTL
        )
    )
    await session.flush()
    return code


async def redeem_invite(
    session: AsyncSession, *, code: str, telegram_id: int, now: datetime
) -> tuple[str, str] | None:
    """Link the account to the invite's shop and return the shop's names, or (a staff
    invite) make it staff and return None. Once only."""
    invite = await session.scalar(
        select(MerchantInvite).where(MerchantInvite.code == code).with_for_update()
    )
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise InviteInvalid(code[:16])
    user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    if user is None:
        raise NotFound("user", telegram_id)
    invite.used_at, invite.used_by_id = now, user.id
    if invite.merchant_id is None:
        user.role = Role.STAFF
        await session.flush()
        return None
    merchant = await session.get(Merchant, invite.merchant_id)
    assert merchant is not None  # noqa: S101 (foreign key)
    if user.role == Role.RESIDENT:
        user.role = Role.MERCHANT
    linked = await session.scalar(
        select(MerchantMember.id).where(
            MerchantMember.merchant_id == merchant.id, MerchantMember.user_id == user.id
        )
    )
    if linked is None:
        session.add(MerchantMember(merchant_id=merchant.id, user_id=user.id))
    await session.flush()
    return merchant.name, merchant.name_en


async def _member_shop(session: AsyncSession, merchant_id: int, telegram_id: int) -> Merchant:
    merchant = await session.scalar(
        select(Merchant)
        .join(MerchantMember, MerchantMember.merchant_id == Merchant.id)
        .join(User, User.id == MerchantMember.user_id)
        .where(Merchant.id == merchant_id, User.telegram_id == telegram_id)
    )
    if merchant is None:
        raise NotAllowed(f"user {telegram_id} is not linked to shop {merchant_id}")
    return merchant


async def panels(session: AsyncSession, *, telegram_id: int) -> list[ShopPanel]:
    """The shops this account runs, with their pause state and sold-out items."""
    shops = await session.scalars(
        select(Merchant)
        .join(MerchantMember, MerchantMember.merchant_id == Merchant.id)
        .join(User, User.id == MerchantMember.user_id)
        .where(User.telegram_id == telegram_id)
        .order_by(Merchant.position)
    )
    result = []
    for shop in shops:
        sold = await session.execute(
            select(MenuItem.id, MenuItem.name, MenuItem.name_en).where(
                MenuItem.merchant_id == shop.id,
                MenuItem.active.is_(True),
                MenuItem.sold_out.is_(True),
            )
        )
        result.append(
            ShopPanel(
                shop.id,
                shop.code,
                shop.name,
                shop.name_en,
                shop.paused,
                tuple((row[0], row[1], row[2]) for row in sold),
            )
        )
    return result


async def set_paused(
    session: AsyncSession, *, merchant_id: int, telegram_id: int, paused: bool
) -> None:
    """Pause or resume taking orders."""
    shop = await _member_shop(session, merchant_id, telegram_id)
    shop.paused = paused


async def items(session: AsyncSession, *, merchant_id: int, telegram_id: int) -> list[ItemToggle]:
    """The shop's items with their sold-out flags."""
    await _member_shop(session, merchant_id, telegram_id)
    rows = await session.scalars(
        select(MenuItem)
        .where(MenuItem.merchant_id == merchant_id, MenuItem.active.is_(True))
        .order_by(MenuItem.position)
    )
    return [ItemToggle(i.id, i.name, i.name_en, i.sold_out) for i in rows]


async def set_sold_out(
    session: AsyncSession, *, item_id: int, telegram_id: int, sold_out: bool
) -> ItemToggle:
    """Mark an item sold out today, or available again."""
    item = await session.get(MenuItem, item_id)
    if item is None:
        raise NotFound("item", item_id)
    await _member_shop(session, item.merchant_id, telegram_id)
    item.sold_out = sold_out
    return ItemToggle(item.id, item.name, item.name_en, item.sold_out)
