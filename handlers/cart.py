"""The cart: free text and buttons add, change and remove lines; questions when unsure."""

import logging
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.services import catalog, history, ordering, text_orders
from bot.services.errors import NotFound, OtherShopInCart, ShopUnavailable, SoldOut
from bot.services.ordering import CartView
from bot.services.text_orders import Outcome
from handlers import callbacks as cb
from handlers.cart_render import (
    cart_keyboard,
    cart_text,
    not_understood,
    option_question,
    replace_question,
    shop_question,
    unclear_question,
    unmatched_text,
)
from handlers.context import Ctx
from handlers.render import Keyboard, main_menu

logger = logging.getLogger(__name__)
MAX_TEXT = 1000  # longer messages are not orders; the parser still never sees more


async def reply_cart(message: Message, cart: CartView | None, tr: Translator, ctx: Ctx) -> None:
    """Send the cart, then the first required option still open."""
    chat_id = message.chat_id
    if cart is None:
        await message.reply_text(tr("Your cart is empty."))
        return
    kb = cart_keyboard(cart, tr, Keyboard(ctx.deps.signer, chat_id))
    await message.reply_text(cart_text(cart, tr), reply_markup=kb.markup())
    if cart.missing:
        kb = Keyboard(ctx.deps.signer, chat_id)
        question = option_question(cart.missing[0], cart, tr, kb)
        await message.reply_text(question, reply_markup=kb.markup())


async def reply_outcome(message: Message, outcome: Outcome, tr: Translator, ctx: Ctx) -> None:
    """Say what reading a message did, asking what is still unclear."""
    signer, chat_id = ctx.deps.signer, message.chat_id
    if outcome.cleared and outcome.cart is None:
        await message.reply_text(tr("I emptied your cart."))
    if outcome.not_in_cart is not None:
        if outcome.cart is None:  # "주문 취소" may mean an order under way: where to see it
            await message.reply_text(
                tr("Your cart is empty. Your orders and their state are in /orders.")
            )
            return
        if outcome.not_in_cart:
            asked = escape(outcome.not_in_cart)
            await message.reply_text(tr("Not in your cart: {items}", items=asked))
        await reply_cart(message, outcome.cart, tr, ctx)
        return
    if outcome.ask_shop:
        kb = Keyboard(signer, chat_id)
        await message.reply_text(shop_question(outcome.ask_shop, tr, kb), reply_markup=kb.markup())
        return
    if outcome.replace is not None:
        kb = Keyboard(signer, chat_id)
        await message.reply_text(replace_question(outcome, tr, kb), reply_markup=kb.markup())
        return
    if outcome.cart is not None:
        await reply_cart(message, outcome.cart, tr, ctx)
    for unclear in outcome.unclear[:3]:
        kb = Keyboard(signer, chat_id)
        await message.reply_text(unclear_question(unclear, tr, kb), reply_markup=kb.markup())
    if outcome.unmatched:
        kb = Keyboard(signer, chat_id)
        await message.reply_text(unmatched_text(outcome, tr, kb), reply_markup=kb.markup())
    if not outcome.understood:
        kb = main_menu(tr, Keyboard(signer, chat_id))
        await message.reply_text(not_understood(tr), reply_markup=kb.markup())


async def reply_unavailable(
    message: Message, err: ShopUnavailable | SoldOut, tr: Translator, ctx: Ctx
) -> None:
    """Say plainly why it cannot be ordered now, with other open shops of the kind."""
    kb = Keyboard(ctx.deps.signer, message.chat_id)
    if isinstance(err, ShopUnavailable):
        async with ctx.deps.reads() as session:
            others = await catalog.alternatives(
                session, merchant_id=err.merchant_id, now=ctx.deps.now()
            )
        for shop in others:
            kb.row((f"🍽 {tr.pick(shop.name, shop.name_en)}", cb.ShopMenu(shop.id)))
    kb = main_menu(tr, kb)
    if isinstance(err, SoldOut):
        text = tr("Sorry, {name} is sold out today.", name=escape(tr.pick(err.name, err.name_en)))
    elif err.paused:
        text = tr(
            "{shop} is not taking orders right now. Please try another shop.",
            shop=escape(tr.pick(err.name, err.name_en)),
        )
    else:
        text = tr(
            "{shop} is closed now (open {hours}). Please try another shop.",
            shop=escape(tr.pick(err.name, err.name_en)),
            hours=escape(err.hours),
        )
    await message.reply_text(text, reply_markup=kb.markup())


