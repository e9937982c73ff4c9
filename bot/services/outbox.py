"""The outbox: messages written with the change that causes them, sent by a drainer.

A message is claimed (status SENDING, committed) before it is sent and marked SENT after,
so a crash between an order's commit and the send loses nothing: the row is still PENDING
(or SENDING, which start-up turns back to PENDING) and goes out on restart.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.base import OutboxStatus
from models.outbox import OutboxMessage

MAX_ATTEMPTS = 8


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
                    earlier.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
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


async def pending(session: AsyncSession) -> int:
    """How many messages wait to be sent."""
    count = await session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
    )
    return count or 0


async def oldest_pending(session: AsyncSession) -> datetime | None:
    """When the oldest message still waiting to be sent was written."""
    return await session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
    )
