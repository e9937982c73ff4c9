"""The campaign composer's screens: the draft panel, audience, coupon and schedule choices."""

from datetime import datetime, timedelta
from html import escape

from bot.i18n import N_, Translator
from bot.services.ad_times import quiet
from bot.services.campaigns import CouponOffer, Draft
from handlers import callbacks as cb
from handlers.render import Keyboard, category_name
from models.base import CampaignStatus

RECENCY_NAMES = {
    "any": N_("Any time"),
    "30d": N_("Ordered in the last 30 days"),
    "90d": N_("Ordered in the last 90 days"),
    "lapsed30": N_("No order in the last 30 days"),
}


def act(draft_id: int, action: str, arg: object = "-") -> cb.CampaignAction:
    """A composer button."""
    return cb.CampaignAction(draft_id, action, str(arg))


def reach_line(draft: Draft, tr: Translator) -> str:
    """How many residents the campaign reaches now."""
    return tr.plural(
        "👥 {count} resident who agreed to ads ({night} of them also at night)",
        "👥 {count} residents who agreed to ads ({night} of them also at night)",
        draft.reach,
        count=tr.number(draft.reach),
        night=tr.number(draft.reach_night),
    )


def filter_line(draft: Draft, tr: Translator) -> str:
    """The audience filters in words."""
    category = (
        category_name(draft.audience.category, tr)
        if draft.audience.category
        else tr("all categories")
    )
    recency = tr(RECENCY_NAMES[draft.audience.recency])
    return tr("Filter: ordered from {category} · {recency}", category=category, recency=recency)


STATUS_NAMES = {
    CampaignStatus.DRAFT: N_("draft"),
    CampaignStatus.SCHEDULED: N_("scheduled"),
    CampaignStatus.SENDING: N_("sending"),
    CampaignStatus.DONE: N_("sent"),
    CampaignStatus.CANCELLED: N_("discarded"),
}


def panel(draft: Draft, tr: Translator, kb: Keyboard) -> str:
    """The draft with everything it will carry, and what can be done with it."""
    status = tr(STATUS_NAMES[draft.status])
    coupon = (
        escape(tr.pick(draft.coupon_name or "", draft.coupon_name_en))
        if draft.coupon_id
        else tr("none")
    )
    rows = [
        tr("📣 <b>Campaign #{id}</b> · {status}", id=draft.id, status=status),
        reach_line(draft, tr),
        filter_line(draft, tr),
        tr("🎟 Coupon: {coupon}", coupon=coupon),
        tr("🖼 Picture: {picture}", picture=tr("yes") if draft.image else tr("none")),
    ]
    if draft.scheduled_at is not None:
        when = tr.when(draft.scheduled_at, "yyyy-MM-dd HH:mm")
        rows.append(tr("⏰ Goes out at {when}", when=when))
    rows += [
        "",
        tr("<b>Korean</b>"),
        escape(draft.text_ko) if draft.text_ko else tr("(not written yet)"),
        "",
        tr("<b>English</b>"),
        escape(draft.text_en) if draft.text_en else tr("(not written yet)"),
    ]
    if draft.status == CampaignStatus.DRAFT:
        kb.row((tr("👥 Audience"), act(draft.id, "aud")), (tr("🎟 Coupon"), act(draft.id, "cpl")))
        kb.row((tr("✏️ Texts"), act(draft.id, "txt")), (tr("🖼 Picture"), act(draft.id, "img")))
        kb.row((tr("👀 Test send to me"), act(draft.id, "test")))
        kb.row(
            (tr("⏰ Schedule"), act(draft.id, "when")), (tr("🚀 Send now"), act(draft.id, "ask"))
        )
        kb.row((tr("🗑 Discard"), act(draft.id, "del")))
    elif draft.status == CampaignStatus.SCHEDULED:
        kb.row((tr("👀 Test send to me"), act(draft.id, "test")))
        kb.row(
            (tr("↩ Back to draft"), act(draft.id, "unsch")),
            (tr("🗑 Discard"), act(draft.id, "del")),
        )
    return "\n".join(rows)


