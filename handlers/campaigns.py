"""/campaign for staff: compose an ad in ko and en, choose audience and coupon, test, send.

The composer walks a new campaign through its steps (Korean text, English text, picture)
and then shows one panel; every change comes back to it. Typed answers arrive through
handlers/prompts.py; a picture through the photo handler here.
"""

import logging
from datetime import UTC, datetime

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import N_, Translator
from bot.services import ad_times, campaigns, users
from bot.services.broadcast import CouponNote, Send
from bot.services.campaigns import AWAIT_EN, AWAIT_IMAGE, AWAIT_KO, AWAIT_TIME, Audience
from bot.services.errors import BadAdText, CampaignState, NotAllowed, NotFound, TimeInPast
from handlers import callbacks as cb
from handlers.ads import progress_text, report_text
from handlers.broadcast import region_names, send_ad
from handlers.campaign_views import (
    STATUS_NAMES,
    audience_view,
    confirm_view,
    coupon_view,
    panel,
    schedule_view,
)
from handlers.context import Ctx
from handlers.render import Keyboard

logger = logging.getLogger(__name__)
STAFF_ONLY = N_("This command is for the city's staff.")


def state_text(err: CampaignState, tr: Translator) -> str:
    """Why a campaign cannot do what was asked."""
    if err.reason == "texts missing":
        return tr("Write both the Korean and the English text first (✏️ Texts).")
    if err.reason == "nobody":
        return tr(
            "No resident who agreed to ads matches this audience. Change the filters "
            "(👥 Audience)."
        )
    if err.reason == "coupon":
        return tr(
            "The coupon is no longer valid or its budget is spent. Choose another (🎟 Coupon)."
        )
    return tr("This campaign has started or was discarded; it cannot be changed any more.")


def _ask_ko(tr: Translator, campaign_id: int) -> str:
    return tr(
        "📣 Campaign #{id}. Send the ad text in Korean (up to {max} characters). It goes out "
        "with “(광고)” and the sender's name in front and a one-tap opt-out below.",
        id=campaign_id,
        max=campaigns.MAX_TEXT,
    )


async def new_campaign(update: Update, context: Ctx) -> None:
    """/campaign: start a draft and ask for its Korean text."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    try:
        async with context.deps.sessions.begin() as session:
            tr = await context.translator_for(user, session)
            campaign_id = await campaigns.create(session, telegram_id=user.id)
            await campaigns.ask(
                session, telegram_id=user.id, what=AWAIT_KO, campaign_id=campaign_id, first=True
            )
    except NotAllowed:
        await message.reply_text(tr(STAFF_ONLY))
        return
    await message.reply_text(_ask_ko(tr, campaign_id))


async def list_campaigns(update: Update, context: Ctx) -> None:
    """/campaigns: the latest campaigns, each with its state, to open."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    try:
        async with context.deps.reads() as session:
            tr = await context.translator_for(user, session)
            recent = await campaigns.recent(session, telegram_id=user.id)
    except NotAllowed:
        await message.reply_text(tr(STAFF_ONLY))
        return
    if not recent:
        await message.reply_text(tr("No campaigns yet. Start one with /campaign."))
        return
    kb = Keyboard(context.deps.signer, message.chat_id)
    for campaign in recent:
        preview = (campaign.text_ko or tr("(not written yet)"))[:24]
        status = tr(STATUS_NAMES[campaign.status])
        kb.row((f"#{campaign.id} · {status} · {preview}", cb.CampaignAction(campaign.id, "panel")))
    await message.reply_text(tr("Your latest campaigns:"), reply_markup=kb.markup())


async def show(
    context: Ctx,
    tr: Translator,
    chat_id: int,
    campaign_id: int,
    user_id: int,
    *,
    edit: Message | None = None,
) -> None:
    """Show a campaign: the panel of a draft, the progress or report of a sent one."""
    deps = context.deps
    async with deps.reads() as session:
        draft = await campaigns.draft(
            session, campaign_id=campaign_id, telegram_id=user_id, now=deps.now()
        )
        report = await campaigns.report(session, campaign_id, now=deps.now())
    kb = Keyboard(deps.signer, chat_id)
    if draft.status == "sending":
        text = progress_text(report, tr)
    elif draft.status == "done":
        text = report_text(report, tr)
    else:
        text = panel(draft, tr, kb)
    if edit is not None:
        await edit.edit_text(text, reply_markup=kb.markup())
    else:
        await context.bot.send_message(chat_id, text, reply_markup=kb.markup())


