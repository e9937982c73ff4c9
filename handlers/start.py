"""/start, /help and /lang: greeting, language choice and the main menu."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services import catalog, users
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard, help_text, language_prompt, main_menu, welcome


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
        )
        region = await catalog.region(session)
    kb = Keyboard(context.deps.signer, message.chat_id)
    if me.locale is None:
        text, kb = language_prompt(kb)
        await message.reply_text(text, reply_markup=kb.markup())
        return
    tr = context.tr(me.locale)
    text, kb = welcome(tr, user.first_name, tr.pick(region.name, region.name_en), kb)
    await message.reply_text(text, reply_markup=kb.markup())


async def show_help(update: Update, context: Ctx) -> None:
    """Explain how to order and list the commands."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.sessions.begin() as session:
        me = await users.touch(session, telegram_id=user.id, language_code=user.language_code)
    tr = context.tr(me.locale or me.language_code)
    kb = main_menu(tr, Keyboard(context.deps.signer, message.chat_id))
    await message.reply_text(help_text(tr), reply_markup=kb.markup())


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
        await users.set_locale(session, telegram_id=user.id, locale=action.locale)
        region = await catalog.region(session)
    tr = context.tr(action.locale)
    await query.answer(tr("Language set to English."))
    kb = Keyboard(context.deps.signer, query.message.chat.id)
    text, kb = welcome(tr, user.first_name, tr.pick(region.name, region.name_en), kb)
    await query.edit_message_text(text, reply_markup=kb.markup())


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
    text, kb = welcome(tr, user.first_name, tr.pick(region.name, region.name_en), kb)
    await query.edit_message_text(text, reply_markup=kb.markup())


HANDLERS = [
    CommandHandler("start", start),
    CommandHandler("help", show_help),
    CommandHandler(["lang", "language"], ask_language),
    CallbackQueryHandler(choose_language, pattern=cb.SetLanguage.pattern()),
    CallbackQueryHandler(home, pattern=cb.Home.pattern()),
]