async def free_text(update: Update, context: Ctx) -> None:
    """Read a message as an order or a change to the cart (private chats: prompts.py)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    tr = await context.translator_for(user)
    if refusal := order_text_refusal(message.text, context, tr):
        await message.reply_text(refusal)
        return
    await read_and_reply(message, context, tr, text=message.text)


def order_text_refusal(text: str, context: Ctx, tr: Translator) -> str | None:
    """Why a message is not read as an order (no shops yet, too long), or None."""
    if context.deps.menu_index is None:
        return tr(
            "gongbae is not open here yet: no shops have been added. Please try again later."
        )
    if len(text) > MAX_TEXT:
        return tr(
            "That message is too long for an order. "
            "Please write what you would like in a few words."
        )
    return None


async def read_text(
    session: AsyncSession,
    context: Ctx,
    *,
    telegram_id: int,
    text: str,
    merchant: str | None = None,
    replace: bool = False,
) -> Outcome:
    """Read `text` into the resident's cart, in the caller's transaction."""
    index = context.deps.menu_index
    assert index is not None  # noqa: S101 (checked by the callers: order_text_refusal)
    return await text_orders.read(
        session,
        telegram_id=telegram_id,
        text=text,
        index=index,
        now=context.deps.now(),
        merchant=merchant,
        replace_other_shop=replace,
    )


async def read_and_reply(
    message: Message,
    context: Ctx,
    tr: Translator,
    *,
    text: str,
    telegram_id: int | None = None,
    merchant: str | None = None,
    replace: bool = False,
) -> None:
    """Read `text` into the cart and answer in the chat."""
    try:
        async with context.deps.sessions.begin() as session:
            outcome = await read_text(
                session,
                context,
                telegram_id=telegram_id or message.chat_id,
                text=text,
                merchant=merchant,
                replace=replace,
            )
    except (ShopUnavailable, SoldOut) as err:
        await reply_unavailable(message, err, tr, context)
        return
    await reply_outcome(message, outcome, tr, context)


async def pick_shop(update: Update, context: Ctx) -> None:
    """Read the awaited message against the shop the resident picked."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.PickShop.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        awaiting, data = await text_orders.awaited(session, user.id)
        shop = await ordering.shop_code(session, action.merchant_id)
    if awaiting != text_orders.AWAIT_SHOP or "text" not in data:
        await query.answer(tr("That question has already been answered."))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await read_and_reply(query.message, context, tr, text=data["text"], merchant=shop)


async def replace_cart(update: Update, context: Ctx) -> None:
    """Empty the cart of another shop and add, or keep it."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.ReplaceCart.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        awaiting, data = await text_orders.awaited(session, user.id)
        if awaiting == text_orders.AWAIT_REPLACE and not action.replace:
            await text_orders.forget(session, user.id)
    if awaiting != text_orders.AWAIT_REPLACE:
        await query.answer(tr("That question has already been answered."))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if not action.replace:
        async with context.deps.reads() as session:
            cart = await ordering.view(session, telegram_id=user.id, now=context.deps.now())
        await reply_cart(query.message, cart, tr, context)
        return
    if "reorder" in data:
        try:
            async with context.deps.sessions.begin() as session:
                await text_orders.forget(session, user.id)
                result = await history.reorder(
                    session,
                    order_id=data["reorder"],
                    telegram_id=user.id,
                    now=context.deps.now(),
                    replace=True,
                )
        except (ShopUnavailable, SoldOut) as err:
            await reply_unavailable(query.message, err, tr, context)
            return
        await reply_cart(query.message, result.cart, tr, context)
        return
    if "item_id" in data:
        try:
            async with context.deps.sessions.begin() as session:
                await text_orders.forget(session, user.id)
                cart = await text_orders.add_item(
                    session,
                    telegram_id=user.id,
                    item_id=data["item_id"],
                    quantity=data.get("quantity", 1),
                    now=context.deps.now(),
                    replace_other_shop=True,
                )
        except (ShopUnavailable, SoldOut) as err:
            await reply_unavailable(query.message, err, tr, context)
            return
        await reply_cart(query.message, cart, tr, context)
        return
    await read_and_reply(
        query.message, context, tr, text=data["text"], merchant=data.get("merchant"), replace=True
    )


async def add_item(update: Update, context: Ctx) -> None:
    """Add a pressed item (a candidate, a suggestion or from the menu) to the cart."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.AddItem.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            cart = await text_orders.add_item(
                session,
                telegram_id=user.id,
                item_id=action.item_id,
                quantity=action.quantity,
                now=context.deps.now(),
            )
    except (ShopUnavailable, SoldOut) as err:
        await query.answer()
        await reply_unavailable(query.message, err, tr, context)
        return
    except OtherShopInCart as err:
        await query.answer()
        async with context.deps.sessions.begin() as session:
            await text_orders.await_replace_item(session, user.id, action.item_id, action.quantity)
        kb = Keyboard(context.deps.signer, query.message.chat.id)
        text = replace_question(Outcome(replace=err), tr, kb)
        await query.message.reply_text(text, reply_markup=kb.markup())
        return
    await query.answer(tr("Added to your cart."))
    await reply_cart(query.message, cart, tr, context)


