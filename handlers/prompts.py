"""A resident's text: a typed answer the bot is waiting for (address, phone, note, review,
reply, a campaign's part) comes first; anything else is read into the cart."""

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.services import checkout as checkout_service
from bot.services import ordering, reviews, text_orders
from bot.services.campaigns import AWAIT_EN, AWAIT_IMAGE, AWAIT_KO, AWAIT_TIME
from bot.services.errors import ShopUnavailable, SoldOut
from handlers import campaigns, cart, checkout, review
from handlers.context import Ctx

CAMPAIGN_PROMPTS = (AWAIT_KO, AWAIT_EN, AWAIT_IMAGE, AWAIT_TIME)
CHECKOUT_PROMPTS = (
    checkout_service.AWAIT_ADDRESS,
    checkout_service.AWAIT_NOTE,
    checkout_service.AWAIT_PHONE,
)
TYPED_PROMPTS = (*CHECKOUT_PROMPTS, reviews.AWAIT_TEXT, reviews.AWAIT_REPLY, *CAMPAIGN_PROMPTS)


async def awaited_text(update: Update, context: Ctx) -> None:
    """Route a text to the prompt that waits for it, or else read it into the cart: one
    transaction finds what is awaited and reads the cart (a text needs no second one)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    refusal, outcome = None, None
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)  # kept for the handler it routes to
            awaiting, data = await text_orders.awaited(session, user.id)
            if awaiting in CHECKOUT_PROMPTS:
                now = context.deps.now()
                if await ordering.view(session, telegram_id=user.id, now=now) is None:
                    awaiting = None  # the cart was emptied meanwhile: read it as an order
            if awaiting not in TYPED_PROMPTS:
                refusal = cart.order_text_refusal(message.text, context, tr)
                if refusal is None:
                    outcome = await cart.read_text(
                        session, context, telegram_id=user.id, text=message.text
                    )
    except (ShopUnavailable, SoldOut) as err:
        await cart.reply_unavailable(message, err, tr, context)
        raise ApplicationHandlerStop from None
    if awaiting in CHECKOUT_PROMPTS:
        await checkout.typed_answer(update, context, awaiting)
    elif awaiting == reviews.AWAIT_TEXT:
        await review.text_answer(update, context)
    elif awaiting == reviews.AWAIT_REPLY:
        await review.reply_answer(update, context)
    elif awaiting in CAMPAIGN_PROMPTS:
        await campaigns.typed(update, context, awaiting, data)
    elif refusal is not None:
        await message.reply_text(refusal)
    elif outcome is not None:
        await cart.reply_outcome(message, outcome, tr, context)
    raise ApplicationHandlerStop


# Registered in group -1, before the cart's free-text handler in group 0 (which reads the texts
# of other chats).
TEXT_HANDLER = MessageHandler(
    filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, awaited_text
)
