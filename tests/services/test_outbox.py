"""The outbox hands out a chat's messages in order, one at a time, to any number of senders."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import outbox

NOW = datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))


async def test_one_message_per_chat_at_a_time_in_order(session: AsyncSession) -> None:
    for chat, kind in ((1, "a1"), (2, "b1"), (1, "a2"), (1, "a3"), (2, "b2")):
        outbox.enqueue(session, chat_id=chat, kind=kind, payload={}, now=NOW)
    await session.flush()

    first = await outbox.claim(session, now=NOW)
    assert [e.kind for e in first] == ["a1", "b1"]
    # another sender finds nothing: the next of each chat waits for the one in flight
    assert await outbox.claim(session, now=NOW) == []
    await outbox.sent(session, first[0].id, now=NOW)
    assert [e.kind for e in await outbox.claim(session, now=NOW)] == ["a2"]
    await outbox.failed(session, first[1].id, error="blocked")  # a failure does not block
    assert [e.kind for e in await outbox.claim(session, now=NOW)] == ["b2"]
