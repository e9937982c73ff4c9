"""The outbox hands out a chat's messages in order, one at a time, to any number of senders;
it takes buttons off once the order they act on has moved on."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import history, merchants, outbox, users
from models.base import OutboxStatus
from models.outbox import OrderMessage, OutboxMessage
from tests.services.test_payments import EVENING, OWNER, RESIDENT, pay_placed, placed, provider

SECOND_OWNER = 710009

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


async def test_purge_deletes_messages_done_with_a_day_ago(session: AsyncSession) -> None:
    """Messages sent or given up before the cut go (their payloads hold addresses and
    phones), oldest first and `limit` at a time; one written long ago but sent since, and
    any still to send or being sent, stay."""
    rows = {  # kind: (status, hours since written, hours since its last step)
        "sent-old": (OutboxStatus.SENT, 30, 25),
        "failed-old": (OutboxStatus.FAILED, 30, 26),
        "sent-just-now": (OutboxStatus.SENT, 30, 0),
        "pending-old": (OutboxStatus.PENDING, 30, 30),
        "sending-old": (OutboxStatus.SENDING, 30, 25),
    }
    for n, (kind, (status, written, last)) in enumerate(rows.items()):
        outbox.enqueue(
            session, chat_id=100 + n, kind=kind, payload={}, now=NOW - timedelta(hours=written)
        )
        await session.flush()
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == kind)
            .values(status=status, available_at=NOW - timedelta(hours=last))
        )
    kinds = select(OutboxMessage.kind).order_by(OutboxMessage.id)
    cut = NOW - timedelta(days=1)

    assert await outbox.purge(session, before=cut, limit=1) == 1
    assert "sent-old" not in set(await session.scalars(kinds))
    assert await outbox.purge(session, before=cut, limit=5) == 1
    assert list(await session.scalars(kinds)) == ["sent-just-now", "pending-old", "sending-old"]


async def retires(session: AsyncSession, order_id: int) -> dict[int, outbox.Envelope]:
    """The pending RETIRE messages of an order, by chat, as the sender gets them."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.order_id == order_id,
            OutboxMessage.kind == outbox.RETIRE,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .order_by(OutboxMessage.id)
    )
    return {
        r.chat_id: outbox.Envelope(r.id, r.chat_id, r.kind, dict(r.payload), r.order_id, 1)
        for r in rows
    }


async def send_alerts(session: AsyncSession, order_id: int, message_ids: dict[int, int]) -> None:
    """Send the order's pending alerts as the sender does: mark sent, remember the message."""
    for row in await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.order_id == order_id,
            OutboxMessage.kind == "merchant_new_order",
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ):
        await outbox.sent(session, row.id, now=EVENING)
        outbox.remember(
            session,
            order_id=order_id,
            chat_id=row.chat_id,
            message_id=message_ids[row.chat_id],
            outbox_id=row.id,
            retired_text=f"alert {message_ids[row.chat_id]}",
            now=EVENING,
        )


async def alert_row(session: AsyncSession, order_id: int) -> int | None:
    return await session.scalar(
        select(func.max(OutboxMessage.id)).where(
            OutboxMessage.order_id == order_id, OutboxMessage.kind == "merchant_new_order"
        )
    )


async def sent_retires(session: AsyncSession, order_id: int) -> None:
    for envelope in (await retires(session, order_id)).values():
        await outbox.sent(session, envelope.id, now=EVENING)
        await outbox.retired(session, envelope.payload)


async def test_buttons_come_off_once_the_order_moves_on(session: AsyncSession) -> None:
    order_id, request = await placed(session)
    outbox.remember(
        session, order_id=order_id, chat_id=RESIDENT, message_id=10, retired_text="closed",
        now=EVENING,
    )  # fmt: skip
    await pay_placed(session, request)
    # paid: the link's 💳 button comes off (and its text says so); the alert is not sent yet
    link = (await retires(session, order_id))[RESIDENT]
    assert await outbox.to_retire(session, link) == [(10, "closed")]
    assert OWNER not in await retires(session, order_id)
    await sent_retires(session, order_id)
    await send_alerts(session, order_id, {OWNER: 20})
    await merchants.accept(
        session, order_id=order_id, telegram_id=OWNER, eta=30, now=EVENING, keep=(OWNER, 20)
    )
    # the pressed alert is redrawn by its handler: nothing else to take off
    assert await retires(session, order_id) == {}
    await merchants.dispatch(session, order_id=order_id, telegram_id=OWNER, now=EVENING)
    # no keep this time (say the agency's rider took it): the accepted alert's buttons go,
    # its redrawn text stays
    retire = (await retires(session, order_id))[OWNER]
    assert await outbox.to_retire(session, retire) == [(20, None)]
    assert await session.scalar(select(func.count()).select_from(OrderMessage)) == 0


async def test_every_shop_account_loses_its_buttons_but_the_one_that_answered(
    session: AsyncSession,
) -> None:
    order_id, request = await placed(session)
    code = await merchants.create_invite(session, merchant_code="hanbit-chicken", now=EVENING)
    await users.get_or_create(session, SECOND_OWNER)
    await merchants.redeem_invite(session, code=code, telegram_id=SECOND_OWNER, now=EVENING)
    await pay_placed(session, request)
    await send_alerts(session, order_id, {OWNER: 20, SECOND_OWNER: 5})
    await merchants.accept(
        session, order_id=order_id, telegram_id=OWNER, eta=30, now=EVENING, keep=(OWNER, 20)
    )
    found = await retires(session, order_id)
    assert list(found) == [SECOND_OWNER]
    assert await outbox.to_retire(session, found[SECOND_OWNER]) == [(5, "alert 5")]


async def test_an_alert_sent_after_the_order_moved_on_loses_its_buttons(
    session: AsyncSession,
) -> None:
    order_id, request = await placed(session)
    await pay_placed(session, request)
    alert = await alert_row(session, order_id)
    await history.cancel(
        session, order_id=order_id, telegram_id=RESIDENT, provider=provider(), now=EVENING
    )
    retire = (await retires(session, order_id))[OWNER]
    assert retire.payload == {"messages": [], "rows": [alert]}
    # the alert goes out first (a chat's messages keep their order), then the retire
    await send_alerts(session, order_id, {OWNER: 31})
    assert await outbox.to_retire(session, retire) == [(31, "alert 31")]
    await outbox.retired(session, retire.payload)
    assert await session.scalar(select(func.count()).select_from(OrderMessage)) == 0


@pytest.mark.parametrize("sent_before_the_realert", [True, False])
async def test_an_alert_pressed_before_an_older_retire_went_out_keeps_its_buttons(
    session: AsyncSession, sent_before_the_realert: bool
) -> None:
    order_id, request = await placed(session)
    await pay_placed(session, request)
    if sent_before_the_realert:
        await send_alerts(session, order_id, {OWNER: 20})
    later = EVENING + timedelta(minutes=4)
    minutes = {"realert_after": timedelta(minutes=3), "cancel_after": timedelta(minutes=10)}
    await merchants.chase_unanswered(session, now=later, provider=provider(), **minutes)
    stale = (await retires(session, order_id))[OWNER]  # the re-alert's, not sent yet
    if not sent_before_the_realert:
        await send_alerts(session, order_id, {OWNER: 20})  # both alerts, same id: one row
    # the shop presses the first alert before that retire goes out
    await merchants.accept(
        session, order_id=order_id, telegram_id=OWNER, eta=30, now=later, keep=(OWNER, 20)
    )
    assert await outbox.to_retire(session, stale) == []
