"""The broadcast engine: sends campaign ads at a steady rate within Telegram's limits.

At most `broadcast_rate` messages a second overall (default 25, under Telegram's 30, which
leaves room for order messages), at most one a second to any chat; a 429 pauses every send
for its retry_after and puts the message back in line; a 403 marks the resident as blocked.
Progress is one staff message, edited; a report follows when the campaign is done.
"""

import asyncio
import contextlib
import logging
import re
import time
from datetime import timedelta
from html import unescape
from typing import TYPE_CHECKING

from telegram.error import TelegramError

from bot.services import ad_times, broadcast, campaigns, catalog, users
from bot.services.broadcast import Send
from bot.services.errors import CampaignState
from handlers.ads import ad_keyboard, ad_text, progress_text, report_text
from handlers.context import Deps
from handlers.render import Keyboard
from handlers.sending import Outcome, attempt
from models import db

if TYPE_CHECKING:
    from telegram import Bot

    from bot.app import GongbaeApp

logger = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
# the label of gongbae_ads_total for each outcome of a send
AD_OUTCOMES = {
    "sent": "sent",
    "wait": "retry_after",
    "blocked": "blocked",
    "refused": "failed",
    "retry": "retry",
}
PER_CHAT_GAP = 1.0  # seconds between two messages to one chat
IN_FLIGHT = 8
BATCH = 16  # recipients claimed at a time: few are held if the process dies


async def region_names(deps: Deps) -> tuple[str, str]:
    """The region's Korean and English names, for the sender line of ads."""
    async with deps.reads() as session:
        region = await catalog.region(session)
    return region.name, region.name_en


def caption_fits(html_text: str) -> bool:
    """Whether a text fits a photo caption (1,024 UTF-16 units once the markup is parsed)."""
    plain = unescape(re.sub(r"<[^>]+>", "", html_text))
    return len(plain.encode("utf-16-le")) // 2 <= CAPTION_LIMIT


async def send_ad(bot: "Bot", deps: Deps, send: Send, region: tuple[str, str]) -> None:
    """Send one ad in the recipient's language: a photo with the ad as its caption, or, when
    the ad is too long for a caption, the photo and then the ad."""
    tr = deps.i18n.translator(send.locale, send.language_code)
    text = ad_text(
        tr,
        sender=tr("gongbae · {region}", region=tr.pick(*region)),
        text=tr.pick(send.text_ko, send.text_en),
        coupon=send.coupon,
        contact=deps.settings.ad_sender_contact,
    )
    markup = ad_keyboard(tr, Keyboard(deps.signer, send.chat_id)).markup()
    if send.image and caption_fits(text):
        await bot.send_photo(send.chat_id, send.image, caption=text, reply_markup=markup)
        return
    if send.image:
        await bot.send_photo(send.chat_id, send.image)
    await bot.send_message(send.chat_id, text, reply_markup=markup)


