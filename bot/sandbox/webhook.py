"""Webhook delivery: POST queued updates to the bot's URL in order, retrying with backoff."""

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp

from bot.sandbox.state import Sandbox, WebhookConfig

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its sender's for updates without a chat)."""
    for key, body in update.items():
        if key == "update_id" or not isinstance(body, dict):
            continue
        message = body.get("message") if isinstance(body.get("message"), dict) else body
        chat = message.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


class WebhookSender:
    """Deliver a sandbox's updates to one webhook: up to max_connections at once, as Telegram
    does, but one chat's updates one after the other, oldest first; a failure pauses
    delivery with a growing backoff and the update is posted again."""

    def __init__(self, sandbox: Sandbox, config: WebhookConfig) -> None:
        self.sandbox = sandbox
        self.config = config
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_flight: dict[int, tuple[int | None, asyncio.Task[None]]] = {}
        self._delivered: set[int] = set()
        self._delay = sandbox.webhook_retry_delay
        self._paused_until = 0.0

    def start(self) -> None:
        """Start delivering in a background task."""
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        """Stop delivering; updates being posted stay queued."""
        self._stopping = True
        self.sandbox.touch()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _active(self) -> bool:
        return (
            not self._stopping and not self.sandbox.closed and self.sandbox.webhook is self.config
        )

    def _ready(self) -> list[dict[str, Any]]:
        """Queued updates that may be posted now."""
        free = self.config.max_connections - len(self._in_flight)
        if free <= 0 or asyncio.get_running_loop().time() < self._paused_until:
            return []
        waiting_chats = {chat for chat, _ in self._in_flight.values() if chat is not None}
        ready = []
        for update in self.sandbox.pending_updates(self.config.allowed_updates):
            update_id = update["update_id"]
            if update_id in self._delivered or update_id in self._in_flight:
                continue
            chat = chat_of(update)
            if chat is not None:
                if chat in waiting_chats:
                    continue  # its chat has an earlier update not delivered yet
                waiting_chats.add(chat)
            ready.append(update)
            if len(ready) == free:
                break
        return ready

    async def _run(self) -> None:
        # kept-alive connections, as many as the webhook's max_connections (_ready keeps to it)
        # (idle ones dropped after 4 s: servers such as uvicorn close theirs after 5)
        connector = aiohttp.TCPConnector(limit=self.config.max_connections, keepalive_timeout=4.0)
        timeout = aiohttp.ClientTimeout(total=10.0)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            try:
                while self._active():
                    paused_until = self._paused_until
                    pause = paused_until - asyncio.get_running_loop().time()
                    await self.sandbox.wait_until(
                        lambda since=paused_until: (
                            not self._active()
                            or self._paused_until != since  # a failure: back off
                            or self._ready()
                        ),
                        timeout=pause if pause > 0 else 60.0,
                    )
                    if not self._active():
                        continue
                    for update in self._ready():
                        task = asyncio.create_task(self._deliver(session, update))
                        self._in_flight[update["update_id"]] = (chat_of(update), task)
            finally:
                tasks = [task for _chat, task in self._in_flight.values()]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self._in_flight.clear()

    async def _deliver(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        error = await self._post(session, update)
        self._in_flight.pop(update_id, None)
        if error is None:
            self._delivered.add(update_id)
            self._confirm_delivered()
            self.config.delivered += 1
            self._delay = self.sandbox.webhook_retry_delay
        else:
            self.config.last_error_date = self.sandbox.now()
            self.config.last_error_message = error
            logger.warning("Webhook delivery of update %s failed: %s", update_id, error)
            self._paused_until = asyncio.get_running_loop().time() + self._delay
            self._delay = min(self._delay * 2, self.sandbox.webhook_max_delay)
        self.sandbox.touch()

    def _confirm_delivered(self) -> None:
        """Forget the updates delivered so far without a gap before them."""
        pending = self.sandbox.pending_updates(self.config.allowed_updates)
        offset = None
        for update in pending:
            if update["update_id"] not in self._delivered:
                break
            offset = update["update_id"] + 1
        if offset is not None:
            self.sandbox.confirm(offset)
            self._delivered = {u for u in self._delivered if u >= offset}

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, object]) -> str | None:
        headers = {}
        if self.config.secret_token:
            headers[SECRET_HEADER] = self.config.secret_token
        try:
            async with session.post(self.config.url, json=update, headers=headers) as response:
                status, reason = response.status, response.reason
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            return f"Connection error: {type(err).__name__}"
        except Exception as err:  # the update stays queued whatever went wrong
            logger.exception("Webhook delivery failed")
            return f"Delivery error: {type(err).__name__}"
        if 200 <= status < 300:
            return None
        return f"Wrong response from the webhook: {status} {reason}"
