"""The sandbox's Python API without HTTP: injecting, pressing, waiting."""

import asyncio
from dataclasses import dataclass

import pytest

from bot.sandbox import SandboxError
from tests.sandbox.conftest import EN_USER, KO_USER, make_sandbox


@dataclass(frozen=True)
class Persona:  # the shape of bot.services.demo.Persona
    key: str
    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str
    role: str
    merchant: str | None
    title: str | None = None


async def test_wait_for_times_out_with_a_dump() -> None:
    sandbox = make_sandbox()
    sandbox.send_text(KO_USER, "안녕")
    with pytest.raises(TimeoutError, match="bot message in chat 1001") as caught:
        await sandbox.wait_for_bot_message(KO_USER, timeout=0.05)
    assert "'안녕'" in str(caught.value)


async def test_wait_for_wakes_on_change() -> None:
    sandbox = make_sandbox()
    waiter = asyncio.create_task(
        sandbox.wait_for(lambda: sandbox.messages(EN_USER), what="a message")
    )
    await asyncio.sleep(0)  # let the waiter start and block
    assert not waiter.done()
    sandbox.send_text(EN_USER, "hello")
    [message] = await waiter
    assert message.text == "hello"


def test_press_button_needs_a_button() -> None:
    sandbox = make_sandbox()
    chat = sandbox.chats[KO_USER]
    record = sandbox.add_bot_message(
        chat,
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "예", "callback_data": "y"}]]},
    )
    update = sandbox.press_button(KO_USER, "예")
    assert update["callback_query"]["data"] == "y"
    assert update["callback_query"]["message"]["message_id"] == record.message_id
    with pytest.raises(SandboxError, match="no inline button '아니요'"):
        sandbox.press_button(KO_USER, "아니요")
    with pytest.raises(SandboxError, match="no button with callback_data 'n'"):
        sandbox.press(KO_USER, record.message_id, "n")
    assert sandbox.press(KO_USER, record.message_id, "n", strict=False)["callback_query"]


def test_personas_and_messages() -> None:
    sandbox = make_sandbox()
    user = sandbox.add_persona(
        Persona(
            key="staff",
            telegram_id=3001,
            first_name="Mina",
            last_name=None,
            username=None,
            language_code="ko",
            role="staff",
            merchant=None,
            title="서구청",
        )
    )
    assert user.to_json()["role"] == "staff"
    assert sandbox.find_user("staff") is user
    update = sandbox.send_text(3001, "/start")
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    [record] = sandbox.messages(3001)
    assert not record.from_bot
    assert sandbox.last_bot_message(3001) is None
