"""Messages about orders, rendered from outbox rows and sent within Telegram's limits."""

import asyncio
import contextlib
import logging
from datetime import timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Message

from bot.i18n import N_, Translator
from bot.services import outbox, users
from bot.services.merchants import ETAS
from handlers import callbacks as cb
from handlers.context import Deps, GongbaeApp
from handlers.render import Keyboard, without_ending
from handlers.sending import Outcome, attempt

logger = logging.getLogger(__name__)

ALERT_QUESTION = N_("Accept with a time, or reject:")  # the last line of a new-order alert
RATE_QUESTION = N_("How was it? Tap the stars to rate it:")  # the last line of "delivered"
PAY_AGAIN = N_("You can pay again:")  # the end of "link expired"
REASON_NAMES = {
    "sold_out": N_("sold out"),
    "too_busy": N_("too busy right now"),
    "closed": N_("closed"),
    "outside_area": N_("outside the delivery area"),
    "no_answer": N_("the shop did not answer in time"),
    "by_resident": N_("you cancelled it"),
}


def order_lines(payload: dict[str, Any], tr: Translator) -> list[str]:
    """The lines of an order with options, leave-outs and notes."""
    rows = []
    for line in payload["lines"]:
        name = escape(tr.pick(line["name"], line["name_en"]))
        rows.append(f"• {name} × {line['quantity']}: {tr.money(line['total'])}")
        for option_ko, option_en, amount in line["options"]:
            option = escape(tr.pick(option_ko, option_en))
            if amount == "extra":
                option = tr("Extra {choice}", choice=option)
            elif amount == "light":
                option = tr("Light {choice}", choice=option)
            rows.append(f"   · {option}")
        if line["excluded"]:
            rows.append("   · " + tr("without {items}", items=escape(", ".join(line["excluded"]))))
        if line["note"]:
            rows.append("   · " + tr("request: {note}", note=escape(line["note"])))
    return rows


def shop_name(payload: dict[str, Any], tr: Translator) -> str:
    """The shop's name in the reader's language, escaped."""
    return escape(tr.pick(payload["shop"], payload["shop_en"]))


