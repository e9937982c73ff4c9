"""Wire everything: database, dependencies, the python-telegram-bot Application, web app."""

import asyncio
import hashlib
import hmac
import logging
import time
from collections import deque
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    BaseRateLimiter,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)

from bot import logs, web
from bot.config import SANDBOX_TOKEN, Settings
from bot.i18n import I18n
from bot.metrics import Metrics
from bot.services import inbox as inbox_service
from bot.services import merchants, payments
from bot.services import outbox as outbox_service
from bot.services import privacy as privacy_service
from handlers import (
    browse,
    campaigns,
    cart,
    checkout,
    errors,
    menu_upload,
    merchant,
    my_orders,
    privacy,
    prompts,
    review,
    settings,
    shop_admin,
    start,
    stats,
)
from handlers.broadcast import Broadcaster
from handlers.callbacks import Signer
from handlers.context import Ctx, Deps, GongbaeApp
from handlers.http_client import AiohttpRequest
from handlers.inbound import UpdateInbox
from handlers.notifications import OutboxSender
from handlers.ratelimit import SharedRateLimiter
from models import db

logger = logging.getLogger(__name__)
PURGE_BATCH = 5000  # sent messages deleted per transaction
MENU_CHECK_SECONDS = 10.0  # how soon an instance learns of a menu changed on another

# Order matters: the first matching handler wins; the catch-all comes last.
HANDLER_MODULES = (
    start,
    browse,
    my_orders,
    checkout,
    merchant,
    shop_admin,
    menu_upload,
    review,
    settings,
    privacy,
    stats,
    campaigns,
    cart,
    errors,
)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Run updates of different chats concurrently and those of one chat one by one.

    It also counts handled updates and their latency, and lets a caller await the end of
    one update's handling (the end-to-end harness waits on it instead of sleeping).
    """

    def __init__(self, max_concurrent_updates: int = 64, remember: int = 10_000) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._done: deque[int] = deque(maxlen=remember)
        self._done_set: set[int] = set()
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}
        self.handled = 0
        self.latency_total = 0.0
        self.metrics: Metrics | None = None  # set by build_application

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Process one update after the earlier ones of its chat."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(update, Update):
            logs.bind(update_id=update.update_id, chat_id=chat.id if chat else None)
        started = time.perf_counter()
        try:
            if chat is None:
                await coroutine
            else:
                lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
                self._locks[chat.id] = (lock, users + 1)
                try:
                    async with lock:
                        await coroutine
                finally:
                    lock, users = self._locks[chat.id]
                    if users <= 1:
                        del self._locks[chat.id]
                    else:
                        self._locks[chat.id] = (lock, users - 1)
        finally:
            elapsed = time.perf_counter() - started
            self.handled += 1
            self.latency_total += elapsed
            if self.metrics is not None:
                self.metrics.handled(update, elapsed)
            if isinstance(update, Update):
                logger.info(
                    "Update %s from chat %s handled in %.1f ms",
                    update.update_id,
                    chat.id if chat else None,
                    elapsed * 1000,
                )
                self._mark_done(update.update_id)

    def _mark_done(self, update_id: int) -> None:
        if len(self._done) == self._done.maxlen:
            self._done_set.discard(self._done[0])
        self._done.append(update_id)
        self._done_set.add(update_id)
        for waiter in self._waiters.pop(update_id, []):
            if not waiter.done():
                waiter.set_result(None)

    async def wait_processed(self, update_id: int) -> None:
        """Return once the update with this id has been handled."""
        if update_id in self._done_set:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(update_id, []).append(waiter)
        await waiter

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def bot_token(settings: Settings) -> str:
    """The real token, or the sandbox's when none is set."""
    if settings.telegram_bot_token is None:
        return SANDBOX_TOKEN
    return settings.telegram_bot_token.get_secret_value()


def build_deps(settings: Settings, engine: AsyncEngine) -> Deps:
    """The shared objects every handler gets through `context.deps`."""
    secret = hmac.new(
        bot_token(settings).encode(), b"gongbae callback_data", hashlib.sha256
    ).digest()
    return Deps(
        settings=settings,
        sessions=db.session_factory(engine),
        reads=db.read_factory(engine),
        i18n=I18n(default=settings.default_locale, tz=settings.tz),
        signer=Signer(secret),
    )


def rate_limiter(settings: Settings) -> BaseRateLimiter[int]:
    """Telegram's budget: shared by every instance through Redis when REDIS_URL is set."""
    if settings.redis_url:
        return SharedRateLimiter(
            settings.redis_url,
            rate=settings.telegram_max_rate,
            bot_id=bot_token(settings).split(":", 1)[0],
        )
    return AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3)


