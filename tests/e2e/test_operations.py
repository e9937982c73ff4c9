"""Operations: liveness, readiness, Prometheus metrics and structured logs of one instance."""

import asyncio
import json
import logging

import httpx

from bot import logs
from bot.runner import Stack
from tests.e2e.harness import ChatClient
from tests.test_logs import Lines


def sample(text: str, name: str) -> float:
    """The value of one metric line (name with labels) in the exposition text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_health_readiness_and_metrics(stack: Stack, chat: ChatClient) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as client:
        assert (await client.get("/healthz")).text == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["ready"] is True

        await chat.send("resident-jiyoung", "/start")
        await chat.press("resident-jiyoung", "한국어")
        forged = await client.post(
            "/payments/callback/seoro-eeum", content=b"{}", headers={"X-Gongbae-Signature": "x"}
        )
        assert forged.status_code == 401

        metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert sample(text, 'gongbae_updates_total{kind="message"}') >= 1
    assert sample(text, 'gongbae_updates_total{kind="callback"}') >= 1
    assert sample(text, 'gongbae_update_seconds_count{kind="message"}') >= 1
    assert sample(text, 'gongbae_payment_callbacks_total{outcome="bad_signature"}') == 1
    assert sample(text, "gongbae_outbox_lag_seconds") >= 0
    assert sample(text, "gongbae_outbox_pending") >= 0


async def test_an_update_and_its_order_appear_in_the_logs(stack: Stack, chat: ChatClient) -> None:
    lines = Lines(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(lines)
    old = root.level
    root.setLevel(logging.INFO)
    try:
        await chat.send("resident-jiyoung", "/start")
        await asyncio.sleep(0)
    finally:
        root.removeHandler(lines)
        root.setLevel(old)
    handled = [json.loads(line) for line in lines.lines if "handled in" in line]
    assert handled
    assert handled[-1]["chat_id"] == 700001
    assert isinstance(handled[-1]["update_id"], int)
