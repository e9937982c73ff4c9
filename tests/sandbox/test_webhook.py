"""Webhook mode: updates are POSTed in order with the secret header, retried on failure."""

from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram.error import BadRequest, Conflict

from tests.sandbox.conftest import KO_USER, make_sandbox, serve


async def test_webhook_delivery_with_secret_and_retry() -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [1]  # the first POST fails, then the hook recovers

    async def hook(request: Request) -> Response:
        """Receive an update like bot/web.py does; fail once."""
        body = await request.json()
        if failures[0]:
            failures[0] -= 1
            return Response(status_code=500)
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        return Response(status_code=200)

    sandbox = make_sandbox(webhook_retry_delay=0.01)
    routes = [Route("/hook", hook, methods=["POST"])]
    async with serve(sandbox, routes) as served, served.bot() as bot:
        assert await bot.set_webhook(f"{served.base}/hook", secret_token="s3cret_-X")
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        first = sandbox.send_text(KO_USER, "하나")
        second = sandbox.send_text(KO_USER, "둘")
        await sandbox.wait_for(lambda: len(received) == 2, what="two webhook deliveries")
        assert [body["update_id"] for _, body in received] == [
            first["update_id"],
            second["update_id"],
        ]
        assert {secret for secret, _ in received} == {"s3cret_-X"}
        info = await bot.get_webhook_info()
        assert info.url == f"{served.base}/hook"
        assert info.pending_update_count == 0
        assert info.last_error_message is not None
        assert "500" in info.last_error_message

        assert await bot.delete_webhook()
        third = sandbox.send_text(KO_USER, "셋")
        assert [u.update_id for u in await bot.get_updates()] == [third["update_id"]]


async def test_set_webhook_validates_and_drops_pending() -> None:
    sandbox = make_sandbox()
    async with serve(sandbox) as served, served.bot() as bot:
        sandbox.send_text(KO_USER, "old")
        with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed"):
            await bot.set_webhook(f"{served.base}/hook", secret_token="no spaces!")
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates() == ()
        assert (await bot.get_webhook_info()).url == ""