def build_application(
    deps: Deps, *, base_url: str | None = None, processor: ChatOrderedProcessor | None = None
) -> GongbaeApp:
    """The real python-telegram-bot Application, pointed at `base_url` when given."""
    builder = (
        GongbaeApp.builder()  # type: ignore[attr-defined]
        .token(bot_token(deps.settings))
        .context_types(ContextTypes(context=Ctx))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=deps.settings.tz))
        .rate_limiter(rate_limiter(deps.settings))
        .request(
            AiohttpRequest(
                deps.settings.telegram_connections, pool_timeout=deps.settings.telegram_pool_wait
            )
        )
        .get_updates_request(AiohttpRequest(1))
        .concurrent_updates(processor or ChatOrderedProcessor(deps.settings.concurrent_updates))
    )
    if base_url:
        builder = builder.base_url(f"{base_url}/bot").base_file_url(f"{base_url}/file/bot")
    application = builder.build()
    if isinstance(application.update_processor, ChatOrderedProcessor):
        application.update_processor.metrics = deps.metrics
    application.bot_data["deps"] = deps
    application.add_handler(prompts.TEXT_HANDLER, group=-1)
    for module in HANDLER_MODULES:
        application.add_handlers(module.HANDLERS)
    application.add_error_handler(errors.on_error)
    return application


async def register_commands(application: GongbaeApp) -> None:
    """Register the command menu in both languages."""
    deps: Deps = application.bot_data["deps"]
    for locale in ("ko", "en"):
        tr = deps.i18n.translator(locale)
        commands = [
            BotCommand("start", tr("Main menu")),
            BotCommand("shops", tr("Browse shops")),
            BotCommand("orders", tr("My orders (MY배달)")),
            BotCommand("lang", tr("Change the language")),
            BotCommand("settings", tr("Language and messages you receive")),
            BotCommand("forget", tr("Delete my data")),
            BotCommand("help", tr("How to use gongbae")),
        ]
        await application.bot.set_my_commands(commands, language_code=locale)


async def start_application(application: GongbaeApp) -> None:
    """Initialize and start the Application; poll unless a webhook URL is configured."""
    deps: Deps = application.bot_data["deps"]
    await application.initialize()
    await register_commands(application)
    await application.start()
    sender = OutboxSender(application)
    application.bot_data["outbox_sender"] = sender
    await sender.start()
    broadcaster = Broadcaster(application)
    application.bot_data["broadcaster"] = broadcaster
    await broadcaster.start()
    if application.job_queue is not None:
        application.job_queue.run_repeating(run_timers, interval=5.0, first=1.0, name="timers")
        application.job_queue.run_repeating(
            run_retention, interval=3600.0, first=30.0, name="retention"
        )
        application.job_queue.run_repeating(
            refresh_menus, interval=MENU_CHECK_SECONDS, first=MENU_CHECK_SECONDS, name="menus"
        )
    settings = deps.settings
    if settings.webhook_url:
        inbox = UpdateInbox(application)
        application.bot_data["inbox"] = inbox
        await inbox.start()
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        await application.bot.set_webhook(
            f"{settings.webhook_url}{web.WEBHOOK_PATH}",
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
        logger.info("Webhook set; waiting for Telegram to post updates")
    elif application.updater is not None:
        await application.updater.start_polling(
            poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES
        )


async def stop_application(application: GongbaeApp) -> None:
    """Stop polling, finish in-flight updates and shut down."""
    for name in ("inbox", "broadcaster", "outbox_sender"):
        worker = application.bot_data.get(name)
        if worker is not None:
            await worker.stop()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def refresh_menus(context: Ctx) -> None:
    """Every instance: rebuild the parser's index when the menus changed (any instance)."""
    await context.deps.refresh_menu_index()


async def run_retention(context: Ctx) -> None:
    """Erase personal data of orders finished longer than RETENTION_DAYS ago (hourly)."""
    deps = context.deps
    async with deps.sessions.begin() as session:
        if not await db.run_alone(session, "retention"):
            return  # another instance is at it
        erased = await privacy_service.erase_expired(
            session, now=deps.now(), days=deps.settings.retention_days
        )
        # handled webhook updates are kept a day, to recognise a late second delivery (the
        # inbox keeps the real time, not the region clock tests may fix)
        await inbox_service.purge(session, before=datetime.now(UTC) - timedelta(days=1))
    if erased:
        logger.info("Retention: erased the personal data of %s finished orders", erased)
    # sent messages are kept a day too, to look into a complaint about one; in batches, so
    # that a long history (a first run) does not hold SQLite's write lock for long
    day_ago = deps.now() - timedelta(days=1)
    while True:
        async with deps.sessions.begin() as session:
            purged = await outbox_service.purge(session, before=day_ago, limit=PURGE_BATCH)
        if purged < PURGE_BATCH:
            break


async def run_timers(context: Ctx) -> None:
    """Expire unpaid links and chase shops that have not answered (every few seconds)."""
    deps = context.deps
    now = deps.now()
    settings = deps.settings
    expired = realerted = cancelled = 0
    async with deps.sessions.begin() as session:
        if not await db.run_alone(session, "timers"):
            return  # another instance runs this round
        expired = await payments.expire_due(session, now=now)
        realerted, cancelled = await merchants.chase_unanswered(
            session,
            now=now,
            provider=deps.provider,
            realert_after=timedelta(minutes=settings.merchant_realert_minutes),
            cancel_after=timedelta(minutes=settings.merchant_cancel_minutes),
        )
    for name in ("outbox_sender", "broadcaster"):
        worker = context.application.bot_data.get(name)
        if worker is not None:
            await worker.recover()
    if expired or realerted or cancelled:
        logger.info(
            "Timers: expired orders %s, re-alerted %s, cancelled %s", expired, realerted, cancelled
        )
        deps.outbox_wakeup.set()
