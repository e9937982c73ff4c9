"""The outbox hands out a chat's messages in order, one at a time, to any number of senders;
it takes buttons off once the order they act on has moved on."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import history, merchants, outbox
from models.outbox import OrderMessage, OutboxMessage
from tests.services.test_payments import EVENING, OWNER, RESIDENT, pay_placed, placed, provider

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


async def retire_payloads(session: AsyncSession, order_id: int) -> dict[int, dict]:
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.payload)
        .where(OutboxMessage.order_id == order_id, OutboxMessage.kind == outbox.RETIRE)
        .order_by(OutboxMessage.id)
    )
    return dict(rows.all())


async def alert_row(session: AsyncSession, order_id: int) -> int:
    return await session.scalar(
        select(func.max(OutboxMessage.id)).where(
            OutboxMessage.order_id == order_id, OutboxMessage.kind == "merchant_new_order"
        )
    )


async def test_buttons_come_off_once_the_order_moves_on(session: AsyncSession) -> None:
    order_id, request = await placed(session)
    outbox.remember(session, order_id=order_id, chat_id=RESIDENT, message_id=10, now=EVENING)
    await pay_placed(session, request)
    # paid: the link's 💳 button comes off; the shop's alert, still unsent, stays
    assert await retire_payloads(session, order_id) == {RESIDENT: {"messages": [10], "rows": []}}
    alert = await alert_row(session, order_id)
    await outbox.sent(session, alert, now=EVENING)  # as the sender records it
    outbox.remember(
        session, order_id=order_id, chat_id=OWNER, message_id=20, outbox_id=alert, now=EVENING
    )
    await merchants.accept(
        session, order_id=order_id, telegram_id=OWNER, eta=30, now=EVENING, keep=(OWNER, 20)
    )
    # the pressed alert is redrawn by its handler: nothing else to take off
    assert OWNER not in await retire_payloads(session, order_id)
    await session.execute(delete(OutboxMessage).where(OutboxMessage.kind == outbox.RETIRE))
    await merchants.dispatch(session, order_id=order_id, telegram_id=OWNER, now=EVENING)
    # no keep this time (say the agency's rider took it): the accepted alert's buttons go
    assert await retire_payloads(session, order_id) == {OWNER: {"messages": [20], "rows": []}}
    assert await session.scalar(select(func.count()).select_from(OrderMessage)) == 0


async def test_an_alert_sent_after_the_order_moved_on_loses_its_buttons(
    session: AsyncSession,
) -> None:
    order_id, request = await placed(session)
    await pay_placed(session, request)
    alert = await alert_row(session, order_id)
    await history.cancel(
        session, order_id=order_id, telegram_id=RESIDENT, provider=provider(), now=EVENING
    )
    retire = (await retire_payloads(session, order_id))[OWNER]
    assert retire == {"messages": [], "rows": [alert]}
    # the alert goes out first (a chat's messages keep their order), then the retire
    outbox.remember(
        session, order_id=order_id, chat_id=OWNER, message_id=31, outbox_id=alert, now=EVENING
    )
    assert await outbox.to_retire(session, retire) == [31]
    await outbox.retired(session, retire)
    assert await session.scalar(select(func.count()).select_from(OrderMessage)) == 0