async def change_quantity(update: Update, context: Ctx) -> None:
    """➖ / ➕ / 🗑 on a cart line: edit the cart message in place."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.LineQuantity.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    await query.answer()  # stop the button's spinner now; the cart message follows
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            cart = await ordering.set_quantity(
                session,
                telegram_id=user.id,
                line_id=action.line_id,
                quantity=action.quantity,
                now=context.deps.now(),
            )
    except NotFound:
        await stale_cart(query.message, user.id, tr, context)
        return
    if cart is None:
        await query.edit_message_text(tr("Your cart is empty."))
        return
    kb = cart_keyboard(cart, tr, Keyboard(context.deps.signer, query.message.chat.id))
    await query.edit_message_text(cart_text(cart, tr), reply_markup=kb.markup())


async def choose_option(update: Update, context: Ctx) -> None:
    """The answer to a required-option question."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.ChooseOption.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            cart = await ordering.choose_option(
                session,
                telegram_id=user.id,
                line_id=action.line_id,
                choice_id=action.choice_id,
                now=context.deps.now(),
            )
    except SoldOut as err:
        await query.answer()
        await reply_unavailable(query.message, err, tr, context)
        return
    except NotFound:
        await query.answer()
        await stale_cart(query.message, user.id, tr, context)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await reply_cart(query.message, cart, tr, context)


async def stale_cart(message: Message, telegram_id: int, tr: Translator, ctx: Ctx) -> None:
    """Answer a button of an older cart message: take its buttons off, then show the cart as
    it is now, or say it was ordered or cleared."""
    await message.edit_reply_markup(None)
    async with ctx.deps.reads() as session:
        cart = await ordering.view(session, telegram_id=telegram_id, now=ctx.deps.now())
    if cart is not None:
        await reply_cart(message, cart, tr, ctx)
        return
    await message.reply_text(
        tr(
            "This cart was already ordered or cleared. Check /orders, or just type what "
            "you'd like to order."
        )
    )


async def show_cart(update: Update, context: Ctx) -> None:
    """Show the cart again (the line label button)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    cb.ShowCart.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    await query.answer()
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        cart = await ordering.view(session, telegram_id=user.id, now=context.deps.now())
    await reply_cart(query.message, cart, tr, context)


async def clear_cart(update: Update, context: Ctx) -> None:
    """Empty the cart."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    cb.ClearCart.unpack(query.data or "", context.deps.signer, query.message.chat.id)
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        await ordering.clear(session, telegram_id=user.id)
    await query.answer()
    await query.edit_message_text(tr("I emptied your cart."))


HANDLERS = [
    CallbackQueryHandler(add_item, pattern=cb.AddItem.pattern()),
    CallbackQueryHandler(pick_shop, pattern=cb.PickShop.pattern()),
    CallbackQueryHandler(replace_cart, pattern=cb.ReplaceCart.pattern()),
    CallbackQueryHandler(change_quantity, pattern=cb.LineQuantity.pattern()),
    CallbackQueryHandler(choose_option, pattern=cb.ChooseOption.pattern()),
    CallbackQueryHandler(show_cart, pattern=cb.ShowCart.pattern()),
    CallbackQueryHandler(clear_cart, pattern=cb.ClearCart.pattern()),
    MessageHandler(filters.TEXT & ~filters.COMMAND, free_text),
]