def render(
    kind: str, payload: dict[str, Any], tr: Translator, kb: Keyboard
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one outbox message."""
    order_id, shop = payload["order_id"], shop_name(payload, tr)
    total = tr.money(payload["total"])
    if kind == "order_paid":
        text = tr(
            "✅ Payment received for order #{order}: {total}.\n"
            "{shop} has your order and will answer shortly.",
            order=order_id,
            total=total,
            shop=shop,
        )
    elif kind == "payment_declined":
        kb.row((tr("💳 Pay again"), cb.PayAgain(order_id)))
        text = tr("The payment for order #{order} was declined.", order=order_id)
    elif kind == "payment_refunded":
        text = tr(
            "💸 A payment for order #{order} arrived after its link no longer applied, so "
            "{amount} was refunded at once. Nothing was ordered with it.",
            order=order_id,
            amount=tr.money(payload.get("refunded", 0)),
        )
    elif kind == "payment_expired":
        kb.row((tr("💳 Pay again"), cb.PayAgain(order_id)))
        expired = tr(
            "⏰ The payment link for order #{order} expired, so the order was not sent to "
            "{shop}. Nothing was charged.",
            order=order_id,
            shop=shop,
        )
        text = expired + " " + tr(PAY_AGAIN)
    elif kind == "order_accepted":
        text = tr(
            "👨‍🍳 {shop} accepted order #{order}. It will be ready in about {eta} minutes.",
            shop=shop,
            order=order_id,
            eta=payload["eta"],
        )
    elif kind in ("order_rejected", "order_cancelled"):
        reason = tr(REASON_NAMES.get(payload["reason"] or "", N_("no reason given")))
        text = tr(
            "❌ Sorry, order #{order} at {shop} was cancelled: {reason}.\n"
            "{refund} has been refunded in local currency.",
            order=order_id,
            shop=shop,
            reason=reason,
            refund=tr.money(payload.get("refunded", 0)),
        )
    elif kind == "order_dispatched":
        if payload["fulfilment"] == "pickup":
            text = tr("🛍 Order #{order} is ready for pickup at {shop}.", order=order_id, shop=shop)
        else:
            text = tr("🛵 Order #{order} is on its way from {shop}.", order=order_id, shop=shop)
    elif kind == "order_delivered":
        kb.row(*[("⭐" * stars, cb.RateOrder(order_id, stars)) for stars in (1, 2, 3)])
        kb.row(*[("⭐" * stars, cb.RateOrder(order_id, stars)) for stars in (4, 5)])
        if payload["fulfilment"] == "pickup":
            delivered = tr(
                "🍽 You picked up order #{order} from {shop}. Enjoy your meal!",
                order=order_id,
                shop=shop,
            )
        else:
            delivered = tr(
                "🍽 Order #{order} from {shop} is delivered. Enjoy your meal!",
                order=order_id,
                shop=shop,
            )
        text = delivered + "\n\n" + tr(RATE_QUESTION)
    elif kind == "rider_assigned":
        text = tr(
            "🛵 Rider {rider} will bring order #{order} from {shop}.",
            rider=escape(payload["rider"]),
            order=order_id,
            shop=shop,
        )
    elif kind == "merchant_rider":
        text = tr(
            "🛵 Rider {rider} is coming for order #{order}.",
            rider=escape(payload["rider"]),
            order=order_id,
        )
    elif kind == "merchant_delivered":
        text = tr("✅ Order #{order} was delivered by the rider.", order=order_id)
    elif kind == "review_reply":
        text = tr(
            "💬 {shop} replied to your review of order #{order}:\n{reply}",
            shop=shop,
            order=order_id,
            reply=escape(payload["reply"]),
        )
    elif kind == "merchant_review":
        stars = "⭐" * payload["stars"]
        text = tr("📝 New review of order #{order}: {stars}", order=order_id, stars=stars)
        if payload.get("text"):
            text += "\n" + escape(payload["text"])
            kb.row((tr("💬 Reply"), cb.ReplyReview(payload["review_id"])))
    elif kind == "merchant_new_order":
        text = merchant_alert(payload, tr)
        kb.row(*[(tr("{eta} min", eta=eta), cb.AcceptOrder(order_id, eta)) for eta in ETAS])
        kb.row((tr("Reject"), cb.RejectMenu(order_id)))
    elif kind == "merchant_order_cancelled" and payload["reason"] == "by_resident":
        text = tr(
            "Order #{order} was cancelled by the resident before you accepted it; "
            "they were refunded.",
            order=order_id,
        )
    elif kind == "merchant_order_cancelled":
        text = tr(
            "Order #{order} was cancelled because nobody answered in time; "
            "the resident was refunded.",
            order=order_id,
        )
    else:
        raise ValueError(f"unknown outbox message kind {kind!r}")
    return text, kb.markup()


def retired_text(kind: str, text: str, tr: Translator) -> str | None:
    """What a message with buttons acting on its order says once they are gone: without
    its question; None when it reads well as it is."""
    ending = {"merchant_new_order": ALERT_QUESTION, "payment_expired": PAY_AGAIN}.get(kind)
    return without_ending(text, tr(ending)) if ending else None


def merchant_alert(payload: dict[str, Any], tr: Translator) -> str:
    """The new-order alert a shop gets, with everything it needs to cook and deliver."""
    head = tr("🔔 <b>New order #{order}</b>", order=payload["order_id"])
    if payload.get("again"):
        head = tr("🔔 <b>Still waiting: order #{order}</b>", order=payload["order_id"])
    rows = [head, "", *order_lines(payload, tr), ""]
    if payload["fulfilment"] == "pickup":
        rows.append(tr("🏃 Pickup at the shop"))
    else:
        rows.append(tr("🛵 Deliver to: {address}", address=escape(payload["address"] or "")))
    if payload["phone"]:
        rows.append(tr("📞 {phone}", phone=escape(payload["phone"])))
    if payload["note"]:
        rows.append(tr("📝 {note}", note=escape(payload["note"])))
    rows.append(tr("Paid: {total} (no brokerage fee)", total=tr.money(payload["total"])))
    rows.append("")
    rows.append(tr(ALERT_QUESTION))
    return "\n".join(rows)


class OutboxSender:
    """Drains the outbox in the background; a wake-up event avoids waiting for the timer."""

    def __init__(self, application: GongbaeApp, interval: float = 1.0) -> None:
        self.application = application
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    @property
    def deps(self) -> Deps:
        """The application's dependencies."""
        return self.application.bot_data["deps"]

    async def start(self) -> None:
        """Put back messages a crash left half-sent, then start draining."""
        await self.recover()
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def recover(self) -> None:
        """Re-queue messages whose sender died mid-send (claimed over a minute ago)."""
        async with self.deps.sessions.begin() as session:
            lease = timedelta(seconds=self.deps.settings.send_lease_seconds)
            recovered = await outbox.recover(session, before=self.deps.now() - lease)
        if recovered:
            logger.warning("Re-queued %s outbox messages left by a stopped sender", recovered)

    async def stop(self) -> None:
        """Stop draining (messages left are sent on the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.drain_once()
            except Exception:  # keep the sender alive; the rows stay for the next round
                logger.exception("Outbox round failed")
                sent = 0
            if sent:
                continue
            self.deps.outbox_wakeup.clear()
            # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow stop()'s
            # cancellation when the event is set at the same moment
            waiter = asyncio.ensure_future(self.deps.outbox_wakeup.wait())
            try:
                await asyncio.wait({waiter}, timeout=self.interval)
            finally:
                waiter.cancel()

    async def drain_once(self) -> int:
        """Send the due messages once; return how many were handled."""
        async with self.deps.sessions.begin() as session:
            batch = await outbox.claim(session, now=self.deps.now())
        for envelope in batch:
            await self._send(envelope)
        return len(batch)

    async def _send(self, envelope: outbox.Envelope) -> None:
        deps = self.deps
        if envelope.kind == outbox.RETIRE:
            outcome, message_id = await self._retire(envelope), None
        else:
            async with deps.reads() as session:
                locale, language_code = await users.languages_of(session, envelope.chat_id)
            tr = deps.i18n.translator(locale, language_code)
            try:
                text, markup = render(
                    envelope.kind, envelope.payload, tr, Keyboard(deps.signer, envelope.chat_id)
                )
            except (KeyError, ValueError, TypeError) as err:  # a bad row must not block others
                logger.exception("Outbox message %s cannot be rendered", envelope.id)
                async with deps.sessions.begin() as session:
                    await outbox.failed(session, envelope.id, error=f"render: {err!r}")
                return
            outcome = await attempt(
                self.application.bot.send_message(envelope.chat_id, text, reply_markup=markup)
            )
            message = outcome.result
            message_id = message.message_id if isinstance(message, Message) else None
        async with deps.sessions.begin() as session:
            if outcome.kind == "sent":
                await outbox.sent(session, envelope.id, now=deps.now())
                if envelope.kind == outbox.RETIRE:
                    await outbox.retired(session, envelope.payload)
                elif envelope.kind in outbox.LIVE_KINDS and message_id and envelope.order_id:
                    outbox.remember(
                        session,
                        order_id=envelope.order_id,
                        chat_id=envelope.chat_id,
                        message_id=message_id,
                        outbox_id=envelope.id,
                        retired_text=retired_text(envelope.kind, text, tr),
                        now=deps.now(),
                    )
            elif outcome.kind in ("blocked", "refused"):
                logger.warning(
                    "Outbox message %s to chat %s failed: %s",
                    envelope.id,
                    envelope.chat_id,
                    outcome.error,
                )
                await outbox.failed(session, envelope.id, error=outcome.error)
            else:  # wait for Telegram's retry_after, or back off
                delay = outcome.delay if outcome.kind == "wait" else 2.0**envelope.attempts
                await outbox.retry(
                    session, envelope.id, now=deps.now(), delay=delay, error=outcome.error
                )
        if outcome.kind != "sent":
            return
        logger.info(
            "Sent %s for order %s to chat %s", envelope.kind, envelope.order_id, envelope.chat_id
        )

    async def _retire(self, envelope: outbox.Envelope) -> Outcome:
        """Take the buttons (and question) off the order's earlier messages in this chat.
        An edit Telegram refuses (the message is gone, or already so) is left as it is; on
        a 429 or a network error the whole list is tried again later (edits repeat safely)."""
        bot = self.application.bot
        async with self.deps.reads() as session:
            messages = await outbox.to_retire(session, envelope)
        for message_id, text in messages:
            if text:
                edit = bot.edit_message_text(
                    text, chat_id=envelope.chat_id, message_id=message_id, reply_markup=None
                )
            else:
                edit = bot.edit_message_reply_markup(
                    envelope.chat_id, message_id, reply_markup=None
                )
            outcome = await attempt(edit)
            if outcome.kind in ("wait", "retry"):
                return outcome
        return Outcome("sent")