class Broadcaster:
    """Works through the recipients of sending campaigns in the background."""

    def __init__(
        self, application: "GongbaeApp", *, idle: float = 1.0, progress_every: float = 3.0
    ) -> None:
        self.application = application
        self.idle = idle
        self.progress_every = progress_every
        self.wakeup = asyncio.Event()
        self.retry_afters = 0  # 429s that reached us (after the rate limiter's own retries)
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._last_to_chat: dict[int, float] = {}
        self._shown: dict[int, tuple[float, str]] = {}
        self._region: tuple[str, str] | None = None
        self._stopping = False
        self._leader: db.Leader | None = None

    @property
    def deps(self) -> Deps:
        """The application's dependencies."""
        return self.application.bot_data["deps"]

    @property
    def rate(self) -> float:
        """Messages per second overall."""
        return self.deps.settings.broadcast_rate

    async def start(self) -> None:
        """Put back recipients a crash left claimed, then start sending."""
        # one instance sends at a time, so BROADCAST_RATE holds across instances
        self._leader = db.Leader(self.deps.engine, db.JOB_LOCKS["broadcast"])
        await self.recover()
        self._task = asyncio.create_task(self._run(), name="broadcaster")

    async def recover(self) -> None:
        """Re-queue recipients whose sender died mid-send (claimed longer than the lease)."""
        lease = timedelta(seconds=self.deps.settings.send_lease_seconds)
        async with self.deps.sessions.begin() as session:
            recovered = await broadcast.recover(session, before=self.deps.now() - lease)
        if recovered:
            logger.warning("Re-queued %s campaign recipients left by a stopped sender", recovered)

    async def stop(self) -> None:
        """Stop taking recipients and let the messages in flight finish and be recorded."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self._leader is not None:
            await self._leader.release()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                worked = await self.round()
            except Exception:  # keep sending; the rows stay for the next round
                logger.exception("Broadcast round failed")
                worked = False
            if not worked and not self.wakeup.is_set():
                # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow the
                # cancellation that stop() sends when the event is set at the same moment
                waiter = asyncio.ensure_future(self.wakeup.wait())
                try:
                    await asyncio.wait({waiter}, timeout=self.idle)
                finally:
                    waiter.cancel()

    async def round(self) -> bool:
        """Start due campaigns, send about a second's worth of ads, update progress."""
        self.wakeup.clear()  # a wake-up from now on calls for another round
        if self._leader is not None and not await self._leader.acquire():
            return False  # another instance sends; try again after the idle wait
        await self.start_due()
        deps = self.deps
        async with deps.sessions.begin() as session:
            batch = await broadcast.claim(
                session, now=deps.now(), tz=deps.settings.tz, limit=BATCH
            )
        for index, send in enumerate(batch):
            try:
                await self._pace()
                await self._slots.acquire()
            except asyncio.CancelledError:  # stopping: give back what was not sent yet
                async with deps.sessions.begin() as session:
                    for unsent in batch[index:]:
                        await broadcast.release(session, unsent.recipient_id)
                raise
            task = asyncio.create_task(self._deliver(send))
            self._in_flight.add(task)
            task.add_done_callback(self._done)
        await self.progress(final_check=not batch)
        return bool(batch)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            # the row stays SENDING; run_timers puts it back after the lease
            logger.error("Ad delivery failed", exc_info=task.exception())

    async def _pace(self) -> None:
        """Wait for the next send slot (1/rate apart) and for any 429 pause to end."""
        while True:
            now = time.monotonic()
            wait = max(self._next_slot, self._paused_until) - now
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        interval = 1.0 / self.rate
        # keep the cadence when a sleep wakes a little late (else every slot drifts)
        self._next_slot = max(now - interval, self._next_slot) + interval

    async def _chat_gap(self, chat_id: int) -> None:
        last = self._last_to_chat.get(chat_id)
        if last is not None:
            wait = last + PER_CHAT_GAP - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        now = time.monotonic()
        self._last_to_chat[chat_id] = now
        if len(self._last_to_chat) > 10_000:
            self._last_to_chat = {
                chat: at for chat, at in self._last_to_chat.items() if now - at < PER_CHAT_GAP
            }

    async def _deliver(self, send: Send) -> None:
        deps = self.deps
        await self._chat_gap(send.chat_id)
        now = deps.now()
        async with deps.sessions.begin() as session:
            if ad_times.quiet(now, deps.settings.tz) and not send.night_consent:
                # quiet hours began while it waited for its turn
                await broadcast.release(
                    session, send.recipient_id, morning=(now, deps.settings.tz)
                )
                return
            if not await broadcast.sending_now(session, send.recipient_id, now=now):
                return  # recovered by another sender meanwhile, or settled
        if self._region is None:
            self._region = await region_names(deps)
        try:
            outcome = await attempt(send_ad(self.application.bot, deps, send, self._region))
        except Exception as err:  # a bug, or trouble outside Telegram: try again later
            logger.warning("Ad to chat %s not sent: %r", send.chat_id, err)
            outcome = Outcome("retry", error=repr(err))
        deps.metrics.ads.labels(AD_OUTCOMES[outcome.kind]).inc()
        if outcome.kind == "wait":
            self.retry_afters += 1
            self._paused_until = max(self._paused_until, time.monotonic() + outcome.delay)
        elif outcome.kind == "refused":
            logger.warning("Ad to chat %s refused: %s", send.chat_id, outcome.error)
        async with deps.sessions.begin() as session:
            if outcome.kind == "sent":
                await broadcast.sent(
                    session, send.recipient_id, now=deps.now(), coupon=send.coupon is not None
                )
            elif outcome.kind == "wait":  # everything pauses; this one goes again after
                await broadcast.release(session, send.recipient_id)
            elif outcome.kind == "blocked":
                await broadcast.blocked(session, send.recipient_id, now=deps.now())
            elif outcome.kind == "refused":
                await broadcast.failed(session, send.recipient_id, error=outcome.error)
            else:
                await broadcast.retry(
                    session,
                    send.recipient_id,
                    now=deps.now(),
                    delay=2.0**send.attempts,
                    error=outcome.error,
                )

    async def start_due(self) -> None:
        """Start scheduled campaigns whose time has come (once, whichever instance wins)."""
        deps = self.deps
        async with deps.reads() as session:
            due = await campaigns.due(session, now=deps.now())
        for campaign_id in due:
            async with deps.sessions.begin() as session:
                try:
                    await campaigns.start(session, campaign_id=campaign_id, now=deps.now())
                except CampaignState:
                    continue  # another instance started it
                staff = await campaigns.creator_chat(session, campaign_id)
            if staff is not None:
                message = await self._say(staff, campaign_id, progress=True)
                if message is not None:
                    async with deps.sessions.begin() as session:
                        await campaigns.set_progress(session, campaign_id, staff, message)

    async def _say(self, chat_id: int, campaign_id: int, *, progress: bool) -> int | None:
        """Send the progress message (or the final report) to a staff chat."""
        deps = self.deps
        async with deps.reads() as session:
            locale, language_code = await users.languages_of(session, chat_id)
            report = await campaigns.report(session, campaign_id, now=deps.now())
        tr = deps.i18n.translator(locale, language_code)
        text = progress_text(report, tr) if progress else report_text(report, tr)
        try:
            message = await self.application.bot.send_message(chat_id, text)
        except TelegramError as err:
            logger.warning(
                "Campaign %s message to staff chat %s failed: %s", campaign_id, chat_id, err
            )
            return None
        return message.message_id

    async def progress(self, *, final_check: bool) -> None:
        """Edit each sending campaign's progress message (every few seconds) and report the
        campaigns that are done."""
        deps = self.deps
        async with deps.reads() as session:
            sending = await campaigns.progress_targets(session)
        for campaign_id, chat_id, message_id in sending:
            if final_check and await self._all_handled(campaign_id):
                async with deps.sessions.begin() as session:
                    done = await campaigns.finish(session, campaign_id, now=deps.now())
                if done:
                    await self._edit(campaign_id, chat_id, message_id, force=True)
                    if chat_id is not None:
                        await self._say(chat_id, campaign_id, progress=False)
                    self._shown.pop(campaign_id, None)
                    continue
            await self._edit(campaign_id, chat_id, message_id, force=False)

    async def _all_handled(self, campaign_id: int) -> bool:
        """Whether no recipient is left (read first: finishing takes the write lock, and an
        idle sender asks every second while ads wait for the morning)."""
        async with self.deps.reads() as session:
            report = await campaigns.report(session, campaign_id, now=self.deps.now())
        return report.waiting == 0

    async def _edit(
        self, campaign_id: int, chat_id: int | None, message_id: int | None, *, force: bool
    ) -> None:
        if chat_id is None or message_id is None:
            return
        shown_at, shown = self._shown.get(campaign_id, (0.0, ""))
        if not force and time.monotonic() - shown_at < self.progress_every:
            return
        deps = self.deps
        async with deps.reads() as session:
            locale, language_code = await users.languages_of(session, chat_id)
            report = await campaigns.report(session, campaign_id, now=deps.now())
        tr = deps.i18n.translator(locale, language_code)
        text = progress_text(report, tr)
        if text == shown:
            return
        self._shown[campaign_id] = (time.monotonic(), text)
        with contextlib.suppress(TelegramError):  # progress is best effort; sends go on
            await self.application.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id
            )
