"""MY배달: recent orders with their status, details, 다시 주문 and cancelling in time."""

from html import escape

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services import history, text_orders
from bot.services.errors import (
    NotAllowed,
    NotFound,
    OtherShopInCart,
    ShopUnavailable,
    SoldOut,
    WrongState,
)
from bot.services.text_orders import Outcome
from handlers import callbacks as cb
from handlers.cart import reply_cart, reply_unavailable
from handlers.cart_render import replace_question
from handlers.context import Ctx
from handlers.notifications import order_lines
from handlers.render import Keyboard, status_name


async def list_orders(update: Update, context: Ctx) -> None:
    """/orders or the MY배달 button: the latest orders."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    query = update.callback_query
    if query is not None:
        cb.MyOrders.unpack(query.data or "", context.deps.signer, chat.id)
        await query.answer()
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        rows = await history.recent(session, telegram_id=user.id)
    kb = Keyboard(context.deps.signer, chat.id)
    if not rows:
        text = tr("You have no orders yet. Write what you would like, or browse the shops.")
        kb.row((tr("🍽 Browse shops"), cb.Categories()))
    else:
        lines = [tr("🧾 <b>My orders</b>"), ""]
        for row in rows:
            shop = escape(tr.pick(row.shop, row.shop_en))
            when = tr.when(row.placed_at, "MM/dd HH:mm") if row.placed_at else ""
            status = status_name(row.status.value, tr)
            lines.append(f"#{row.id} · {shop} · {tr.money(row.total)} · {status} {when}")
            kb.row(
                (
                    tr("#{order} {shop}", order=row.id, shop=tr.pick(row.shop, row.shop_en)),
                    cb.OrderDetail(row.id),
                )
            )
        text = "\n".join(lines)
    if query is not None and isinstance(query.message, Message):
        await query.edit_message_text(text, reply_markup=kb.markup())
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=kb.markup())


async def show_order(update: Update, context: Ctx) -> None:
    """One order's details, with 다시 주문 and cancel while it is possible."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.OrderDetail.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    try:
        async with context.deps.reads() as session:
            tr = await context.translator_for(user, session)
            order = await history.detail(session, order_id=action.order_id, telegram_id=user.id)
    except NotAllowed:
        await query.answer(
            tr("This button is no longer valid. Please use /start to begin again."),
            show_alert=True,
        )
        return
    await query.answer()
    shop = escape(tr.pick(order["shop"], order["shop_en"]))
    rows = [
        tr("<b>Order #{order} · {shop}</b>", order=order["order_id"], shop=shop),
        tr("Status: {status}", status=status_name(order["status"], tr)),
        "",
        *order_lines(order, tr),
        "",
        tr("<b>Total: {amount}</b>", amount=tr.money(order["total"])),
    ]
    if order["reviewed"]:
        rows.append(tr("Your rating: {stars}", stars="⭐" * order["reviewed"]))
    kb = Keyboard(context.deps.signer, query.message.chat_id)
    kb.row((tr("🔁 Order again"), cb.Reorder(order["order_id"])))
    if order["cancellable"]:
        kb.row((tr("❌ Cancel this order"), cb.CancelOrder(order["order_id"])))
    kb.row((tr("⬅ My orders"), cb.MyOrders()))
    await query.edit_message_text("\n".join(rows), reply_markup=kb.markup())


async def reorder(update: Update, context: Ctx) -> None:
    """Rebuild the cart from a past order, at today's prices."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.Reorder.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            result = await history.reorder(
                session, order_id=action.order_id, telegram_id=user.id, now=context.deps.now()
            )
    except (ShopUnavailable, SoldOut) as err:
        await query.answer()
        await reply_unavailable(message, err, tr, context)
        return
    except NotFound:
        await query.answer(
            tr("This shop no longer takes orders here. Please choose another."), show_alert=True
        )
        return
    except OtherShopInCart as err:
        await query.answer()
        async with context.deps.sessions.begin() as session:
            await text_orders.await_replace_reorder(session, user.id, action.order_id)
        kb = Keyboard(context.deps.signer, message.chat_id)
        await message.reply_text(
            replace_question(Outcome(replace=err), tr, kb), reply_markup=kb.markup()
        )
        return
    await query.answer()
    if result.skipped:
        names = ", ".join(escape(tr.pick(ko, en)) for ko, en in result.skipped)
        await message.reply_text(tr("Not available today, so not added: {names}", names=names))
    await reply_cart(message, result.cart, tr, context)


async def cancel(update: Update, context: Ctx) -> None:
    """Cancel before the shop accepts; refund what was paid."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.CancelOrder.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            refunded = await history.cancel(
                session,
                order_id=action.order_id,
                telegram_id=user.id,
                provider=context.deps.provider,
                now=context.deps.now(),
            )
    except WrongState as err:
        await query.answer(
            tr(
                "This order can no longer be cancelled here (it is {status}). "
                "Please call the shop.",
                status=status_name(err.status, tr),
            ),
            show_alert=True,
        )
        return
    context.deps.outbox_wakeup.set()
    await query.answer()
    if refunded:
        text = tr(
            "Order #{order} is cancelled; {amount} was refunded.",
            order=action.order_id,
            amount=tr.money(refunded),
        )
    else:
        text = tr("Order #{order} is cancelled. Nothing was charged.", order=action.order_id)
    await query.edit_message_text(text)


HANDLERS = [
    CommandHandler(["orders", "my"], list_orders),
    CallbackQueryHandler(list_orders, pattern=cb.MyOrders.pattern()),
    CallbackQueryHandler(show_order, pattern=cb.OrderDetail.pattern()),
    CallbackQueryHandler(reorder, pattern=cb.Reorder.pattern()),
    CallbackQueryHandler(cancel, pattern=cb.CancelOrder.pattern()),
]
