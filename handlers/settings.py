"""/settings: language and the advertising consents asked at /start (정보통신망법 제50조)."""

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.i18n import Translator
from bot.services import users
from handlers import ads
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard, without_ending


def consent_question(tr: Translator, kb: Keyboard) -> str:
    """The plain-words question about advertising messages."""
    kb.row(
        (tr("Yes, send me offers"), cb.SetConsent("marketing", 1)),
        (tr("No, thanks"), cb.SetConsent("marketing", 0)),
    )
    return tr(
        "May gongbae (Incheon Seo-gu's public delivery) send you advertising messages, such as "
        "coupons and events from the city and local shops? Ordering works the same either way, "
        "and you can change this any time with /settings. We never send them between 21:00 "
        "and 08:00 unless you allow that separately."
    )


def settings_view(state: users.Consents, tr: Translator, kb: Keyboard) -> tuple[str, Keyboard]:
    """The current choices and buttons to change them."""

    def decided(given: bool, at: object) -> str:
        if at is None:
            return tr("not asked yet")
        when = tr.when(at, "yyyy-MM-dd HH:mm")  # type: ignore[arg-type]
        return tr("yes (since {when})", when=when) if given else tr("no (since {when})", when=when)

    rows = [
        tr("<b>Settings</b>"),
        "",
        tr("Language: {language}", language="한국어" if state.locale == "ko" else "English"),
        tr("Advertising messages: {state}", state=decided(state.marketing, state.marketing_at)),
    ]
    if state.marketing or state.night_at is not None:  # moot for who never took any ads
        night = decided(state.night, state.night_at)
        rows.append(tr("…also between 21:00 and 08:00: {state}", state=night))
    if state.marketing:
        kb.row((tr("Stop advertising messages"), cb.SetConsent("marketing", 0)))
        if state.night:
            kb.row((tr("No messages at night"), cb.SetConsent("night", 0)))
        else:
            kb.row((tr("Allow messages at night too"), cb.SetConsent("night", 1)))
    else:
        kb.row((tr("Receive coupons and offers"), cb.SetConsent("marketing", 1)))
    kb.row((tr("🌐 Language"), cb.SetLanguage("ask")))
    return "\n".join(rows), kb


async def show_settings(update: Update, context: Ctx) -> None:
    """/settings."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        state = await users.consents(session, telegram_id=user.id)
    text, kb = settings_view(state, tr, Keyboard(context.deps.signer, message.chat_id))
    await message.reply_text(text, reply_markup=kb.markup())


async def set_consent(update: Update, context: Ctx) -> None:
    """A consent button: record the decision with its time."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action = cb.SetConsent.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    if action.kind not in ("marketing", "night"):
        await query.answer()
        return
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        state = await users.set_consent(
            session,
            telegram_id=user.id,
            kind=action.kind,
            given=bool(action.given),
            now=context.deps.now(),
        )
    await query.answer(tr("Saved."))
    text, kb = settings_view(state, tr, Keyboard(context.deps.signer, query.message.chat_id))
    await query.edit_message_text(text, reply_markup=kb.markup())


async def stop_ads(update: Update, context: Ctx) -> None:
    """🔕 under an ad: withdraw advertising consent in one tap."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    cb.StopAds.unpack(query.data or "", context.deps.signer, message.chat_id)
    async with context.deps.sessions.begin() as session:
        tr = await context.translator_for(user, session)
        await users.set_consent(
            session, telegram_id=user.id, kind="marketing", given=False, now=context.deps.now()
        )
    await query.answer(
        tr(
            "Done: gongbae will send you no more ads. Order messages are not affected. "
            "You can change this in /settings."
        ),
        show_alert=True,
    )
    kb = Keyboard(context.deps.signer, message.chat_id).row((tr("🛍 Order now"), cb.Categories()))
    body = (message.caption_html if message.photo else message.text_html) or ""
    kept = without_ending(body, tr(ads.AD_FOOTER))
    if kept is None:  # another language's ad, or an older one
        await query.edit_message_reply_markup(kb.markup())
        return
    body = kept + "\n\n" + tr("🔕 You will get no more ads; /settings changes that.")
    if message.photo:
        await query.edit_message_caption(body, reply_markup=kb.markup())
    else:
        await query.edit_message_text(body, reply_markup=kb.markup())


HANDLERS = [
    CallbackQueryHandler(stop_ads, pattern=cb.StopAds.pattern()),
    CommandHandler("settings", show_settings),
    CallbackQueryHandler(set_consent, pattern=cb.SetConsent.pattern()),
]
