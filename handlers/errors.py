"""The last resort: forged buttons, unknown input and unexpected errors get a polite reply."""

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from bot.services.errors import NotFound
from handlers.callbacks import InvalidCallback
from handlers.context import Ctx
from handlers.render import Keyboard, main_menu

logger = logging.getLogger(__name__)


async def unknown_button(update: Update, context: Ctx) -> None:
    """A button whose data we do not know (old, forged or from another version)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    tr = await context.translator_for(user)
    await query.answer(
        tr("This button is no longer valid. Please use /start to begin again."), show_alert=True
    )


async def other_text(update: Update, context: Ctx) -> None:
    """Text the bot does not handle yet: point to the menu."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    tr = await context.translator_for(user)
    kb = main_menu(tr, Keyboard(context.deps.signer, message.chat_id))
    await message.reply_text(
        tr("I did not understand that. Browse the shops, or see /help."), reply_markup=kb.markup()
    )


async def on_error(update: object, context: Ctx) -> None:
    """Log the failure, tell the user politely (never a traceback), and handle the update
    no further: a later handler group would take it again (a text read twice)."""
    if not isinstance(update, Update):
        logger.error("Error outside an update", exc_info=context.error)
        return
    try:
        await _explain(update, context)
    except Exception:  # the apology failed too (network, blocked, the shared rate limiter)
        logger.warning(
            "Could not tell update %s's chat about the error", update.update_id, exc_info=True
        )
    raise ApplicationHandlerStop


async def _explain(update: Update, context: Ctx) -> None:
    error = context.error
    user, chat = update.effective_user, update.effective_chat
    if isinstance(error, BadRequest) and "message is not modified" in error.message:
        return  # a double tap on the same button: nothing to change
    if isinstance(error, BadRequest) and "query is too old" in error.message.lower():
        # a press answered before (handled again after a crash) or long ago: what it did is
        # done or refused already, and the person sees its result; no apology to send
        logger.warning(
            "Callback query of update %s could not be answered: %s", update.update_id, error
        )
        return
    tr = context.tr(user.language_code if user is not None else None)
    if user is not None:
        try:
            tr = await context.translator_for(user)
        except Exception:  # the database may be what failed: keep Telegram's language
            logger.warning("Could not read the locale of user %s", user.id, exc_info=True)
    if isinstance(error, NotFound) and error.kind == "region":
        logger.error("No region imported yet; run: python main.py import-menu PACK")
        text = tr(
            "gongbae is not open here yet: no shops have been added. Please try again later."
        )
    elif isinstance(error, InvalidCallback | NotFound):
        logger.info("Stale or forged input in update %s: %r", update.update_id, error)
        text = (
            tr("This button is no longer valid. Please use /start to begin again.")
            if update.callback_query is not None
            else tr("Sorry, I could not find that any more. Please use /start to begin again.")
        )
    else:
        logger.error(
            "Error handling update %s in chat %s",
            update.update_id,
            chat.id if chat else None,
            exc_info=error,
        )
        text = tr("Sorry, something went wrong on our side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except BadRequest:  # already answered before the failure: say it in the chat
                pass
        if chat is not None:
            await context.bot.send_message(chat.id, text)
    except BadRequest:
        logger.warning("Could not tell chat %s about the error", chat.id if chat else None)


HANDLERS = [
    CallbackQueryHandler(unknown_button),
    MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, other_text),
]
