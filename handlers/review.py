"""꿀맛 평가: stars by buttons after delivery, then an optional text; the owner replies once."""

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler

from bot.services import reviews
from bot.services.errors import NotAllowed, NotFound, WrongState
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.notifications import RATE_QUESTION
from handlers.render import Keyboard, without_ending


async def rate(update: Update, context: Ctx) -> None:
    """Stars pressed under the delivery message."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.RateOrder.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            await reviews.rate(
                session,
                order_id=action.order_id,
                telegram_id=user.id,
                stars=action.stars,
                now=context.deps.now(),
            )
    except WrongState as err:
        text = (
            tr("You have already rated this order. Thank you!")
            if err.status == "reviewed"
            else tr("You can rate an order once it has been delivered.")
        )
        await query.answer(text, show_alert=True)
        return
    except NotAllowed:
        await query.answer(tr("Only the person who ordered can rate it."), show_alert=True)
        return
    context.deps.outbox_wakeup.set()
    await query.answer(tr("Thank you for rating!"))
    delivered = without_ending(message.text_html or "", tr(RATE_QUESTION))
    if delivered is None:
        await query.edit_message_reply_markup(None)
    else:  # the stars given take the question's place
        rating = tr("Your rating: {stars}", stars="⭐" * action.stars)
        await query.edit_message_text(delivered + "\n\n" + rating)
    kb = Keyboard(context.deps.signer, message.chat_id).row((tr("Skip"), cb.SkipReviewText()))
    await message.reply_text(
        tr(
            "{stars} Thank you! Write a few words about the food if you like.",
            stars="⭐" * action.stars,
        ),
        reply_markup=kb.markup(),
    )


async def text_answer(update: Update, context: Ctx) -> None:
    """The review's text."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        await reviews.add_text(
            session, telegram_id=user.id, text=message.text, now=context.deps.now()
        )
    context.deps.outbox_wakeup.set()
    await message.reply_text(tr("Thank you! Your review helps the shops of our town."))


async def skip_text(update: Update, context: Ctx) -> None:
    """No review text."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    cb.SkipReviewText.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        await reviews.add_text(session, telegram_id=user.id, text=None, now=context.deps.now())
    await query.answer()
    await query.edit_message_text(tr("Thank you for rating!"))


async def ask_reply(update: Update, context: Ctx) -> None:
    """The owner pressed "Reply" under a review."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.ReplyReview.unpack(query.data or "", context.deps.signer, message.chat_id)
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            await reviews.ask_reply(session, review_id=action.review_id, telegram_id=user.id)
    except WrongState:
        await query.answer(tr("You have already replied to this review."), show_alert=True)
        return
    except (NotAllowed, NotFound):
        await query.answer(tr("Only the shop's own accounts can reply."), show_alert=True)
        return
    await query.answer()
    await message.reply_text(tr("Write your reply; the resident will see it."))


async def reply_answer(update: Update, context: Ctx) -> None:
    """The owner's reply text."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            await reviews.reply(
                session, telegram_id=user.id, text=message.text, now=context.deps.now()
            )
    except (WrongState, NotAllowed, NotFound):
        await message.reply_text(tr("You have already replied to this review."))
        return
    context.deps.outbox_wakeup.set()
    await message.reply_text(tr("Your reply was sent."))


HANDLERS = [
    CallbackQueryHandler(rate, pattern=cb.RateOrder.pattern()),
    CallbackQueryHandler(skip_text, pattern=cb.SkipReviewText.pattern()),
    CallbackQueryHandler(ask_reply, pattern=cb.ReplyReview.pattern()),
]
