"""getUpdates semantics and a real PTB Application polling the sandbox."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import Conflict
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from tests.sandbox.conftest import EN_USER, KO_USER, Served


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text back with a button."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("다시 / again", callback_data="again")]]
    )
    await message.reply_text(message.text, reply_markup=keyboard)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet in bold."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("<b>안녕하세요</b>")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and edit the message."""
    query = update.callback_query
    if query is None:
        return
    await query.answer("눌렀어요 / pressed")
    await query.edit_message_text(f"pressed: {query.data}")


def build_echo_app(served: Served) -> Application:  # type: ignore[type-arg]
    """Build the tiny echo bot against the sandbox."""
    application = (
        Application.builder()
        .token(served.sandbox.token)
        .base_url(served.api)
        .base_file_url(served.files)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


@asynccontextmanager
async def polling(served: Served) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the echo bot with long polling for the duration of the block."""
    application = build_echo_app(served)
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(timeout=5)
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


async def test_echo_bot_round_trip(served: Served) -> None:
    sandbox = served.sandbox
    async with polling(served):
        sent = sandbox.send_text(KO_USER, "후라이드 2마리")
        reply = await sandbox.wait_for_bot_message(KO_USER, after_id=sent["message"]["message_id"])
        assert reply.text == "후라이드 2마리"

        sandbox.press_button(KO_USER, "다시 / again")
        await sandbox.wait_for(lambda: sandbox.callback_answers, what="callback answer")
        edited = await sandbox.wait_for(
            lambda: (m := sandbox.message(KO_USER, reply.message_id)) and m.edited and m,
            what="edited echo",
        )
        assert edited.text == "pressed: again"
        assert edited.reply_markup is None
        assert sandbox.callback_answers[0].text == "눌렀어요 / pressed"

        greeting = sandbox.send_text(EN_USER, "/start")
        hello = await sandbox.wait_for_bot_message(
            EN_USER, after_id=greeting["message"]["message_id"]
        )
        assert hello.html == "<b>안녕하세요</b>"
    assert sandbox.updates == []  # the updater confirmed everything on stop


async def test_offsets_limit_and_negative_offset(served: Served) -> None:
    sandbox = served.sandbox
    ids = [sandbox.send_text(KO_USER, f"m{i}")["update_id"] for i in range(4)]
    async with served.bot() as bot:
        assert [u.update_id for u in await bot.get_updates()] == ids
        assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
        assert [u.update_id for u in await bot.get_updates(offset=ids[2])] == ids[2:]
        assert [u.update_id for u in await bot.get_updates()] == ids[2:]  # confirmed ones gone
        assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[3:]
        assert await bot.get_updates(offset=ids[3] + 1) == ()


async def test_long_poll_wakes_on_new_update(served: Served) -> None:
    sandbox = served.sandbox
    async with served.bot() as bot:
        generation = sandbox.poll_generation
        waiting = asyncio.create_task(bot.get_updates(timeout=10))
        await sandbox.wait_for(lambda: sandbox.poll_generation > generation, what="poll started")
        assert not waiting.done()
        sent = sandbox.send_text(KO_USER, "wake up")
        async with asyncio.timeout(2):
            [update] = await waiting
        assert update.update_id == sent["update_id"]


async def test_second_poll_terminates_first(served: Served) -> None:
    sandbox = served.sandbox
    async with served.bot() as bot, served.bot() as other:  # get_updates has a one-slot pool
        generation = sandbox.poll_generation
        first = asyncio.create_task(bot.get_updates(timeout=10))
        await sandbox.wait_for(lambda: sandbox.poll_generation > generation, what="poll started")
        assert await other.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await first


async def test_allowed_updates_filter(served: Served) -> None:
    sandbox = served.sandbox
    async with served.bot() as bot:
        sent = await bot.send_message(
            KO_USER,
            "pick",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]]),
        )
        sandbox.send_text(KO_USER, "text is filtered out")
        press = sandbox.press(KO_USER, sent.message_id, "ok")
        updates = await bot.get_updates(allowed_updates=["callback_query"])
        assert [u.update_id for u in updates] == [press["update_id"]]
