"""A shop owner's own chat: link by invite, pause and resume orders, mark items sold out."""

from html import escape

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.i18n import Translator
from bot.services import merchants, users
from bot.services.errors import NotAllowed, NotFound
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard

PER_PAGE = 8


def panel_text(shops: list[merchants.ShopPanel], tr: Translator) -> str:
    """Each shop with its state and sold-out items."""
    if not shops:
        return tr("This account is not linked to a shop. Ask the city's staff for an invite link.")
    rows = []
    for shop in shops:
        name = escape(tr.pick(shop.name, shop.name_en))
        state = tr("⏸ paused") if shop.paused else tr("▶ taking orders")
        rows.append(f"<b>{name}</b> · {state}")
        if shop.sold_out:
            names = ", ".join(escape(tr.pick(ko, en)) for _, ko, en in shop.sold_out)
            rows.append(tr("Sold out today: {items}", items=names))
        rows.append("")
    return "\n".join(rows).strip()


def panel_keyboard(shops: list[merchants.ShopPanel], tr: Translator, kb: Keyboard) -> Keyboard:
    """Pause or resume, and the sold-out list, per shop."""
    for shop in shops:
        toggle = (
            (tr("▶ Take orders again"), cb.PauseShop(shop.merchant_id, 0))
            if shop.paused
            else (tr("⏸ Pause orders"), cb.PauseShop(shop.merchant_id, 1))
        )
        kb.row(toggle, (tr("🚫 Sold out items"), cb.SoldOutList(shop.merchant_id)))
    return kb


async def show_panel(update: Update, context: Ctx) -> None:
    """/shop: the owner's control panel."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    query = update.callback_query
    if query is not None:
        cb.ShopPanel.unpack(query.data or "", context.deps.signer, chat.id)
        await query.answer()
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        shops = await merchants.panels(session, telegram_id=user.id)
    kb = panel_keyboard(shops, tr, Keyboard(context.deps.signer, chat.id))
    text = panel_text(shops, tr)
    if query is not None and isinstance(query.message, Message):
        await query.edit_message_text(text, reply_markup=kb.markup())
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=kb.markup())


async def pause(update: Update, context: Ctx) -> None:
    """Pause or resume the shop."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.PauseShop.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            await merchants.set_paused(
                session,
                merchant_id=action.merchant_id,
                telegram_id=user.id,
                paused=bool(action.paused),
            )
            shops = await merchants.panels(session, telegram_id=user.id)
    except NotAllowed:
        await query.answer(tr("Only the shop's own accounts can do this."), show_alert=True)
        return
    await query.answer(tr("Orders paused.") if action.paused else tr("Taking orders again."))
    kb = panel_keyboard(shops, tr, Keyboard(context.deps.signer, query.message.chat_id))
    await query.edit_message_text(panel_text(shops, tr), reply_markup=kb.markup())


async def _show_items(
    query: object, context: Ctx, tr: Translator, merchant_id: int, page: int, chat_id: int
) -> None:
    async with context.deps.reads() as session:
        listed = await merchants.items(session, merchant_id=merchant_id, telegram_id=chat_id)
    pages = max(1, -(-len(listed) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    kb = Keyboard(context.deps.signer, chat_id)
    for item in listed[page * PER_PAGE : (page + 1) * PER_PAGE]:
        mark = "🚫" if item.sold_out else "✅"
        kb.row(
            (
                f"{mark} {tr.pick(item.name, item.name_en)}",
                cb.ToggleSoldOut(item.id, merchant_id, page, int(not item.sold_out)),
            )
        )
    nav = []
    if page > 0:
        nav.append((tr("◀ Previous"), cb.SoldOutList(merchant_id, page - 1)))
    if page + 1 < pages:
        nav.append((tr("Next ▶"), cb.SoldOutList(merchant_id, page + 1)))
    if nav:
        kb.row(*nav)
    kb.row((tr("⬅ My shop"), cb.ShopPanel(merchant_id)))
    text = tr("Tap an item to mark it sold out today (🚫) or available again (✅).")
    await query.edit_message_text(text, reply_markup=kb.markup())  # type: ignore[attr-defined]


async def sold_out_list(update: Update, context: Ctx) -> None:
    """The items with sold-out toggles."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.SoldOutList.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    tr = await context.translator_for(user)
    try:
        await _show_items(query, context, tr, action.merchant_id, action.page, user.id)
    except NotAllowed:
        await query.answer(tr("Only the shop's own accounts can do this."), show_alert=True)
        return
    await query.answer()


async def toggle(update: Update, context: Ctx) -> None:
    """Flip one item's sold-out flag."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.ToggleSoldOut.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            item = await merchants.set_sold_out(
                session,
                item_id=action.item_id,
                telegram_id=user.id,
                sold_out=bool(action.sold_out),
            )
    except (NotAllowed, NotFound):
        await query.answer(tr("Only the shop's own accounts can do this."), show_alert=True)
        return
    name = tr.pick(item.name, item.name_en)
    await query.answer(
        tr("{item}: sold out today.", item=name)
        if item.sold_out
        else tr("{item}: available again.", item=name)
    )
    await _show_items(query, context, tr, action.merchant_id, action.page, user.id)


async def invite_owner(update: Update, context: Ctx) -> None:
    """/invite SHOP_CODE (staff): a single-use link that links an owner's chat to the shop;
    /invite staff: one that makes a colleague staff."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        role = await users.role_of(session, user.id)
    if role != "staff":
        await message.reply_text(tr("This command is for the city's staff."))
        return
    if not context.args:
        await message.reply_text(
            tr(
                "Send the shop's code like this: /invite hanbit-chicken. "
                "To invite a colleague to the staff: /invite staff"
            )
        )
        return
    if context.args[0].lower() == "staff":
        async with context.deps.sessions.begin() as session:
            code = await merchants.create_staff_invite(
                session, now=context.deps.now(), created_by=user.id
            )
        link = f"https://t.me/{context.bot.username}?start={code}"
        await message.reply_text(
            tr(
                "Send this link to your colleague. It makes them staff, works once, "
                "within 72 hours:\n{link}",
                link=escape(link),
            )
        )
        return
    try:
        async with context.deps.sessions.begin() as session:
            code = await merchants.create_invite(
                session, merchant_code=context.args[0][:64], now=context.deps.now()
            )
    except NotFound:
        await message.reply_text(
            tr("There is no shop with the code {code}.", code=escape(context.args[0][:64]))
        )
        return
    link = f"https://t.me/{context.bot.username}?start={code}"
    await message.reply_text(
        tr(
            "Send this link to the owner. It works once, within 72 hours:\n{link}",
            link=escape(link),
        )
    )


HANDLERS = [
    CommandHandler("shop", show_panel),
    CommandHandler("invite", invite_owner),
    CallbackQueryHandler(show_panel, pattern=cb.ShopPanel.pattern()),
    CallbackQueryHandler(pause, pattern=cb.PauseShop.pattern()),
    CallbackQueryHandler(sold_out_list, pattern=cb.SoldOutList.pattern()),
    CallbackQueryHandler(toggle, pattern=cb.ToggleSoldOut.pattern()),
]
