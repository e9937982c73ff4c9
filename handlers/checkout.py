"""Checkout: delivery or pickup, address, phone, note, summary, then the payment link."""

from datetime import timedelta
from html import escape

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.integrations.payments import currency_name
from bot.services import checkout, coupons, outbox, payments, text_orders
from bot.services.checkout import Checkout
from bot.services.errors import (
    BelowMinimumOrder,
    CartEmpty,
    CheckoutIncomplete,
    CouponExhausted,
    CouponInvalid,
    CouponLimit,
    InvalidPhone,
    NotAllowed,
    OptionsMissing,
    OutsideDeliveryArea,
    ServiceError,
    ShopUnavailable,
    SoldOut,
    WrongState,
)
from bot.services.payments import PaymentLink
from handlers import callbacks as cb
from handlers.cart import reply_unavailable
from handlers.cart_render import line_details
from handlers.context import Ctx
from handlers.render import Keyboard, status_name
from models.base import Fulfilment


def _message(update: Update) -> Message | None:
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        return query.message
    return update.effective_message


async def ask_fulfilment(message: Message, state: Checkout, tr: Translator, ctx: Ctx) -> None:
    """Delivery or pickup?"""
    kb = Keyboard(ctx.deps.signer, message.chat_id)
    kb.row(
        (tr("🛵 Delivery (+{fee})", fee=tr.money(state.cart.delivery_fee)), cb.Fulfil("delivery")),
        (tr("🏃 Pickup (no fee)"), cb.Fulfil("pickup")),
    )
    await message.reply_text(tr("How would you like to get your order?"), reply_markup=kb.markup())


async def ask_address(message: Message, state: Checkout, tr: Translator, ctx: Ctx) -> None:
    """Offer saved addresses in the delivery area, or ask for a new one."""
    kb = Keyboard(ctx.deps.signer, message.chat_id)
    usable = [a for a in state.saved_addresses if a.deliverable]
    for saved in usable[:4]:
        label = f"{saved.label} · {saved.text}" if saved.label else saved.text
        kb.row((label[:60], cb.UseAddress(saved.id)))
    if kb.rows:
        kb.row((tr("✏️ Another address"), cb.NewAddress()))
        await message.reply_text(tr("Where should we deliver?"), reply_markup=kb.markup())
        return
    await prompt_new_address(message, state, tr, ctx, outside=bool(state.saved_addresses))


