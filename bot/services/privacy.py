"""Personal data: erased from finished orders after the retention period, and on request.

/forget anonymises the resident rather than deleting the row: the Telegram id, names,
phone, addresses and consents go, and so do the messages sent to them or about their
orders and what their reviews said (with the owners' replies); orders stay, without
address, phone or note, linked to the anonymous row so that the city's statistics (repeat
rate, sales) remain right, and reviews keep their stars for the shops' ratings.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import outbox, users
from bot.services.errors import NotAllowed, OrdersOpen
from models.base import OrderStatus, Role
from models.inbox import InboundUpdate
from models.order import Order, OrderLine
from models.outbox import OrderMessage, OutboxMessage
from models.payment import Delivery
from models.region import MerchantMember
from models.review import Review
from models.user import Address, User

FINISHED = (
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
    OrderStatus.REJECTED,
    OrderStatus.EXPIRED,
)
OPEN = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.ACCEPTED,
    OrderStatus.DISPATCHED,
)
ERASED = {
    "address_text": None,
    "address_dong": None,
    "latitude": None,
    "longitude": None,
    "phone": None,
    "note": None,
}


async def erase_expired(session: AsyncSession, *, now: datetime, days: int) -> int:
    """Erase address, location, phone and notes (the order's and its lines') of orders
    finished over `days` days ago, their riders' names, and the message ids kept for them
    (outbox.remember); return how many orders were erased."""
    before = now - timedelta(days=days)
    finished_at = Order.status_changed_at
    result = await session.execute(
        update(Order)
        .where(
            Order.status.in_(FINISHED),
            finished_at < before,
            or_(
                Order.address_text.is_not(None),
                Order.phone.is_not(None),
                Order.latitude.is_not(None),
                Order.note.is_not(None),
            ),
        )
        .values(**ERASED)
    )
    finished = select(Order.id).where(Order.status.in_(FINISHED), finished_at < before)
    await session.execute(
        update(OrderLine)
        .where(OrderLine.order_id.in_(finished), OrderLine.note.is_not(None))
        .values(note=None)  # a line's note is the resident's own words too
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.order_id.in_(finished), Delivery.rider_name.is_not(None))
        .values(rider_name=None)  # the rider is a person too
    )
    await session.execute(delete(OrderMessage).where(OrderMessage.order_id.in_(finished)))
    return result.rowcount or 0


async def forget(session: AsyncSession, *, telegram_id: int, now: datetime) -> None:
    """Delete a resident's personal data (see the module's docstring). Refused for shop
    and staff accounts (the city removes those) and while an order is under way."""
    user = await users.get(session, telegram_id)
    member = await session.scalar(select(exists().where(MerchantMember.user_id == user.id)))
    if user.role != Role.RESIDENT or member:
        raise NotAllowed("shop and staff accounts are removed by the city")
    open_order = await session.scalar(
        select(exists().where(Order.user_id == user.id, Order.status.in_(OPEN)))
    )
    if open_order:
        raise OrdersOpen(telegram_id)
    await session.execute(
        delete(Order).where(Order.user_id == user.id, Order.status == OrderStatus.CART)
    )
    await session.execute(update(Order).where(Order.user_id == user.id).values(**ERASED))
    theirs = select(Order.id).where(Order.user_id == user.id)
    await session.execute(
        update(OrderLine).where(OrderLine.order_id.in_(theirs)).values(note=None)
    )
    # what they wrote to the bot, kept a day after it was handled (the id stays, so that a
    # second delivery of it is still recognised)
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.chat_id == telegram_id, InboundUpdate.done_at.is_not(None))
        .values(payload={})
    )
    await session.execute(delete(Address).where(Address.user_id == user.id))
    # their words, shown on the shop's page, and the reply that answers (and may quote) them
    await session.execute(
        update(Review).where(Review.user_id == user.id).values(text=None, reply=None)
    )
    # messages to the resident, and about their orders to the shop: their texts and
    # payloads hold the address and phone. An order with a message still in line (taking
    # buttons off, by these records) keeps them until it went: the purge takes them then.
    in_line = select(OutboxMessage.order_id).where(
        OutboxMessage.order_id.is_not(None), OutboxMessage.status.in_(outbox.WAITING)
    )
    settled = theirs.where(Order.id.not_in(in_line))
    await session.execute(delete(OrderMessage).where(OrderMessage.order_id.in_(settled)))
    await session.execute(
        delete(OutboxMessage).where(
            or_(
                OutboxMessage.order_id.in_(settled),
                (OutboxMessage.chat_id == telegram_id) & OutboxMessage.order_id.is_(None),
            ),
            OutboxMessage.status.in_(outbox.DONE_WITH),
        )
    )
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            telegram_id=-user.id,  # no longer anyone's: writing again starts afresh
            first_name=None,
            username=None,
            language_code=None,
            locale=None,
            phone=None,
            marketing_consent=False,
            marketing_consent_at=now,
            night_consent=False,
            night_consent_at=now,
            awaiting=None,
            awaiting_data=None,
            forgotten_at=now,
        )
    )
    session.expunge(user)
