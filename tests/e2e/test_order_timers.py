"""Timers and failures through the real stack: expiry, shop timeout, forged callbacks, a
crash between commit and send."""

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.integrations import signing
from bot.runner import Stack
from bot.sandbox import Limits
from bot.services import outbox
from models.base import OutboxStatus
from models.outbox import OutboxMessage
from tests.e2e.conftest import EVENING, e2e_settings
from tests.e2e.harness import ChatClient
from tests.e2e.test_order_loop import (
    JIYOUNG,
    OWNER,
    buttons_gone,
    order_to_payment,
    pay,
    until,
)


async def run_timers(stack: Stack) -> None:
    """Run the periodic timers now instead of waiting for the job queue."""
    assert stack.application is not None
    assert stack.application.job_queue is not None
    [job] = stack.application.job_queue.get_jobs_by_name("timers")
    await job.run(stack.application)


async def test_unpaid_link_expires_and_can_be_paid_again(stack: Stack, chat: ChatClient) -> None:
    url = await order_to_payment(chat)
    stack.deps.clock = lambda: EVENING + timedelta(minutes=16)
    await run_timers(stack)
    text = await until(stack, chat, JIYOUNG, "결제 시간이 지나")
    assert "결제된 금액은 없어요" in text
    assert "바로 환불했어요" in await pay(url)  # money on the old link comes straight back
    offer = chat.last(JIYOUNG)
    [link] = [m for m in await chat.press(JIYOUNG, "💳 다시 결제하기") if m.buttons()]
    new_url = link.buttons()[0][0]["url"]
    assert (await buttons_gone(stack, chat, JIYOUNG, offer.message_id)).endswith(
        "결제된 금액은 없어요."
    )
    assert new_url != url
    assert "결제가 완료됐어요" in await pay(new_url)
    await until(stack, chat, OWNER, "새 주문")


async def test_sent_messages_are_deleted_after_a_day(stack: Stack, chat: ChatClient) -> None:
    """The hourly retention job deletes what the outbox sent over a day ago (the shop's
    alert carries the address and phone), not before."""
    assert stack.application is not None
    assert stack.application.job_queue is not None
    # the shop never answers here: the timers would cancel the order once the clock moves
    [timers] = stack.application.job_queue.get_jobs_by_name("timers")
    timers.enabled = False
    await pay(await order_to_payment(chat))
    await until(stack, chat, OWNER, "새 주문")
    sent = (
        select(OutboxMessage.kind)
        .where(OutboxMessage.status == OutboxStatus.SENT)
        .order_by(OutboxMessage.id)
    )
    waiting = select(OutboxMessage.id).where(OutboxMessage.status.in_(outbox.WAITING))
    async with asyncio.timeout(10):  # marked sent just after the chat shows the message
        while True:
            async with stack.deps.reads() as session:
                if (await session.scalar(waiting)) is None:
                    before = list(await session.scalars(sent))
                    break
            await asyncio.sleep(0.05)
    assert "merchant_new_order" in before
    [job] = stack.application.job_queue.get_jobs_by_name("retention")
    stack.deps.clock = lambda: EVENING + timedelta(hours=23)
    await job.run(stack.application)
    async with stack.deps.reads() as session:
        assert list(await session.scalars(sent)) == before
    stack.deps.clock = lambda: EVENING + timedelta(days=1, minutes=5)
    await job.run(stack.application)
    async with stack.deps.reads() as session:
        assert list(await session.scalars(sent)) == []


