"""The shop's side: accept with an ETA or reject with a reason, then dispatch and deliver."""

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import Translator
from bot.services import deliveries, merchants
from bot.services.errors import NotAllowed, WrongState
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.notifications import ALERT_QUESTION, REASON_NAMES
from handlers.render import Keyboard, status_name, without_ending


def answered(alert: Message, tr: Translator) -> str:
    """A new-order alert without its closing question, now that the shop answered it."""
    text = alert.text_html or ""
    return without_ending(text, tr(ALERT_QUESTION)) or text


async def _refuse(query: object, err: Exception, tr: Translator) -> None:
    if isinstance(err, NotAllowed):
        text = tr("Only the shop's own accounts can answer this order.")
    elif isinstance(err, WrongState):
        text = tr(
            "This order has already moved on (it is {status}).", status=status_name(err.status, tr)
        )
    else:
        raise err
    await query.answer(text, show_alert=True)  # type: ignore[attr-defined]


async def accept(update: Update, context: Ctx) -> None:
    """Accept with an ETA; the alert turns into the dispatch step."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.AcceptOrder.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            fulfilment = await merchants.accept(
                session,
                order_id=action.order_id,
                telegram_id=user.id,
                eta=action.eta,
                now=context.deps.now(),
                keep=(message.chat_id, message.message_id),
            )
    except (NotAllowed, WrongState) as err:
        await _refuse(query, err, tr)
        return
    context.deps.outbox_wakeup.set()
    await query.answer(tr("Accepted."))
    kb = Keyboard(context.deps.signer, message.chat_id)
    if fulfilment == "delivery":
        kb.row((tr("🛵 Call a rider"), cb.CallRider(action.order_id)))
    kb.row((tr("🛵 Out for delivery / ready"), cb.DispatchOrder(action.order_id)))
    status = tr("✅ Accepted: ready in {eta} minutes.", eta=action.eta)
    text = answered(message, tr) + "\n\n" + status
    await query.edit_message_text(text, reply_markup=kb.markup())


async def reject_menu(update: Update, context: Ctx) -> None:
    """Show the reasons to reject."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.RejectMenu.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.reads() as session:
            tr = await context.translator_for(user, session)
            await merchants.ensure_unanswered(
                session, order_id=action.order_id, telegram_id=user.id
            )
    except (NotAllowed, WrongState) as err:  # answered meanwhile: no reasons to offer
        await _refuse(query, err, tr)
        return
    await query.answer()
    kb = Keyboard(context.deps.signer, message.chat_id)
    for reason in merchants.REASONS:
        kb.row((tr(REASON_NAMES[reason]), cb.RejectOrder(action.order_id, reason)))
    kb.row(
        *[
            (tr("{eta} min", eta=eta), cb.AcceptOrder(action.order_id, eta))
            for eta in merchants.ETAS
        ]
    )
    await query.edit_message_reply_markup(kb.markup())


async def reject(update: Update, context: Ctx) -> None:
    """Reject with a reason; the resident is refunded."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.RejectOrder.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            await merchants.reject(
                session,
                order_id=action.order_id,
                telegram_id=user.id,
                reason=action.reason,
                provider=context.deps.provider,
                now=context.deps.now(),
                keep=(message.chat_id, message.message_id),
            )
    except (NotAllowed, WrongState) as err:
        await _refuse(query, err, tr)
        return
    context.deps.outbox_wakeup.set()
    await query.answer(tr("Rejected; the resident is refunded."))
    text = (
        answered(message, tr)
        + "\n\n"
        + tr(
            "❌ Rejected: {reason}. The resident was refunded.",
            reason=tr(REASON_NAMES[action.reason]),
        )
    )
    await query.edit_message_text(text)


async def dispatch(update: Update, context: Ctx) -> None:
    """The order left the shop (or is ready for pickup)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.DispatchOrder.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            fulfilment = await merchants.dispatch(
                session,
                order_id=action.order_id,
                telegram_id=user.id,
                now=context.deps.now(),
                keep=(message.chat_id, message.message_id),
            )
    except (NotAllowed, WrongState) as err:
        await _refuse(query, err, tr)
        return
    context.deps.outbox_wakeup.set()
    await query.answer()
    kb = Keyboard(context.deps.signer, message.chat_id)
    kb.row((tr("✅ Delivered / picked up"), cb.DeliveredOrder(action.order_id)))
    done = tr("🛍 Ready for pickup.") if fulfilment == "pickup" else tr("🛵 On its way.")
    text = (message.text_html or "") + "\n" + done
    await query.edit_message_text(text, reply_markup=kb.markup())


async def delivered(update: Update, context: Ctx) -> None:
    """The order reached the resident."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.DeliveredOrder.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            fulfilment = await merchants.deliver(
                session,
                order_id=action.order_id,
                telegram_id=user.id,
                now=context.deps.now(),
                keep=(message.chat_id, message.message_id),
            )
    except (NotAllowed, WrongState) as err:
        await _refuse(query, err, tr)
        return
    context.deps.outbox_wakeup.set()
    await query.answer()
    done = (
        tr("✅ Picked up. Thank you!")
        if fulfilment == "pickup"
        else tr("✅ Delivered. Thank you!")
    )
    text = (message.text_html or "") + "\n" + done
    await query.edit_message_text(text)


async def call_rider(update: Update, context: Ctx) -> None:
    """Ask the delivery agency for a rider; its callbacks move the order on."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.CallRider.unpack(query.data or "", context.deps.signer, message.chat_id)
    assert context.deps.agency is not None  # noqa: S101 (set by the runner)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            await deliveries.call_rider(
                session,
                order_id=action.order_id,
                telegram_id=user.id,
                agency=context.deps.agency,
                now=context.deps.now(),
            )
    except (NotAllowed, WrongState) as err:
        await _refuse(query, err, tr)
        return
    await query.answer(tr("A rider is being called."))
    text = (message.text_html or "") + "\n" + tr("🛵 Rider called: we will tell you who comes.")
    kb = Keyboard(context.deps.signer, message.chat_id)
    kb.row((tr("🛵 Out for delivery / ready"), cb.DispatchOrder(action.order_id)))
    await query.edit_message_text(text, reply_markup=kb.markup())  # if no rider ever comes


HANDLERS = [
    CallbackQueryHandler(call_rider, pattern=cb.CallRider.pattern()),
    CallbackQueryHandler(accept, pattern=cb.AcceptOrder.pattern()),
    CallbackQueryHandler(reject_menu, pattern=cb.RejectMenu.pattern()),
    CallbackQueryHandler(reject, pattern=cb.RejectOrder.pattern()),
    CallbackQueryHandler(dispatch, pattern=cb.DispatchOrder.pattern()),
    CallbackQueryHandler(delivered, pattern=cb.DeliveredOrder.pattern()),
]
