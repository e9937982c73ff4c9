"""What a campaign looks like: the ad a resident gets, the staff's progress and report.

Every ad starts with "(광고)" and the sender's name, and ends with the free opt-out
(정보통신망법 제50조). Staff-written text is escaped like any user's.
"""

from html import escape

from bot.i18n import N_, Translator
from bot.services.broadcast import CouponNote
from bot.services.campaigns import Report
from handlers import callbacks as cb
from handlers.render import Keyboard
from models.base import CampaignStatus

BAR_WIDTH = 10


AD_FOOTER = N_("To stop these ads for free, tap “🔕 Stop ads” below.")  # an ad's last line


def ad_text(
    tr: Translator, *, sender: str, text: str, coupon: CouponNote | None, contact: str = ""
) -> str:
    """The ad as a resident reads it, in their language."""
    header = tr("(광고) Ad from {sender}", sender=escape(sender))
    if contact:
        header += f" · {escape(contact)}"
    rows = [f"<b>{header}</b>", "", escape(text)]
    if coupon is not None:
        rows += [
            "",
            tr(
                "🎟 {coupon} is in your account: choose it at checkout (until {date}).",
                coupon=escape(tr.pick(coupon.name, coupon.name_en)),
                date=tr.when(coupon.valid_to, "yyyy-MM-dd"),
            ),
        ]
    rows += ["", tr(AD_FOOTER)]
    return "\n".join(rows)


def ad_keyboard(tr: Translator, kb: Keyboard) -> Keyboard:
    """Order now, and the one-tap opt-out."""
    return kb.row((tr("🛍 Order now"), cb.Categories()), (tr("🔕 Stop ads"), cb.StopAds()))


def bar(done: int, total: int) -> str:
    """A text progress bar: ▓▓▓░░░░░░░ 30%."""
    share = done / total if total else 1.0
    filled = round(share * BAR_WIDTH)
    return f"{'▓' * filled}{'░' * (BAR_WIDTH - filled)} {share * 100:.0f}%"


def counts(report: Report, tr: Translator) -> list[str]:
    """The outcome lines shared by the progress message and the final report."""
    rows = [
        tr(
            "Sent {sent} · blocked the bot {blocked} · failed {failed} · withdrew consent {out}",
            sent=tr.number(report.sent),
            blocked=tr.number(report.blocked),
            failed=tr.number(report.failed),
            out=tr.number(report.opted_out),
        )
    ]
    if report.morning:
        rows.append(
            tr(
                "🌙 {n} wait for 08:00: they did not agree to ads at night.",
                n=tr.number(report.morning),
            )
        )
    return rows


def progress_text(report: Report, tr: Translator) -> str:
    """The one staff message edited while a campaign goes out."""
    title = (
        tr("📣 <b>Campaign #{id}</b>: every message is out", id=report.campaign_id)
        if report.status == CampaignStatus.DONE
        else tr("📣 <b>Campaign #{id}</b> is being sent", id=report.campaign_id)
    )
    rows = [
        title,
        bar(report.handled, report.total),
        tr.plural(
            "{done} of {total} recipient",
            "{done} of {total} recipients",
            report.total,
            done=tr.number(report.handled),
            total=tr.number(report.total),
        ),
        *counts(report, tr),
    ]
    return "\n".join(rows)


def report_text(report: Report, tr: Translator) -> str:
    """The report when a campaign is done (and in the staff's campaign list)."""
    rows = [
        tr("✅ <b>Campaign #{id}</b> finished", id=report.campaign_id),
        tr("Recipients: {n}", n=tr.number(report.total)),
        *counts(report, tr),
    ]
    if report.has_coupon:
        rows.append(tr("Coupons redeemed so far: {n}", n=tr.number(report.redeemed)))
    return "\n".join(rows)
