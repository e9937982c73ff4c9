"""/forget: a resident deletes their personal data, after a plain-words confirmation."""

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services import privacy
from bot.services.errors import NotAllowed, OrdersOpen
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard


async def ask(update: Update, context: Ctx) -> None:
    """Explain what /forget deletes and what it keeps, and ask to confirm."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    tr = await context.translator_for(user)
    kb = Keyboard(context.deps.signer, message.chat_id).row(
        (tr("🗑 Delete my data"), cb.Forget(1)), (tr("Keep it"), cb.Forget(0))
    )
    await message.reply_text(
        tr(
            "Delete your data from gongbae? Your name, phone number, saved addresses and "
            "choices about ads are deleted, the addresses, phone numbers and notes of your "
            "past orders, and what your reviews said. The orders themselves stay, "
            "anonymous, in the city's statistics, and your stars in the shops' ratings. "
            "This cannot be undone; if you write again, you start afresh."
        ),
        reply_markup=kb.markup(),
    )


async def confirm(update: Update, context: Ctx) -> None:
    """🗑 Delete my data, or keep it."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.Forget.unpack(query.data or "", context.deps.signer, message.chat_id)
    tr = await context.translator_for(user)  # before the chosen language is deleted too
    if not action.confirm:
        await query.answer()
        await message.edit_text(tr("Nothing was deleted."))
        return
    try:
        async with context.deps.sessions.begin() as session:
            await privacy.forget(session, telegram_id=user.id, now=context.deps.now())
    except OrdersOpen:
        await query.answer(
            tr("You have an order under way. Please try again once it is delivered or cancelled."),
            show_alert=True,
        )
        return
    except NotAllowed:
        await query.answer(
            tr("Shop and staff accounts are removed by the city's staff. Please ask them."),
            show_alert=True,
        )
        return
    await query.answer()
    await message.edit_text(
        tr(
            "Done: your data is deleted. Your past orders remain only as anonymous figures. "
            "Thank you for using gongbae."
        )
    )


HANDLERS = [
    CommandHandler("forget", ask),
    CallbackQueryHandler(confirm, pattern=cb.Forget.pattern()),
]
