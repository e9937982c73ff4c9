"""Operations endpoints: liveness, readiness, and Prometheus metrics of one instance."""

import httpx

from bot.runner import Stack
from tests.e2e.harness import ChatClient


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
