"""/start, /help and /lang: greeting, language choice and the main menu."""

from html import escape

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services import catalog, merchants, users
from bot.services.errors import InviteInvalid, NotFound
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard, help_text, language_prompt, main_menu, welcome
from handlers.settings import consent_question


async def start(update: Update, context: Ctx) -> None:
    """Greet the user; ask for a language the first time."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.sessions.begin() as session:
        me = await users.touch(
            session,
            telegram_id=user.id,
            first_name=user.first_name,
            username=user.username,
            language_code=user.language_code,
            reset_prompt=True,
        )
        region = await catalog.region(session)
    kb = Keyboard(context.deps.signer, message.chat_id)
    if context.args:
        await redeem(message, context, context.args[0], me.locale or me.language_code)
        return
    if me.locale is None:
        text, kb = language_prompt(kb)
        await message.reply_text(text, reply_markup=kb.markup())
        return
    tr = context.tr(me.locale)
    text, kb = welcome(tr, user.first_name, tr.pick(region.name, region.name_en), kb, me.role)
    await message.reply_text(text, reply_markup=kb.markup())


async def redeem(message: Message, context: Ctx, code: str, locale: str | None) -> None:
    """/start <invite>: link this chat to a shop, or welcome a new member of staff."""
    tr = context.tr(locale)
    try:
        async with context.deps.sessions.begin() as session:
            shop = await merchants.redeem_invite(
                session, code=code[:64], telegram_id=message.chat_id, now=context.deps.now()
            )
    except (InviteInvalid, NotFound):
        await message.reply_text(
            tr(
                "This invite link is not valid any more. "
                "Please ask the city's staff for a new one."
            )
        )
        return
    if shop is None:
        await message.reply_text(
            tr(
                "Welcome to the city's gongbae team! You can now use /invite, /campaign, "
                "/campaigns and /stats."
            )
        )
        return
    await message.reply_text(
        tr(
            "Welcome! This chat is now linked to {shop}: new orders will arrive here. "
            "Use /shop to pause orders or mark items sold out.",
            shop=escape(tr.pick(*shop)),
        )
    )


async def show_help(update: Update, context: Ctx) -> None:
    """Explain how to order and list the commands."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.sessions.begin() as session:
        me = await users.touch(session, telegram_id=user.id, language_code=user.language_code)
    tr = context.tr(me.locale or me.language_code)
    kb = main_menu(tr, Keyboard(context.deps.signer, message.chat_id))
    await message.reply_text(help_text(tr, me.role), reply_markup=kb.markup())


async def ask_language(update: Update, context: Ctx) -> None:
    """Offer the two languages."""
    message = update.effective_message
    if message is None:
        return
    text, kb = language_prompt(Keyboard(context.deps.signer, message.chat_id))
    await message.reply_text(text, reply_markup=kb.markup())


async def choose_language(update: Update, context: Ctx) -> None:
    """Save the language pressed and show the main menu in it."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    action = cb.SetLanguage.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    if action.locale not in ("ko", "en"):  # the main menu's "Language" button
        await query.answer()
        text, kb = language_prompt(Keyboard(context.deps.signer, query.message.chat.id))
        await query.edit_message_text(text, reply_markup=kb.markup())
        return
    async with context.deps.sessions.begin() as session:
        me = await users.set_locale(session, telegram_id=user.id, locale=action.locale)
        region = await catalog.region(session)
    tr = context.tr(action.locale)
    await query.answer(tr("Language set to English."))
    kb = Keyboard(context.deps.signer, query.message.chat.id)
    text, kb = welcome(tr, user.first_name, tr.pick(region.name, region.name_en), kb, me.role)
    await query.edit_message_text(text, reply_markup=kb.markup())
    if not me.consent_decided and isinstance(query.message, Message):
        kb = Keyboard(context.deps.signer, query.message.chat.id)
        await query.message.reply_text(consent_question(tr, kb), reply_markup=kb.markup())


async def home(update: Update, context: Ctx) -> None:
    """Back to the main menu."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    cb.Home.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    await query.answer()
    async with context.deps.sessions.begin() as session:
        me = await users.touch(session, telegram_id=user.id, language_code=user.language_code)
        region = await catalog.region(session)
    tr = context.tr(me.locale or me.language_code)
    kb = Keyboard(context.deps.signer, query.message.chat.id)
    text, kb = welcome(tr, user.first_name, tr.pick(region.name, region.name_en), kb, me.role)
    await query.edit_message_text(text, reply_markup=kb.markup())


HANDLERS = [
    CommandHandler("start", start),
    CommandHandler("help", show_help),
    CommandHandler(["lang", "language"], ask_language),
    CallbackQueryHandler(choose_language, pattern=cb.SetLanguage.pattern()),
    CallbackQueryHandler(home, pattern=cb.Home.pattern()),
]
