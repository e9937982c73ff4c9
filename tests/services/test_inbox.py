"""The inbox's claims: an update that took its instance down too often is dropped; an
instance does not take back an update it is still handling."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import inbox
from models import db
from models.inbox import InboundUpdate

LEASE = timedelta(seconds=60)
UPDATE_ID = 7_100_001


async def test_an_update_taken_too_often_is_dropped_by_its_claim(engine: AsyncEngine) -> None:
    """Each claim of an update whose lease ran out counts an attempt; the claim after
    MAX_ATTEMPTS marks it done in the same statement and hands it to nobody."""
    sessions = db.statement_factory(db.session_factory(engine))
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    try:
        async with sessions.begin() as session:
            await inbox.receive(session, update_id=UPDATE_ID, chat_id=5, payload={}, now=now)
        for attempt in range(1, inbox.MAX_ATTEMPTS + 2):
            now += LEASE  # the instance that took it died: its lease ran out
            async with sessions.begin() as session:
                claimed = await inbox.claim(session, now=now, lease=LEASE, limit=5, by="a")
            mine = [c for c in claimed if c.update_id == UPDATE_ID]
            if attempt <= inbox.MAX_ATTEMPTS:
                assert [c.attempts for c in mine] == [attempt]
            else:
                assert mine == []
        async with db.read_factory(engine)() as session:
            row = await session.get(InboundUpdate, UPDATE_ID)
        assert row is not None
        assert row.done_at is not None  # not offered again
    finally:
        async with db.session_factory(engine).begin() as session:
            await session.execute(
                delete(InboundUpdate).where(InboundUpdate.update_id == UPDATE_ID)
            )


async def test_a_claim_skips_the_updates_its_instance_still_handles(engine: AsyncEngine) -> None:
    """Leases that ran out are taken again, except those of the updates the claimer names as
    its own in flight (their renewal is merely late); with none named, it takes them all."""
    sessions = db.statement_factory(db.session_factory(engine))
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    ids = [UPDATE_ID + n for n in range(1, 5)]  # four chats, one update each
    try:
        async with sessions.begin() as session:
            for n, update_id in enumerate(ids):
                await inbox.receive(
                    session, update_id=update_id, chat_id=50 + n, payload={}, now=now
                )
            first = await inbox.claim(session, now=now, lease=LEASE, limit=10, by="a")
        assert [c.update_id for c in first if c.update_id in ids] == ids
        now += LEASE
        for handling, expected in [(ids[:3], ids[3:]), (ids[3:], ids[:3]), ((), ids)]:
            async with sessions.begin() as session:
                again = await inbox.claim(
                    session, now=now, lease=LEASE, limit=10, by="a", handling=handling
                )
            taken = [c.update_id for c in again if c.update_id in ids]
            assert taken == expected, handling
            now += LEASE
    finally:
        async with db.session_factory(engine).begin() as session:
            await session.execute(delete(InboundUpdate).where(InboundUpdate.update_id.in_(ids)))