def audience_view(draft: Draft, categories: list[str], tr: Translator, kb: Keyboard) -> str:
    """Filters to narrow the residents who agreed to ads."""
    chosen = draft.audience.category

    def mark(on: bool, label: str) -> str:
        return f"✓ {label}" if on else label

    kb.row((mark(chosen is None, tr("All categories")), act(draft.id, "cat", "-")))
    buttons = [
        (mark(code == chosen, category_name(code, tr)), act(draft.id, "cat", code))
        for code in categories
    ]
    for i in range(0, len(buttons), 2):
        kb.row(*buttons[i : i + 2])
    for code, name in RECENCY_NAMES.items():
        kb.row((mark(draft.audience.recency == code, tr(name)), act(draft.id, "rec", code)))
    kb.row((tr("⬅ Back to the campaign"), act(draft.id, "panel")))
    return "\n".join(
        [
            tr("Who should get campaign #{id}?", id=draft.id),
            tr("Only residents who agreed to ads can get it; these filters narrow that down."),
            "",
            reach_line(draft, tr),
            filter_line(draft, tr),
        ]
    )


def coupon_view(draft: Draft, offer: list[CouponOffer], tr: Translator, kb: Keyboard) -> str:
    """Coupons with budget left that the ad can carry."""
    for coupon in offer:
        left = tr.money(coupon.left)
        label = f"{tr.pick(coupon.name, coupon.name_en)} · {left}"
        kb.row(
            (
                f"✓ {label}" if coupon.id == draft.coupon_id else label,
                act(draft.id, "cp", coupon.id),
            )
        )
    kb.row(
        (
            "✓ " + tr("No coupon") if draft.coupon_id is None else tr("No coupon"),
            act(draft.id, "cp", 0),
        )
    )
    kb.row((tr("⬅ Back to the campaign"), act(draft.id, "panel")))
    if not offer:
        return tr("No coupon has budget left. Staff create one with: python main.py coupon create")
    return tr(
        "Which coupon should every recipient get? It goes into their account when the ad "
        "reaches them (the amount shown is the budget left)."
    )


def schedule_choices(now: datetime) -> list[datetime]:
    """In an hour (on the hour), tomorrow 10:00 and tomorrow 18:00."""
    hour = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    tomorrow = (now + timedelta(days=1)).replace(second=0, microsecond=0)
    return [hour, tomorrow.replace(hour=10, minute=0), tomorrow.replace(hour=18, minute=0)]


def schedule_view(draft: Draft, now: datetime, tr: Translator, kb: Keyboard) -> str:
    """When to send: a few likely times, or a typed one."""
    for moment in schedule_choices(now):
        minutes = int(moment.timestamp() // 60)
        kb.row((tr.when(moment, "MM-dd HH:mm (E)"), act(draft.id, "at", minutes)))
    kb.row((tr("⌨ Type a date and time"), act(draft.id, "type")))
    kb.row((tr("⬅ Back to the campaign"), act(draft.id, "panel")))
    return tr(
        "When should campaign #{id} go out? Ads wait until 08:00 for residents who did not "
        "agree to ads at night (21:00-08:00).",
        id=draft.id,
    )


def confirm_view(draft: Draft, now: datetime, tz: object, tr: Translator, kb: Keyboard) -> str:
    """The last question before sending."""
    kb.row((tr("✅ Yes, send now"), act(draft.id, "go")), (tr("⬅ Back"), act(draft.id, "panel")))
    rows = [
        tr.plural(
            "Send campaign #{id} to {count} resident now?",
            "Send campaign #{id} to {count} residents now?",
            draft.reach,
            id=draft.id,
            count=tr.number(draft.reach),
        )
    ]
    if quiet(now, tz):  # type: ignore[arg-type]
        rows.append(
            tr(
                "It is night (21:00-08:00): {night} residents who allow ads at night get it now, "
                "the others from 08:00.",
                night=tr.number(draft.reach_night),
            )
        )
    return "\n".join(rows)
