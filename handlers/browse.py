"""Browsing the region: categories, shops of a category, a shop's menu, an item."""

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services import catalog, reviews
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard, categories_view, item_view, menu_view, shops_view


async def list_categories(update: Update, context: Ctx) -> None:
    """Show the shop categories (from /shops or the main menu button)."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if query is not None:
        cb.Categories.unpack(query.data or "", context.deps.signer, chat.id)
        await query.answer()
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        region = await catalog.region(session)
        cats = await catalog.categories(session)
    text, kb = categories_view(
        tr, tr.pick(region.name, region.name_en), cats, Keyboard(context.deps.signer, chat.id)
    )
    if query is not None:
        await query.edit_message_text(text, reply_markup=kb.markup())
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=kb.markup())


async def list_shops(update: Update, context: Ctx) -> None:
    """Show a page of the shops of one category."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    chat_id = query.message.chat.id
    action = cb.Category.unpack(query.data or "", context.deps.signer, chat_id)
    await query.answer()
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        page = await catalog.shops(
            session, category=action.code, now=context.deps.now(), page=action.page
        )
    text, kb = shops_view(tr, action.code, page, Keyboard(context.deps.signer, chat_id))
    await query.edit_message_text(text, reply_markup=kb.markup())


async def show_menu(update: Update, context: Ctx) -> None:
    """Show a page of a shop's menu."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    chat_id = query.message.chat.id
    action = cb.ShopMenu.unpack(query.data or "", context.deps.signer, chat_id)
    await query.answer()
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        menu = await catalog.menu(
            session, merchant_id=action.merchant_id, now=context.deps.now(), page=action.page
        )
        rating = await reviews.rating(session, merchant_id=action.merchant_id)
    text, kb = menu_view(tr, menu, rating, Keyboard(context.deps.signer, chat_id))
    await query.edit_message_text(text, reply_markup=kb.markup())


async def show_item(update: Update, context: Ctx) -> None:
    """Show one item with its options and their prices."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    chat_id = query.message.chat.id
    action = cb.ItemDetail.unpack(query.data or "", context.deps.signer, chat_id)
    await query.answer()
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        item, merchant_id = await catalog.item(session, item_id=action.item_id)
    text, kb = item_view(
        tr, item, merchant_id, action.page, Keyboard(context.deps.signer, chat_id)
    )
    await query.edit_message_text(text, reply_markup=kb.markup())


async def page_counter(update: Update, context: Ctx) -> None:
    """Answer a press on the page counter, which does nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer()


HANDLERS = [
    CommandHandler(["shops", "menu"], list_categories),
    CallbackQueryHandler(list_categories, pattern=cb.Categories.pattern()),
    CallbackQueryHandler(list_shops, pattern=cb.Category.pattern()),
    CallbackQueryHandler(show_menu, pattern=cb.ShopMenu.pattern()),
    CallbackQueryHandler(show_item, pattern=cb.ItemDetail.pattern()),
    CallbackQueryHandler(page_counter, pattern=cb.Noop.pattern()),
]