async def typed(update: Update, context: Ctx, awaiting: str, data: dict[str, object]) -> None:
    """A staff member's answer to the composer: a text or a send time."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    tr = await context.translator_for(user)
    campaign_id = int(data.get("campaign", 0))  # type: ignore[call-overload]
    first = bool(data.get("first"))
    deps = context.deps
    if awaiting == AWAIT_IMAGE:
        await message.reply_text(tr("Please send the picture as a photo, or tap “Skip”."))
        return
    at = (
        ad_times.parse_when(message.text, deps.now(), deps.settings.tz)
        if awaiting == AWAIT_TIME
        else None
    )
    if awaiting == AWAIT_TIME and (at is None or at <= deps.now()):
        await message.reply_text(
            tr("Please write a future date and time like 2026-12-01 10:00 or 18:30.")
        )
        return
    try:
        async with deps.sessions.begin() as session:
            if awaiting == AWAIT_TIME and at is not None:
                await campaigns.schedule(
                    session, campaign_id=campaign_id, telegram_id=user.id, at=at, now=deps.now()
                )
                await campaigns.stop_asking(session, telegram_id=user.id)
            else:
                field = "text_ko" if awaiting == AWAIT_KO else "text_en"
                await campaigns.edit(
                    session, campaign_id=campaign_id, telegram_id=user.id, **{field: message.text}
                )
                if awaiting == AWAIT_KO:
                    await campaigns.ask(
                        session,
                        telegram_id=user.id,
                        what=AWAIT_EN,
                        campaign_id=campaign_id,
                        first=first,
                    )
                elif first:
                    await campaigns.ask(
                        session,
                        telegram_id=user.id,
                        what=AWAIT_IMAGE,
                        campaign_id=campaign_id,
                        first=True,
                    )
                else:
                    await campaigns.stop_asking(session, telegram_id=user.id)
    except BadAdText as err:
        if err.reason == "long":
            await message.reply_text(
                tr(
                    "That is {n} characters; an ad may have at most {max}. "
                    "Please shorten it and send it again.",
                    n=err.length,
                    max=campaigns.MAX_TEXT,
                )
            )
        else:
            await message.reply_text(tr("Please send the text of the ad."))
        return
    except (NotAllowed, NotFound):
        async with deps.sessions.begin() as session:
            await campaigns.stop_asking(session, telegram_id=user.id)
        await message.reply_text(tr(STAFF_ONLY))
        return
    except CampaignState as err:
        async with deps.sessions.begin() as session:
            await campaigns.stop_asking(session, telegram_id=user.id)
        await message.reply_text(state_text(err, tr))
        return
    if awaiting == AWAIT_KO:
        await message.reply_text(
            tr("Now the same ad in English, for residents who use gongbae in English.")
        )
    elif awaiting == AWAIT_EN and first:
        kb = Keyboard(deps.signer, message.chat_id).row(
            (tr("Skip"), cb.CampaignAction(campaign_id, "noimg"))
        )
        await message.reply_text(
            tr("Send a picture for the ad, or tap “Skip”."), reply_markup=kb.markup()
        )
    else:
        await show(context, tr, message.chat_id, campaign_id, user.id)


async def picture(update: Update, context: Ctx) -> None:
    """A photo while the composer waits for the ad's picture."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.photo:
        return
    async with context.deps.reads() as session:
        awaiting, data = await users.expected(session, user.id)
    tr = await context.translator_for(user)
    if awaiting != AWAIT_IMAGE:
        await message.reply_text(
            tr(
                "I cannot read files here. To order, just write what you would like, "
                "or browse the shops with /start."
            )
        )
        return
    campaign_id = int(data.get("campaign", 0))
    try:
        async with context.deps.sessions.begin() as session:
            await campaigns.edit(
                session,
                campaign_id=campaign_id,
                telegram_id=user.id,
                image=message.photo[-1].file_id,
            )
            await campaigns.stop_asking(session, telegram_id=user.id)
    except CampaignState as err:
        await message.reply_text(state_text(err, tr))
        return
    except (NotAllowed, NotFound):
        await message.reply_text(tr(STAFF_ONLY))
        return
    await show(context, tr, message.chat_id, campaign_id, user.id)


async def test_send(context: Ctx, chat_id: int, user_id: int, campaign_id: int) -> None:
    """Send the ad to the staff member as residents get it, in Korean and in English."""
    deps = context.deps
    async with deps.reads() as session:
        draft = await campaigns.draft(
            session, campaign_id=campaign_id, telegram_id=user_id, now=deps.now()
        )
        offer = {c.id: c for c in await campaigns.coupons_on_offer(session, now=None)}
    coupon = offer.get(draft.coupon_id) if draft.coupon_id else None
    note = CouponNote(coupon.name, coupon.name_en, coupon.valid_to) if coupon else None
    region = await region_names(deps)
    for locale in ("ko", "en"):
        await send_ad(
            context.bot,
            deps,
            Send(
                0,
                campaign_id,
                chat_id,
                locale,
                locale,
                draft.text_ko or "…",
                draft.text_en or "…",
                draft.image,
                note,
                0,
            ),
            region,
        )


