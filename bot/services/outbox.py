"""The outbox: messages written with the change that causes them, sent by a drainer.

A message is claimed (status SENDING, committed) before it is sent and marked SENT after,
so a crash between an order's commit and the send loses nothing: the row is still PENDING
(or SENDING, which start-up turns back to PENDING) and goes out on restart.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.base import OutboxStatus
from models.outbox import OrderMessage, OutboxMessage

MAX_ATTEMPTS = 8
# Messages whose buttons act on the order's state at the time: their ids are kept, and a
# RETIRE message takes the buttons off once the order moves on.
LIVE_KINDS = ("merchant_new_order", "payment_declined", "payment_expired")
RETIRE = "retire_buttons"
WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)  # not gone out yet
DONE_WITH = (OutboxStatus.SENT, OutboxStatus.FAILED)  # gone out, or given up


@dataclass(frozen=True)
class Envelope:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    order_id: int | None
    attempts: int


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    order_id: int | None = None,
) -> None:
    """Add a message to send once the surrounding transaction commits."""
    session.add(
        OutboxMessage(
            chat_id=chat_id,
            kind=kind,
            payload=payload,
            order_id=order_id,
            available_at=now,
            created_at=now,
        )
    )


async def claim(session: AsyncSession, *, now: datetime, limit: int = 20) -> list[Envelope]:
    """Take due messages, oldest first and at most one per chat, marking them SENDING (rows
    locked by another sender are skipped)."""
    earlier = aliased(OutboxMessage)
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.available_at <= now,
                # a chat's messages go out in order, also with several senders: only the
                # oldest one not yet sent of each chat is taken
                ~exists().where(
                    earlier.chat_id == OutboxMessage.chat_id,
                    earlier.id < OutboxMessage.id,
                    earlier.status.in_(WAITING),
                ),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
    )
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.attempts += 1
        row.available_at = now  # while SENDING: when it was claimed (the lease starts)
    await session.flush()
    return [
        Envelope(r.id, r.chat_id, r.kind, dict(r.payload), r.order_id, r.attempts) for r in rows
    ]


async def sent(session: AsyncSession, message_id: int, *, now: datetime) -> None:
    """Record a message as delivered."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.SENT, sent_at=now, error=None)
    )


async def retry(
    session: AsyncSession, message_id: int, *, now: datetime, delay: float, error: str
) -> None:
    """Send again after `delay` seconds, or give up after MAX_ATTEMPTS."""
    row = await session.get(OutboxMessage, message_id)
    if row is None:
        return
    row.error = error[:255]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
    else:
        row.status = OutboxStatus.PENDING
        row.available_at = now + timedelta(seconds=delay)


async def failed(session: AsyncSession, message_id: int, *, error: str) -> None:
    """Give up on a message (the user blocked the bot, the chat is gone)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.FAILED, error=error[:255])
    )


async def recover(session: AsyncSession, *, before: datetime) -> int:
    """Put messages claimed before `before` and still SENDING back in line: their sender
    died (a live sender finishes a message within seconds). Return how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            or_(OutboxMessage.available_at <= before, OutboxMessage.available_at.is_(None)),
        )
        .values(status=OutboxStatus.PENDING)
    )
    return result.rowcount or 0


async def purge(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` messages sent or given up before `before` (their payloads hold
    the order's address and phone); return how many."""
    # a message's last step: claimed (then sent or given up) at available_at; one written
    # long ago and sent a moment ago may still be named by a retire message in line
    done = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_(DONE_WITH),
            OutboxMessage.available_at < before,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    result = await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(done)))
    return result.rowcount or 0


async def pending(session: AsyncSession) -> int:
    """How many messages wait to be sent."""
    count = await session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(WAITING))
    )
    return count or 0


async def oldest_pending(session: AsyncSession) -> datetime | None:
    """When the oldest message still waiting to be sent was written."""
    return await session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(WAITING))
    )


def remember(
    session: AsyncSession,
    *,
    order_id: int,
    chat_id: int,
    message_id: int,
    now: datetime,
    outbox_id: int | None = None,
    retired_text: str | None = None,
) -> None:
    """Keep the id of a sent message whose buttons act on the order as it is now, and what
    it should say once they are gone (None: its text stays)."""
    session.add(
        OrderMessage(
            order_id=order_id,
            chat_id=chat_id,
            message_id=message_id,
            outbox_id=outbox_id,
            retired_text=retired_text,
            created_at=now,
        )
    )


async def retire(
    session: AsyncSession, *, order_id: int, now: datetime, keep: tuple[int, int] | None = None
) -> None:
    """The order moved on: take the buttons off its messages sent so far, and off those
    written but not yet sent, except `keep` (chat id, message id: the message whose button
    was pressed, which its handler redraws; it is retired at a later move, buttons only)."""
    found: dict[int, dict[str, list]] = {}

    def of(chat_id: int) -> dict[str, list]:
        return found.setdefault(chat_id, {"messages": [], "rows": []})

    # the outbox first: a row sent meanwhile is then found below as a sent message (each
    # statement may see a newer snapshot on PostgreSQL), never missed by both
    unsent = await session.execute(
        select(OutboxMessage.id, OutboxMessage.chat_id).where(
            OutboxMessage.order_id == order_id,
            OutboxMessage.kind.in_(LIVE_KINDS),
            OutboxMessage.status.in_(WAITING),
        )
    )
    for row_id, chat_id in unsent:
        of(chat_id)["rows"].append(row_id)
    sent = await session.scalars(select(OrderMessage).where(OrderMessage.order_id == order_id))
    kept = False
    for message in sent:
        if (message.chat_id, message.message_id) == keep:
            # redrawn by its handler: no text to restore; and no longer the outbox row's,
            # so a retire written before the press (naming that row) leaves it alone
            message.outbox_id, message.retired_text, kept = None, None, True
            continue
        of(message.chat_id)["messages"].append([message.message_id, message.retired_text])
        await session.delete(message)
    if keep is not None and not kept:  # a retire written earlier named it: this says kept
        remember(session, order_id=order_id, chat_id=keep[0], message_id=keep[1], now=now)
    for chat_id, payload in sorted(found.items()):
        enqueue(session, chat_id=chat_id, kind=RETIRE, payload=payload, now=now, order_id=order_id)


async def to_retire(session: AsyncSession, envelope: Envelope) -> list[tuple[int, str | None]]:
    """The messages a RETIRE message takes the buttons off, with their text once retired:
    those it names, unless pressed (kept) since; and those of the outbox rows it names,
    sent since it was written."""
    kept = set(
        await session.scalars(
            select(OrderMessage.message_id).where(
                OrderMessage.order_id == envelope.order_id,
                OrderMessage.chat_id == envelope.chat_id,
            )
        )
    )
    later = await session.execute(
        select(OrderMessage.message_id, OrderMessage.retired_text).where(
            OrderMessage.outbox_id.in_(envelope.payload["rows"])
        )
    )
    named = [(m, text) for m, text in envelope.payload["messages"] if m not in kept]
    return [*named, *((m, text) for m, text in later)]


async def retired(session: AsyncSession, payload: dict[str, list]) -> None:
    """Forget the messages of outbox rows whose buttons a RETIRE message took off."""
    if payload["rows"]:
        await session.execute(
            delete(OrderMessage).where(OrderMessage.outbox_id.in_(payload["rows"]))
        )
