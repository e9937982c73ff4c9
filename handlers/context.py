"""The typed callback context: shared objects reach handlers as `context.deps`."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import User
from telegram.ext import Application, CallbackContext, ExtBot

from bot import memory
from bot.config import Settings
from bot.i18n import I18n, Translator
from bot.integrations.delivery import DeliveryAgency
from bot.integrations.payments import PaymentProvider
from bot.metrics import Metrics
from bot.nlu import IndexBuilder, MenuIndex, ParseError
from bot.services import catalog, users
from bot.services.errors import NotFound
from handlers.callbacks import Signer

logger = logging.getLogger(__name__)


@dataclass
class Deps:
    """What every handler may use; built once in bot/app.py."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]  # sessions.begin(): a transaction that writes
    reads: async_sessionmaker[AsyncSession]  # reads(): looks only (no write lock on SQLite)
    i18n: I18n
    signer: Signer
    menu_index: MenuIndex | None = None  # the parser's index of the region's menus
    menu_version: datetime | None = None  # when the menus had changed last, at that build
    _index_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    clock: Callable[[], datetime] | None = None  # tests fix the time; None: the real clock
    payments: PaymentProvider | None = None
    agency: DeliveryAgency | None = None
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def provider(self) -> PaymentProvider:
        """The local-currency payment provider."""
        assert self.payments is not None  # noqa: S101 (set by bot/app.py)
        return self.payments

    @property
    def engine(self) -> AsyncEngine:
        """The database engine behind the sessions."""
        return self.sessions.kw["bind"]  # type: ignore[no-any-return]

    async def load_menu_index(self) -> None:
        """(Re)build the parser's index from the region's menus (none: no region yet)."""
        async with self._index_lock:  # one build at a time: the newest menus win
            await self._build_menu_index()

    async def _build_menu_index(self) -> None:
        builder = IndexBuilder()  # a batch of shops at a time: a region is never held whole
        async with self.reads() as session:
            version = await catalog.menu_version(session)
            try:
                async for batch in catalog.menu_batches(session):
                    # in a thread: the event loop keeps answering while a large region builds
                    await asyncio.to_thread(builder.add_all, batch)
            except NotFound:
                logger.warning("No region imported yet: python main.py import-menu PACK")
                self.menu_index, self.menu_version = None, version
                return
        try:
            index = await asyncio.to_thread(builder.finish)
        except ParseError:  # a region without active shops
            logger.warning("The region has no active shop: nothing to order from yet")
            index = None
        self.menu_index, self.menu_version = index, version
        del builder, index  # the old index went with the swap; the build's tables with these
        await asyncio.to_thread(memory.release_freed_memory)

    async def refresh_menu_index(self) -> bool:
        """Rebuild the index when the menus changed since it was built (by this instance or
        another: an owner's upload reaches one instance, every instance must learn it)."""
        async with self.reads() as session:
            version = await catalog.menu_version(session)
        if version == self.menu_version:
            return False
        await self.load_menu_index()
        logger.info("Menus changed: the parser's index was rebuilt")
        return True

    def now(self) -> datetime:
        """Now in the region's time zone."""
        now = self.clock() if self.clock is not None else datetime.now(self.settings.tz)
        return now.astimezone(self.settings.tz)


class Ctx(CallbackContext[ExtBot[None], dict, dict, dict]):
    """CallbackContext with typed access to the application's Deps."""

    _translator: tuple[int, Translator] | None = None  # (user id, translator), per update

    @property
    def deps(self) -> Deps:
        """The shared dependencies (stored once in bot_data by bot/app.py)."""
        return self.bot_data["deps"]

    def tr(self, locale: str | None) -> Translator:
        """The translator for a known locale (or the default)."""
        return self.deps.i18n.translator(locale)

    async def translator_for(self, user: User, session: AsyncSession | None = None) -> Translator:
        """The translator for a Telegram user (saved choice, Telegram's, ko), once per update."""
        # handler groups share this context. In the handler's transaction when it passes one:
        # a transaction saved, and the read too where its service reads the user (users.get).
        # It raises no ServiceError, so it may come first in a block whose except uses `tr`.
        if self._translator is not None and self._translator[0] == user.id:
            return self._translator[1]
        if session is not None:
            saved = await users.locale_of(session, user.id)
        else:
            async with self.deps.reads() as own:
                saved = await users.locale_of(own, user.id)
        translator = self.deps.i18n.translator(saved, user.language_code)
        self._translator = (user.id, translator)
        return translator


GongbaeApp = Application[ExtBot[None], Ctx, dict, dict, dict, object]
