"""The resident's row is read once per transaction: the language comes with the rest."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, event

from bot.runner import Stack
from tests.e2e.harness import ChatClient

ALEX = "resident-alex"


@contextmanager
def user_reads(stack: Stack, telegram_id: int) -> Iterator[list[str]]:
    """The SELECTs of app_user by this Telegram id while the block runs."""
    seen: list[str] = []
    engine = stack.deps.engine.sync_engine

    def before(
        _conn: Connection, _cursor: object, statement: str, params: object, *_a: object
    ) -> None:
        values = params.values() if isinstance(params, dict) else params
        flat = " ".join(statement.split())
        if flat.startswith("SELECT") and "FROM app_user" in flat and telegram_id in values:
            seen.append(flat)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_a_cart_press_reads_the_resident_once(stack: Stack, chat: ChatClient) -> None:
    await chat.send(ALEX, "/start")
    await chat.press(ALEX, "English")
    await chat.send(ALEX, "한빛치킨 콜라 두 개")
    with user_reads(stack, chat.user_id(ALEX)) as reads:
        [edited] = await chat.press(ALEX, "➕")
    assert "× 3" in (edited.text or "")  # answered in English, from the row read once
    assert "Your cart" in (edited.text or "")
    assert len(reads) == 1, reads


async def test_a_text_order_reads_the_resident_once(stack: Stack, chat: ChatClient) -> None:
    await chat.send(ALEX, "/start")
    await chat.press(ALEX, "English")
    with user_reads(stack, chat.user_id(ALEX)) as reads:
        replies = await chat.send(ALEX, "한빛치킨 콜라 하나")
    assert "Coke × 1" in (replies[0].text or "")
    # what the bot waits for, the language and the cart: one transaction
    assert len(reads) == 1, reads
