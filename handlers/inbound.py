"""Handle the updates stored by the webhook: claim, handle through the Application, mark done.

Any instance may handle any update (see bot/services/inbox.py); the one that received it
claims it right after storing it when it has room (else its claiming loop is woken), the
others look every `interval` seconds and after each update they finish.
Leases use the wall clock (not the region clock tests may fix): they measure real time.
"""

import asyncio
import contextlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from bot.services import inbox
from handlers.context import Deps, GongbaeApp
from models import db

logger = logging.getLogger(__name__)


def chat_of(update: Update) -> int | None:
    """The chat whose updates must be handled in order (the user's, for chatless updates)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class UpdateInbox:
    """Hands stored updates to the Application, at most `capacity` at a time."""

    def __init__(self, application: GongbaeApp, capacity: int = 32, interval: float = 1.0) -> None:
        self.application = application
        self.capacity = capacity
        self.interval = interval
        self._wakeup = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None] | None] = {}
        self._task: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._stopping = False
        self.handled = 0
        self.name = secrets.token_hex(8)  # this instance, in the claims it makes
        # stores, claims and done marks: each whole on its own (see models/db.py)
        self._statements = db.statement_factory(self.deps.sessions)

    @property
    def deps(self) -> Deps:
        """The application's dependencies."""
        return self.application.bot_data["deps"]

    @property
    def lease(self) -> timedelta:
        """How long a claim holds without renewal."""
        return timedelta(seconds=self.deps.settings.send_lease_seconds)

    async def receive(self, update: Update, payload: dict[str, Any]) -> bool:
        """Store an update posted to the webhook; False when it came before."""
        # shielded: a request cancelled at shutdown still ends with its claims started
        return await asyncio.shield(self._receive(update, payload))

    async def _receive(self, update: Update, payload: dict[str, Any]) -> bool:
        async with self._statements.begin() as session:
            fresh = await inbox.receive(
                session,
                update_id=update.update_id,
                chat_id=chat_of(update),
                payload=payload,
                now=datetime.now(UTC),
            )
        if not fresh:
            logger.info("Update %s was delivered again; handled once", update.update_id)
            return False
        # with room to spare, what is free is claimed at once (this update among it unless its
        # chat is busy): on PostgreSQL one more round trip, not a pass of the claiming loop
        free = 0 if self._stopping else self.capacity - len(self._in_flight)
        claimed = await self._claim_now(free)
        self._start(claimed, {update.update_id: update})
        if update.update_id not in {c.update_id for c in claimed} or len(claimed) == free:
            self._wakeup.set()  # it waits for its chat or for room, or there may be more
        return True

    async def start(self) -> None:
        """Start claiming (stored updates left by a stopped instance are taken too)."""
        self._task = asyncio.create_task(self._run(), name="update-inbox")
        self._renewer = asyncio.create_task(self._renew(), name="update-inbox-leases")

    async def stop(self) -> None:
        """Stop claiming and finish the updates in flight."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # a finishing update or a request may have claimed more before it saw _stopping:
        # wait for those too, and for claims still committing (their handlers start next)
        while self._in_flight:
            if tasks := [task for task in self._in_flight.values() if task is not None]:
                await asyncio.wait(tasks)
            else:
                await asyncio.sleep(0.01)
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer

    async def _run(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            free = self.capacity - len(self._in_flight)
            # a failed claim is tried again after the interval: the rows stay
            claimed = await self._claim_now(free, wake_on_failure=False)
            self._start(claimed)
            if free > 0 and len(claimed) == free:
                continue  # there may be more
            waiter = asyncio.ensure_future(self._wakeup.wait())
            try:
                await asyncio.wait({waiter}, timeout=self.interval)
            finally:
                waiter.cancel()

    def _forget(self, claimed: list[inbox.Claimed]) -> None:
        """Claims whose transaction failed: not ours after all."""
        for item in claimed:
            self._in_flight.pop(item.update_id, None)

    def _start(
        self, claimed: list[inbox.Claimed], parsed: dict[int, Update] | None = None
    ) -> None:
        """Handle the updates whose claim is committed (`parsed`: those already read)."""
        for item in claimed:
            update = parsed.get(item.update_id) if parsed else None
            task = asyncio.create_task(self._handle(item, update), name=f"update-{item.update_id}")
            self._in_flight[item.update_id] = task

    async def _handle(self, item: inbox.Claimed, update: Update | None) -> None:
        application = self.application
        try:
            if update is None:
                update = Update.de_json(item.payload, application.bot)
            if item.attempts > 1:
                logger.warning(
                    "Update %s is handled again (attempt %s)", item.update_id, item.attempts
                )
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
        except Exception:  # an unreadable update: record it as done, do not retry forever
            logger.exception("Update %s could not be handled", item.update_id)
        finally:
            self.handled += 1
            await self._finish(item.update_id)

    async def _finish(self, update_id: int) -> None:
        """Record the update as handled, then claim what is next."""
        try:
            async with self._statements.begin() as session:
                if not await inbox.done(session, [update_id], now=datetime.now(UTC), by=self.name):
                    logger.warning("Update %s was taken over by another instance", update_id)
        except Exception:  # the lease runs out and another instance handles it again
            logger.exception("Could not record update %s as handled", update_id)
        finally:
            # in flight until recorded: never claimed again by this instance meanwhile
            self._in_flight.pop(update_id, None)
        free = 0 if self._stopping else self.capacity - len(self._in_flight)
        claimed = await self._claim_now(free)
        self._start(claimed)
        if free > 0 and len(claimed) == free:
            self._wakeup.set()  # there may be more

    async def _claim_now(self, limit: int, *, wake_on_failure: bool = True) -> list[inbox.Claimed]:
        """Claim up to `limit` updates in a session of its own (on failure none, and the
        claiming loop is woken to try again)."""
        if limit <= 0:
            return []
        claimed: list[inbox.Claimed] = []
        try:
            async with self._statements.begin() as session:
                claimed = await inbox.claim(
                    session,
                    now=datetime.now(UTC),
                    lease=self.lease,
                    limit=limit,
                    by=self.name,
                    handling=list(self._in_flight),
                )
                for item in claimed:
                    self._in_flight[item.update_id] = None  # taken; started once committed
        except Exception:
            logger.exception("Claiming stored updates failed")
            self._forget(claimed)
            if wake_on_failure:
                self._wakeup.set()
            return []
        return claimed

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            if not self._in_flight:
                continue
            try:
                async with self._statements.begin() as session:
                    await inbox.renew(
                        session, list(self._in_flight), now=datetime.now(UTC), by=self.name
                    )
            except Exception:  # try again next time; a lease is three renewals long
                logger.exception("Renewing update leases failed")