async def prompt_new_address(
    message: Message, state: Checkout, tr: Translator, ctx: Ctx, *, outside: bool = False
) -> None:
    """Ask the resident to type an address or share a location (`outside`: the saved ones
    are all outside the shop's delivery area)."""
    async with ctx.deps.sessions.begin() as session:
        await checkout.ask_address(session, telegram_id=message.chat_id)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(tr("📍 Send my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    areas = ", ".join(state.delivery_areas[:8])
    text = tr(
        "Please write the delivery address with its 동 (e.g. 청라1동), or send your "
        "location. This shop delivers to: {areas}.",
        areas=escape(areas),
    )
    if outside:
        text = tr("None of your saved addresses is in this shop's delivery area.") + "\n" + text
    await message.reply_text(text, reply_markup=keyboard)


async def ask_phone(message: Message, state: Checkout, tr: Translator, ctx: Ctx) -> None:
    """Ask for a phone number with Telegram's contact button (no rider for a pickup)."""
    async with ctx.deps.sessions.begin() as session:
        await checkout.ask(session, telegram_id=message.chat_id, what=checkout.AWAIT_PHONE)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(tr("📞 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    question = (
        tr("Which phone number can the shop call? Tap the button or type it.")
        if state.fulfilment == Fulfilment.PICKUP
        else tr("Which phone number can the shop and the rider call? Tap the button or type it.")
    )
    await message.reply_text(question, reply_markup=keyboard)


async def confirm_typed(message: Message, text: str) -> None:
    """Say what a typed or shared answer gave; it takes away the reply keyboard (location or
    contact button) that asked for it, which only a new message can do."""
    await message.reply_text(text, reply_markup=ReplyKeyboardRemove())


async def ask_note(message: Message, state: Checkout, tr: Translator, ctx: Ctx) -> None:
    """Ask for a request for the shop (and the rider, for a delivery)."""
    async with ctx.deps.sessions.begin() as session:
        await checkout.ask(session, telegram_id=message.chat_id, what=checkout.AWAIT_NOTE)
    kb = Keyboard(ctx.deps.signer, message.chat_id).row((tr("No requests"), cb.SkipNote()))
    question = (
        tr("Any request for the shop? (e.g. “덜 맵게 해 주세요”, “less spicy”)")
        if state.fulfilment == Fulfilment.PICKUP
        else tr("Any request for the shop or the rider? (e.g. “문 앞에 놔주세요”, “less spicy”)")
    )
    await message.reply_text(question, reply_markup=kb.markup())


async def next_step(message: Message, state: Checkout, tr: Translator, ctx: Ctx) -> None:
    """After fulfilment and address: the phone if unknown, else the note."""
    if state.phone is None:
        await ask_phone(message, state, tr, ctx)
    else:
        await ask_note(message, state, tr, ctx)


def summary_text(state: Checkout, tr: Translator) -> str:
    """Everything about to be ordered, with the total."""
    shop = escape(tr.pick(state.cart.shop.name, state.cart.shop.name_en))
    rows = [tr("🧾 <b>Please check your order · {shop}</b>", shop=shop), ""]
    for line in state.cart.lines:
        name = escape(tr.pick(line.name, line.name_en))
        rows.append(f"• {name} × {line.quantity}: {tr.money(line.total)}")
        rows.extend(line_details(line, tr))
    rows.append("")
    if state.fulfilment == "pickup":
        rows.append(tr("🏃 Pickup at the shop"))
    else:
        rows.append(tr("🛵 Deliver to: {address}", address=escape(state.address or "")))
    rows.append(tr("📞 {phone}", phone=escape(state.phone or "")))
    if state.note:
        rows.append(tr("📝 {note}", note=escape(state.note)))
    rows += [
        "",
        tr("Items: {amount}", amount=tr.money(state.cart.subtotal)),
        tr("Delivery fee: {amount}", amount=tr.money(state.delivery_fee)),
    ]
    if state.coupon is not None:
        rows.append(
            tr(
                "🎟 {coupon}: −{amount}",
                coupon=escape(tr.pick(state.coupon.name, state.coupon.name_en)),
                amount=tr.money(state.discount),
            )
        )
    rows.append(tr("<b>Total: {amount}</b>", amount=tr.money(state.total)))
    return "\n".join(rows)


async def show_summary(message: Message, state: Checkout, tr: Translator, ctx: Ctx) -> None:
    """The order summary with the confirm button."""
    await message.reply_text(
        summary_text(state, tr), reply_markup=summary_keyboard(state, tr, ctx, message.chat_id)
    )


def summary_keyboard(
    state: Checkout, tr: Translator, ctx: Ctx, chat_id: int
) -> InlineKeyboardMarkup | None:
    """Confirm, the resident's coupons, and the ways back."""
    kb = Keyboard(ctx.deps.signer, chat_id)
    kb.row((tr("✅ Order and pay"), cb.ConfirmOrder()))
    for offer in state.offers[:3]:
        if state.coupon is None or offer.issued_id != state.coupon.issued_id:
            label = tr(
                "🎟 Use {coupon} (−{amount})",
                coupon=tr.pick(offer.name, offer.name_en),
                amount=tr.money(offer.discount),
            )
            kb.row((label, cb.UseCoupon(offer.issued_id)))
    if state.coupon is not None:
        kb.row((tr("🎟 No coupon"), cb.UseCoupon(0)))
    kb.row((tr("✏️ Start checkout again"), cb.Checkout()), (tr("🛒 Back to cart"), cb.ShowCart()))
    return kb.markup()


async def send_link(message: Message, link: PaymentLink, tr: Translator, ctx: Ctx) -> None:
    """The payment link, in the region's local currency; its button comes off once the
    order moves on (outbox.retire), or at once when it did so while the link was sent."""
    currency = currency_name(link.currency, tr.locale)
    button = InlineKeyboardButton(tr("💳 Pay with {currency}", currency=currency), url=link.url)
    minutes = ctx.deps.settings.payment_expiry_minutes
    sent = await message.reply_text(
        tr(
            "Order #{order}: please pay {amount} with {currency}. The link is valid for "
            "{minutes} minutes; the shop gets your order as soon as you have paid.",
            order=link.order_id,
            amount=tr.money(link.amount),
            currency=escape(currency),
            minutes=minutes,
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )
    closed = tr(
        "Order #{order}: the payment link for {amount} can no longer be used; "
        "see the messages below.",
        order=link.order_id,
        amount=tr.money(link.amount),
    )
    async with ctx.deps.sessions.begin() as session:
        live = await payments.awaiting(session, link.order_id)
        if live:
            outbox.remember(
                session,
                order_id=link.order_id,
                chat_id=sent.chat_id,
                message_id=sent.message_id,
                retired_text=closed,
                now=ctx.deps.now(),
            )
    if not live:  # paid, or cancelled, before the link was on record
        await sent.edit_text(closed)


async def explain(message: Message, err: ServiceError, tr: Translator, ctx: Ctx) -> None:
    """Say why checkout cannot go on, and what to do."""
    if isinstance(err, ShopUnavailable | SoldOut):
        await reply_unavailable(message, err, tr, ctx)
        return
    if isinstance(err, BelowMinimumOrder):
        text = tr(
            "The minimum order here is {minimum}: please add {amount} more.",
            minimum=tr.money(err.min_order),
            amount=tr.money(err.shortfall),
        )
    elif isinstance(err, OptionsMissing):
        text = tr("Please choose the options still open in your cart first.")
    elif isinstance(err, CartEmpty):
        text = tr("Your cart is empty.")
    elif isinstance(err, OutsideDeliveryArea):
        text = tr(
            "Sorry, this shop does not deliver there. It delivers to: {areas}. "
            "Write another address, or choose pickup.",
            areas=escape(", ".join(err.areas)),
        )
    elif isinstance(err, InvalidPhone):
        text = tr("That does not look like a mobile number. Please send it like 010-1234-5678.")
    elif isinstance(err, CouponExhausted | CouponInvalid):
        text = tr(
            "Sorry, that coupon cannot be used any more (its budget is spent or it expired). "
            "Please check the order again without it."
        )
    elif isinstance(err, CheckoutIncomplete):
        text = tr("Some details are missing. Let's go through checkout again.")
    elif isinstance(err, WrongState):
        text = tr(
            "This order has already moved on (it is {status}).",
            status=status_name(err.status, tr),
        )
    else:
        raise err
    await message.reply_text(text)


async def start_checkout(update: Update, context: Ctx) -> None:
    """The cart's "Order" button."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    cb.Checkout.unpack(query.data or "", context.deps.signer, message.chat_id)
    await query.answer()
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            state = await checkout.begin(session, telegram_id=user.id, now=context.deps.now())
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    await ask_fulfilment(message, state, tr, context)


async def fulfil(update: Update, context: Ctx) -> None:
    """Delivery or pickup was chosen."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    action = cb.Fulfil.unpack(query.data or "", context.deps.signer, message.chat_id)
    await query.answer()
    await query.edit_message_reply_markup(None)
    now = context.deps.now()
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            if action.kind == "pickup":
                state = await checkout.choose_pickup(session, telegram_id=user.id, now=now)
            else:
                state = await checkout.view(session, telegram_id=user.id, now=now)
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    if action.kind == "pickup":
        await next_step(message, state, tr, context)
    else:
        await ask_address(message, state, tr, context)


async def use_address(update: Update, context: Ctx) -> None:
    """A saved address was chosen."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    action = cb.UseAddress.unpack(query.data or "", context.deps.signer, message.chat_id)
    await query.answer()
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            state = await checkout.set_address(
                session, telegram_id=user.id, address_id=action.address_id, now=context.deps.now()
            )
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    await query.edit_message_reply_markup(None)
    await next_step(message, state, tr, context)


async def new_address(update: Update, context: Ctx) -> None:
    """The resident wants to type another address."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    cb.NewAddress.unpack(query.data or "", context.deps.signer, message.chat_id)
    await query.answer()
    await query.edit_message_reply_markup(None)
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        state = await checkout.view(session, telegram_id=user.id, now=context.deps.now())
    await prompt_new_address(message, state, tr, context)


async def typed_answer(update: Update, context: Ctx, awaiting: str) -> None:
    """A typed address, phone number or note during checkout."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    now = context.deps.now()
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            if awaiting == checkout.AWAIT_ADDRESS:
                state = await checkout.set_address(
                    session, telegram_id=user.id, text=message.text, now=now
                )
            elif awaiting == checkout.AWAIT_PHONE:
                state = await checkout.set_phone(
                    session, telegram_id=user.id, phone=message.text, now=now
                )
            else:
                state = await checkout.set_note(
                    session, telegram_id=user.id, note=message.text, now=now
                )
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    if awaiting == checkout.AWAIT_ADDRESS:
        address = escape(state.address or "")
        await confirm_typed(message, tr("🛵 Deliver to: {address}", address=address))
        await next_step(message, state, tr, context)
    elif awaiting == checkout.AWAIT_PHONE:
        await confirm_typed(message, tr("📞 {phone}", phone=escape(state.phone or "")))
        await ask_note(message, state, tr, context)
    else:
        await show_summary(message, state, tr, context)


async def shared_contact(update: Update, context: Ctx) -> None:
    """The phone number shared with Telegram's contact button."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.contact is None:
        return
    tr = await context.translator_for(user)
    if message.contact.user_id not in (None, user.id):
        await message.reply_text(tr("Please share your own phone number."))
        return
    try:
        async with context.deps.sessions.begin() as session:
            state = await checkout.set_phone(
                session,
                telegram_id=user.id,
                phone=message.contact.phone_number,
                now=context.deps.now(),
            )
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    await confirm_typed(message, tr("📞 {phone}", phone=escape(state.phone or "")))
    await ask_note(message, state, tr, context)


async def shared_location(update: Update, context: Ctx) -> None:
    """A shared location as the delivery address: ask which 동 it is in."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.location is None:
        return
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        awaiting, _ = await text_orders.awaited(session, user.id)
        state = None
        if awaiting == checkout.AWAIT_ADDRESS:
            await checkout.remember_location(
                session,
                telegram_id=user.id,
                latitude=message.location.latitude,
                longitude=message.location.longitude,
            )
            state = await checkout.view(session, telegram_id=user.id, now=context.deps.now())
    if state is None:  # replies go out after the transaction, never while it holds the lock
        await message.reply_text(tr("Thanks! Send a location when I ask for the address."))
        return
    kb = Keyboard(context.deps.signer, message.chat_id)
    for position, area in enumerate(state.delivery_areas[:12]):
        kb.row((area, cb.PickDong(position)))
    await confirm_typed(message, tr("📍 Location received."))
    await message.reply_text(
        tr("Which 동 is that in? (This shop delivers only to these.)"), reply_markup=kb.markup()
    )


async def pick_dong(update: Update, context: Ctx) -> None:
    """The 동 of a shared location."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    action = cb.PickDong.unpack(query.data or "", context.deps.signer, message.chat_id)
    await query.answer()
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            state = await checkout.set_location_dong(
                session, telegram_id=user.id, position=action.position, now=context.deps.now()
            )
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    await query.edit_message_reply_markup(None)
    await next_step(message, state, tr, context)


async def skip_note(update: Update, context: Ctx) -> None:
    """No request for the shop."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    cb.SkipNote.unpack(query.data or "", context.deps.signer, message.chat_id)
    await query.answer()
    await query.edit_message_reply_markup(None)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            state = await checkout.set_note(
                session, telegram_id=user.id, note=None, now=context.deps.now()
            )
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    await show_summary(message, state, tr, context)


async def confirm(update: Update, context: Ctx) -> None:
    """Place the order and send the payment link."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    cb.ConfirmOrder.unpack(query.data or "", context.deps.signer, message.chat_id)
    await query.answer()
    minutes = context.deps.settings.payment_expiry_minutes
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            link = await payments.place(
                session,
                telegram_id=user.id,
                provider=context.deps.provider,
                now=context.deps.now(),
                ttl=timedelta(minutes=minutes),
            )
    except ServiceError as err:
        await explain(message, err, tr, context)
        return
    await query.edit_message_reply_markup(None)
    await send_link(message, link, tr, context)


async def pay_again(update: Update, context: Ctx) -> None:
    """A fresh payment link after expiry or a declined payment."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    action = cb.PayAgain.unpack(query.data or "", context.deps.signer, message.chat_id)
    minutes = context.deps.settings.payment_expiry_minutes
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            link = await payments.pay_again(
                session,
                telegram_id=user.id,
                order_id=action.order_id,
                provider=context.deps.provider,
                now=context.deps.now(),
                ttl=timedelta(minutes=minutes),
            )
    except NotAllowed:
        await query.answer(
            tr("This button is no longer valid. Please use /start to begin again."),
            show_alert=True,
        )
        return
    except WrongState as err:
        await query.answer(
            tr(
                "This order has already moved on (it is {status}).",
                status=status_name(err.status, tr),
            )
        )
        return
    await query.answer()
    await send_link(message, link, tr, context)


async def use_coupon(update: Update, context: Ctx) -> None:
    """Apply or remove a coupon on the summary, which is redrawn in place."""
    query, user, message = update.callback_query, update.effective_user, _message(update)
    if query is None or user is None or message is None:
        return
    action = cb.UseCoupon.unpack(query.data or "", context.deps.signer, message.chat_id)
    now = context.deps.now()
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            await coupons.choose(
                session, telegram_id=user.id, issued_id=action.issued_id or None, now=now
            )
            state = await checkout.view(session, telegram_id=user.id, now=now)
    except ServiceError:
        await query.answer(tr("That coupon cannot be used for this order."), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(
        summary_text(state, tr), reply_markup=summary_keyboard(state, tr, context, message.chat_id)
    )


async def claim_coupon(update: Update, context: Ctx) -> None:
    """/coupon CODE: claim a coupon the city handed out."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    tr = await context.translator_for(user)
    if not context.args:
        await message.reply_text(tr("Send the code like this: /coupon SEOGU3000"))
        return
    try:
        async with context.deps.sessions.begin() as session:
            name, name_en = await coupons.claim(
                session, telegram_id=user.id, code=context.args[0][:32], now=context.deps.now()
            )
    except CouponInvalid:
        await message.reply_text(tr("That coupon code is not valid (or has expired)."))
        return
    except CouponLimit:
        await message.reply_text(tr("You already have this coupon."))
        return
    await message.reply_text(
        tr(
            "🎟 You got the coupon “{coupon}”. Choose it when you check out.",
            coupon=escape(tr.pick(name, name_en)),
        )
    )


HANDLERS = [
    CallbackQueryHandler(use_coupon, pattern=cb.UseCoupon.pattern()),
    CommandHandler("coupon", claim_coupon),
    CallbackQueryHandler(start_checkout, pattern=cb.Checkout.pattern()),
    CallbackQueryHandler(fulfil, pattern=cb.Fulfil.pattern()),
    CallbackQueryHandler(use_address, pattern=cb.UseAddress.pattern()),
    CallbackQueryHandler(new_address, pattern=cb.NewAddress.pattern()),
    CallbackQueryHandler(pick_dong, pattern=cb.PickDong.pattern()),
    CallbackQueryHandler(skip_note, pattern=cb.SkipNote.pattern()),
    CallbackQueryHandler(confirm, pattern=cb.ConfirmOrder.pattern()),
    CallbackQueryHandler(pay_again, pattern=cb.PayAgain.pattern()),
    MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, shared_contact),
    MessageHandler(filters.LOCATION & filters.ChatType.PRIVATE, shared_location),
]