async def test_shop_that_does_not_answer_is_chased_then_cancelled(
    stack: Stack, chat: ChatClient
) -> None:
    assert stack.sandbox is not None
    owner = chat.user_id(OWNER)
    url = await order_to_payment(chat)
    await pay(url)
    first = await stack.sandbox.wait_for_bot_message(owner, contains="새 주문")
    accept = first.buttons()[0][0]["callback_data"]
    stack.deps.clock = lambda: EVENING + timedelta(minutes=4)
    await run_timers(stack)
    again = await stack.sandbox.wait_for_bot_message(owner, contains="아직 응답하지 않은 주문")
    # the new alert replaces it: the first one keeps the order, not the question
    replaced = await buttons_gone(stack, chat, OWNER, first.message_id)
    assert replaced.endswith("(중개수수료 없음)")
    assert again.buttons()
    stack.deps.clock = lambda: EVENING + timedelta(minutes=11)
    await run_timers(stack)
    text = await until(stack, chat, JIYOUNG, "취소됐어요")
    assert "가게가 제시간에 응답하지 않음" in text
    await until(stack, chat, OWNER, "자동 취소")
    await buttons_gone(stack, chat, OWNER, again.message_id)
    # a late accept (the old button's data pressed again) is refused politely
    await chat.press_data(OWNER, first.message_id, accept)
    assert "이미 처리된 주문이에요" in chat.answers(OWNER)[-1]


async def test_forged_and_duplicate_callbacks_over_http(stack: Stack, chat: ChatClient) -> None:
    url = await order_to_payment(chat)
    callback_url = f"{stack.url}/payments/callback/sandbox-local"
    async with httpx.AsyncClient() as client:
        forged = signing.sign(b"not-the-key", {"payment_token": "x", "tx_id": "t"})
        answer = await client.post(callback_url, content=forged.body, headers=forged.headers)
        assert answer.status_code == 401
        assert (await client.post(callback_url, content=b"{}")).status_code == 401
    assert "결제가 완료됐어요" in await pay(url)
    # a second approval is another transaction on a link already paid: refunded at once
    assert "바로 환불했어요" in await pay(url)
    await until(stack, chat, JIYOUNG, "바로 환불했어요")
    await until(stack, chat, OWNER, "새 주문")
    owner_alerts = [
        m for m in chat.sandbox.bot_messages(chat.user_id(OWNER)) if "새 주문" in (m.text or "")
    ]
    assert len(owner_alerts) == 1


async def test_messages_survive_a_crash_between_commit_and_send(tmp_path: Path) -> None:
    settings = e2e_settings(tmp_path)
    limits = Limits(chat_burst=50)
    async with Stack(settings, sandbox_limits=limits) as first:
        first.deps.clock = lambda: EVENING
        chat = ChatClient(first)
        url = await order_to_payment(chat)
        assert first.application is not None
        # the sender dies before it sends anything the payment causes
        await first.application.bot_data["outbox_sender"].stop()
        await pay(url)
        async with first.deps.sessions.begin() as session:
            rows = list(
                await session.scalars(
                    OutboxMessage.__table__.select().where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
            )
            # the 💳 button off the link and order_paid for the resident, the shop's alert
            assert len(rows) == 3
            # one was claimed when the process died: left SENDING
            first_row = await session.get(OutboxMessage, rows[0])
            assert first_row is not None
            first_row.status = OutboxStatus.SENDING
    async with Stack(settings, sandbox_limits=limits) as second:
        second.deps.clock = lambda: EVENING
        chat = ChatClient(second)
        await until(second, chat, JIYOUNG, "결제가 완료됐어요")
        await until(second, chat, OWNER, "새 주문")
        assert second.application is not None
        await second.application.bot_data["outbox_sender"].drain_once()
        resident = [
            m
            for m in chat.sandbox.bot_messages(chat.user_id(JIYOUNG))
            if "결제가 완료" in (m.text or "")
        ]
        owner = [
            m
            for m in chat.sandbox.bot_messages(chat.user_id(OWNER))
            if "새 주문" in (m.text or "")
        ]
        assert (len(resident), len(owner)) == (1, 1)
        async with second.deps.sessions() as session:
            retire = await session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.kind == "retire_buttons")
            )
            # done before order_paid went out (a chat's messages keep their order); the link
            # is in the first sandbox's chat only, so this edit met "message to edit not
            # found", which leaves it as it is
            assert retire == OutboxStatus.SENT