async def act(update: Update, context: Ctx) -> None:
    """Every composer button."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.CampaignAction.unpack(query.data or "", context.deps.signer, message.chat_id)
    tr = await context.translator_for(user)
    deps = context.deps
    cid, name, arg = action.campaign_id, action.action, action.arg
    kb = Keyboard(deps.signer, message.chat_id)
    try:
        if name == "panel":
            await show(context, tr, message.chat_id, cid, user.id, edit=message)
            await query.answer()
            return
        async with deps.sessions.begin() as session:
            draft = await campaigns.draft(
                session, campaign_id=cid, telegram_id=user.id, now=deps.now()
            )
            if name in ("aud", "cat", "rec"):
                audience = draft.audience
                if name == "cat":
                    audience = Audience(None if arg == "-" else arg, audience.recency)
                elif name == "rec":
                    audience = Audience(audience.category, arg)
                if audience != draft.audience:
                    await campaigns.edit(
                        session, campaign_id=cid, telegram_id=user.id, audience=audience
                    )
                    draft = await campaigns.draft(
                        session, campaign_id=cid, telegram_id=user.id, now=deps.now()
                    )
                text = audience_view(draft, await campaigns.categories(session), tr, kb)
            elif name in ("cpl", "cp"):
                if name == "cp":
                    await campaigns.edit(
                        session, campaign_id=cid, telegram_id=user.id, coupon_id=int(arg) or None
                    )
                    draft = await campaigns.draft(
                        session, campaign_id=cid, telegram_id=user.id, now=deps.now()
                    )
                text = coupon_view(
                    draft, await campaigns.coupons_on_offer(session, now=deps.now()), tr, kb
                )
            elif name == "txt":
                await campaigns.ask(session, telegram_id=user.id, what=AWAIT_KO, campaign_id=cid)
                text = _ask_ko(tr, cid)
            elif name == "img":
                await campaigns.ask(
                    session, telegram_id=user.id, what=AWAIT_IMAGE, campaign_id=cid
                )
                if draft.image:
                    kb.row((tr("Remove the picture"), cb.CampaignAction(cid, "noimg")))
                kb.row((tr("⬅ Back to the campaign"), cb.CampaignAction(cid, "panel")))
                text = tr("Send a picture for the ad (as a photo).")
            elif name == "noimg":
                await campaigns.edit(session, campaign_id=cid, telegram_id=user.id, image=None)
                await campaigns.stop_asking(session, telegram_id=user.id)
                text = ""
            elif name == "when":
                text = schedule_view(draft, deps.now(), tr, kb)
            elif name == "type":
                await campaigns.ask(session, telegram_id=user.id, what=AWAIT_TIME, campaign_id=cid)
                text = tr("Write the date and time, like 2026-12-01 10:00, 내일 10:00 or 18:30.")
            elif name == "at":
                at = datetime.fromtimestamp(int(arg) * 60, UTC)
                await campaigns.schedule(
                    session, campaign_id=cid, telegram_id=user.id, at=at, now=deps.now()
                )
                text = ""
            elif name == "unsch":
                await campaigns.unschedule(session, campaign_id=cid, telegram_id=user.id)
                text = ""
            elif name == "del":
                await campaigns.discard(session, campaign_id=cid, telegram_id=user.id)
                text = tr("Campaign #{id} was discarded.", id=cid)
            elif name == "ask":
                if not draft.text_ko or not draft.text_en:
                    raise CampaignState("texts missing")
                if not draft.reach:
                    raise CampaignState("nobody")
                text = confirm_view(draft, deps.now(), deps.settings.tz, tr, kb)
            elif name == "go":
                count = await campaigns.start(
                    session,
                    campaign_id=cid,
                    now=deps.now(),
                    telegram_id=user.id,
                    progress=(message.chat_id, message.message_id),
                )
                text = tr.plural(
                    "📣 Campaign #{id} is starting: {count} recipient.",
                    "📣 Campaign #{id} is starting: {count} recipients.",
                    count,
                    id=cid,
                    count=tr.number(count),
                )
            elif name == "test":
                text = ""
            else:
                raise NotFound("campaign action", None)
    except CampaignState as err:
        await query.answer(state_text(err, tr), show_alert=True)
        return
    except TimeInPast:
        await query.answer(tr("That time has passed. Please choose another."), show_alert=True)
        return
    except NotAllowed:
        await query.answer(tr(STAFF_ONLY), show_alert=True)
        return
    if name == "test":
        try:
            await test_send(context, message.chat_id, user.id, cid)
        except TelegramError as err:
            logger.warning("Test send of campaign %s failed: %s", cid, err)
            await query.answer(
                tr("Telegram did not take the test message. Check the picture and try again."),
                show_alert=True,
            )
            return
        await query.answer(tr("Sent to you in Korean and English, just as residents will see it."))
        return
    await query.answer()
    if name == "go":
        broadcaster = context.application.bot_data.get("broadcaster")
        if broadcaster is not None:
            broadcaster.wakeup.set()
    if text:
        await message.edit_text(text, reply_markup=kb.markup())
    else:
        await show(context, tr, message.chat_id, cid, user.id, edit=message)


HANDLERS = [
    CommandHandler("campaign", new_campaign),
    CommandHandler("campaigns", list_campaigns),
    CallbackQueryHandler(act, pattern=cb.CampaignAction.pattern()),
    MessageHandler(filters.PHOTO & filters.ChatType.PRIVATE, picture),
]
