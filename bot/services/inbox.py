"""The inbox: updates posted to the webhook, stored before Telegram gets its 200, handled once.

Several instances behind a load balancer share it. An update is written when it arrives
(a second delivery of the same update_id is dropped), claimed by one instance with a lease
(rows locked by another claimer are skipped), and marked done once handled. A chat's next
update can only be claimed once the one before it is done, so a chat's updates are handled
in the order they were stored, whichever instance receives them; that is Telegram's order as
long as it posts a chat's next update after the last one was answered (the sandbox does;
Telegram's documentation promises no more than update_id order). An instance that dies
leaves its claims to run out: after the lease another instance (or the restarted one)
handles them. Renewals and the done mark name the claimer, so a stalled instance whose
lease was taken over cannot finish or extend another instance's claim.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    all_,
    case,
    delete,
    exists,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.inbox import InboundUpdate

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # an update whose handling killed its instance this often is dropped


@dataclass(frozen=True)
class Claimed:
    """An update taken by one instance, with how many times it was taken."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int


async def receive(
    session: AsyncSession,
    *,
    update_id: int,
    chat_id: int | None,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Store an update; False when it was already stored (Telegram delivered it again)."""
    values = {
        "update_id": update_id,
        "chat_id": chat_id,
        "payload": payload,
        "received_at": now,
        "attempts": 0,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(InboundUpdate).values(**values).on_conflict_do_nothing(index_elements=["update_id"])
    )
    return bool(result.rowcount)


async def claim(
    session: AsyncSession,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    by: str,
    handling: Collection[int] = (),
) -> list[Claimed]:
    """Take up to `limit` updates to handle, oldest first and at most one per chat: the
    oldest not done of each chat, when no live instance holds it (one UPDATE ... RETURNING;
    rows another instance is claiming are skipped; one taken MAX_ATTEMPTS times already is
    marked done by it instead, and not returned). `handling`: the caller's own updates in
    flight, never taken again by it even when their lease is late to be renewed; `by`:
    the claiming instance."""
    earlier = aliased(InboundUpdate)
    free = (
        select(InboundUpdate.update_id)
        .where(
            InboundUpdate.done_at.is_(None),
            _none_of(session, handling),
            or_(InboundUpdate.claimed_at.is_(None), InboundUpdate.claimed_at <= now - lease),
            or_(
                InboundUpdate.chat_id.is_(None),
                ~exists().where(
                    earlier.chat_id == InboundUpdate.chat_id,
                    earlier.update_id < InboundUpdate.update_id,
                    earlier.done_at.is_(None),
                ),
            ),
        )
        .order_by(InboundUpdate.update_id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=InboundUpdate)
    )
    rows = (
        await session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.update_id.in_(free.scalar_subquery()))
            .values(
                claimed_at=now,
                claimed_by=by,
                attempts=InboundUpdate.attempts + 1,
                # taken too often: dropped by the same statement (a second one could fail
                # after this one committed, leaving the rest claimed by nobody for a lease)
                done_at=case((InboundUpdate.attempts >= MAX_ATTEMPTS, now), else_=None),
            )
            .returning(
                InboundUpdate.update_id,
                InboundUpdate.chat_id,
                InboundUpdate.payload,
                InboundUpdate.attempts,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    taken = sorted((Claimed(*row) for row in rows), key=lambda c: c.update_id)
    # an update that took its instance down every time was dropped, not tried forever
    dropped = [c for c in taken if c.attempts > MAX_ATTEMPTS]
    for claimed in dropped:
        logger.error(
            "Update %s of chat %s dropped: taken %s times and never finished",
            claimed.update_id,
            claimed.chat_id,
            claimed.attempts - 1,
        )
    return [c for c in taken if c.attempts <= MAX_ATTEMPTS]


def _none_of(session: AsyncSession, handling: Collection[int]) -> ColumnElement[bool]:
    """Leave out the updates in `handling` (on PostgreSQL as one array: one statement shape)."""
    if session.get_bind().dialect.name == "postgresql":
        ids = literal(sorted(handling), postgresql.ARRAY(BigInteger))
        return InboundUpdate.update_id != all_(ids)
    return InboundUpdate.update_id.not_in(list(handling)) if handling else true()


async def renew(session: AsyncSession, update_ids: list[int], *, now: datetime, by: str) -> None:
    """Extend the lease of updates this instance (`by`) still handles."""
    if update_ids:
        await session.execute(
            update(InboundUpdate)
            .where(
                InboundUpdate.update_id.in_(update_ids),
                InboundUpdate.claimed_by == by,
                InboundUpdate.done_at.is_(None),
            )
            .values(claimed_at=now)
        )


async def done(session: AsyncSession, update_ids: list[int], *, now: datetime, by: str) -> int:
    """Record updates handled by `by`; return how many were still its own (an update whose
    lease another instance took over is left to that one)."""
    if not update_ids:
        return 0
    result = await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.update_id.in_(update_ids), InboundUpdate.claimed_by == by)
        .values(done_at=now, claimed_at=None)
    )
    return result.rowcount or 0


async def purge(session: AsyncSession, *, before: datetime) -> int:
    """Delete updates handled before `before` (kept a while to recognise late repeats)."""
    result = await session.execute(delete(InboundUpdate).where(InboundUpdate.done_at < before))
    return result.rowcount or 0
