"""Webhook delivery: POST queued updates to the bot's URL in order, retrying with backoff."""

import asyncio
import contextlib
import logging

import httpx

from bot.sandbox.state import Sandbox, WebhookConfig

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


class WebhookSender:
    """Deliver a sandbox's updates to one webhook, one at a time, oldest first."""

    def __init__(self, sandbox: Sandbox, config: WebhookConfig) -> None:
        self.sandbox = sandbox
        self.config = config
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Start delivering in a background task."""
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        """Stop delivering; an update being posted stays queued."""
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

    async def _run(self) -> None:
        delay = self.sandbox.webhook_retry_delay
        async with httpx.AsyncClient(timeout=10.0) as client:
            while self._active():
                await self.sandbox.wait_until(
                    lambda: (
                        not self._active()
                        or self.sandbox.pending_updates(self.config.allowed_updates)
                    ),
                    timeout=60.0,
                )
                pending = self.sandbox.pending_updates(self.config.allowed_updates)
                if not self._active() or not pending:
                    continue
                update = pending[0]
                error = await self._post(client, update)
                if error is None:
                    self.sandbox.confirm(update["update_id"] + 1)
                    self.config.delivered += 1
                    self.sandbox.touch()
                    delay = self.sandbox.webhook_retry_delay
                    continue
                self.config.last_error_date = self.sandbox.now()
                self.config.last_error_message = error
                logger.warning(
                    "Webhook delivery of update %s failed: %s", update["update_id"], error
                )
                self.sandbox.touch()
                # back off, but wake early if the webhook is changed or removed
                await self.sandbox.wait_until(lambda: not self._active(), timeout=delay)
                delay = min(delay * 2, self.sandbox.webhook_max_delay)

    async def _post(self, client: httpx.AsyncClient, update: dict[str, object]) -> str | None:
        headers = {}
        if self.config.secret_token:
            headers[SECRET_HEADER] = self.config.secret_token
        try:
            response = await client.post(self.config.url, json=update, headers=headers)
        except httpx.HTTPError as err:
            return f"Connection error: {type(err).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
