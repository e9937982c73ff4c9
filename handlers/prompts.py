"""Typed answers the bot is waiting for (address, phone, note, review, reply) come first."""

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.services import checkout as checkout_service
from bot.services import ordering, reviews, text_orders
from bot.services.campaigns import AWAIT_EN, AWAIT_IMAGE, AWAIT_KO, AWAIT_TIME
from handlers import campaigns, checkout, review
from handlers.context import Ctx

CAMPAIGN_PROMPTS = (AWAIT_KO, AWAIT_EN, AWAIT_IMAGE, AWAIT_TIME)


async def awaited_text(update: Update, context: Ctx) -> None:
    """Route a text to the prompt that waits for it; otherwise let the cart read it."""
    user = update.effective_user
    if user is None:
        return
    async with context.deps.reads() as session:
        awaiting, data = await text_orders.awaited(session, user.id)
        await context.translator_for(user, session)  # kept for the handler it routes to
    if awaiting in (
        checkout_service.AWAIT_ADDRESS,
        checkout_service.AWAIT_NOTE,
        checkout_service.AWAIT_PHONE,
    ):
        async with context.deps.reads() as session:
            cart = await ordering.view(session, telegram_id=user.id, now=context.deps.now())
        if cart is None:  # the cart was emptied meanwhile: read the text as an order
            return
        await checkout.typed_answer(update, context, awaiting)
    elif awaiting == reviews.AWAIT_TEXT:
        await review.text_answer(update, context)
    elif awaiting == reviews.AWAIT_REPLY:
        await review.reply_answer(update, context)
    elif awaiting in CAMPAIGN_PROMPTS:
        await campaigns.typed(update, context, awaiting, data)
    else:
        return
    raise ApplicationHandlerStop


# Registered in group -1, before the cart's free-text handler in group 0.
TEXT_HANDLER = MessageHandler(
    filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, awaited_text
)
