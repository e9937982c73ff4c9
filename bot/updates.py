"""Update processing: chats run concurrently, each chat's updates strictly in order."""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)


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

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Process one update after the earlier ones of its chat."""
        chat = update.effective_chat if isinstance(update, Update) else None
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
