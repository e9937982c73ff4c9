"""Webhook mode with two instances on one database, behind a round-robin balancer.

The sandbox Bot API posts updates to the balancer, which hands them to the instances in
turn and posts some of them to both (Telegram delivers an update again when a webhook
answers late). Each update is handled once, a chat's updates in order, whichever instance
received them.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from bot.runner import Stack
from bot.sandbox import Limits, Sandbox
from bot.sandbox.balancer import RoundRobin
from bot.services import demo, inbox
from models import db
from models.inbox import InboundUpdate
from tests.conftest import BACKENDS, scratch_database
from tests.e2e.conftest import EVENING, e2e_settings
from tests.e2e.harness import ChatClient
from tests.e2e.instance import inbox_waiter
from tests.sandbox.conftest import serve

TOKEN = "987654321:AAWebhookInstancesToken_abcdefgh"
SECRET = "webhook-secret_1"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Cluster:
    instances: list[Stack]
    sandbox: Sandbox
    balancer: RoundRobin
    url: str

    async def rows(self) -> list[InboundUpdate]:
        async with self.instances[0].deps.reads() as session:
            return list(await session.scalars(select(InboundUpdate)))


@asynccontextmanager
async def cluster(url: str, folder: Path, size: int = 2) -> AsyncIterator[Cluster]:
    """`size` webhook instances on the database at `url`, behind a balancer."""
    engine = db.create_engine(url)
    await db.upgrade(engine)
    async with db.session_factory(engine).begin() as session:
        personas = await demo.seed(
            session, ROOT / "demo" / "incheon-seo.json", ROOT / "demo" / "personas.json"
        )
    await engine.dispose()
    sandbox = Sandbox(token=TOKEN, limits=Limits(chat_burst=50))
    for persona in personas:
        sandbox.add_persona(persona)
    async with AsyncExitStack() as stack:
        served = await stack.enter_async_context(serve(sandbox))
        balancer = await stack.enter_async_context(RoundRobin(redeliver=0.3))
        front = balancer.url
        instances = []
        for _ in range(size):
            settings = e2e_settings(
                folder,
                database_url=url,
                telegram_bot_token=TOKEN,
                telegram_api_base_url=served.base,
                webhook_url=front,
                webhook_secret=SECRET,
            )
            instance = await stack.enter_async_context(Stack(settings))
            instance.deps.clock = lambda: EVENING
            instances.append(instance)
        balancer.backends = [instance.url for instance in instances]
        yield Cluster(instances, sandbox, balancer, front)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_instances_handle_each_update_once_and_in_order(
    backend: str, tmp_path: Path
) -> None:
    async with scratch_database(backend, tmp_path) as url, cluster(url, tmp_path) as running:
        chat = ChatClient(
            sandbox=running.sandbox, processed=inbox_waiter(running.instances[0].engine)
        )
        who = "resident-jiyoung"
        await chat.send(who, "/start")
        for label in ("한국어", "받지 않을래요"):
            if label in chat.buttons(who):
                await chat.press(who, label)
        # five texts written at once: each edits the cart the one before made, so another
        # order gives another cart (one coke fewer, none, or a question)
        texts = [
            "한빛치킨 콜라 하나",
            "콜라 하나 더",
            "콜라 빼줘",
            "한빛치킨 콜라 세 개",
            "콜라 하나 더",
        ]
        user_id = chat.user_id(who)
        updates = [running.sandbox.send_text(user_id, text) for text in texts]
        for update in updates:
            await asyncio.wait_for(
                inbox_waiter(running.instances[0].engine)(update["update_id"]), 10
            )
        cart = next(
            m.text or ""
            for m in reversed(running.sandbox.bot_messages(user_id))
            if (m.text or "").startswith("🛒")
        )
        assert "콜라 × 4" in cart, cart

        rows = await running.rows()
        assert rows
        assert all(row.done_at is not None for row in rows)
        assert all(row.attempts == 1 for row in rows)  # nothing handled twice
        assert {row.update_id for row in rows} >= {u["update_id"] for u in updates}
        mine = sorted((row for row in rows if row.chat_id == user_id), key=lambda r: r.update_id)
        done = [row.done_at for row in mine]
        assert done == sorted(done)  # a chat's updates were handled in order
        assert running.balancer.redelivered > 0  # some came twice, and were dropped
        assert all(count > 0 for count in running.balancer.forwarded.values())
        assert len(running.balancer.forwarded) == 2  # both instances took updates
        handled = [instance.processor.handled for instance in running.instances]
        assert sum(handled) == len(rows)
        assert min(handled) > 0


async def test_webhook_needs_the_secret(tmp_path: Path) -> None:
    async with scratch_database("sqlite", tmp_path) as url, cluster(url, tmp_path, 1) as running:
        hook = running.instances[0].url + "/telegram/webhook"
        update = {"update_id": 99, "message": {"message_id": 1, "date": 0, "chat": {"id": 5}}}
        async with httpx.AsyncClient() as client:
            missing = await client.post(hook, json=update)
            wrong = await client.post(
                hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            garbage = await client.post(
                hook, content=b"[1, 2]", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
        assert (missing.status_code, wrong.status_code, garbage.status_code) == (403, 403, 400)
        assert await running.rows() == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_failing_claim_loses_no_update_and_no_done_mark(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An instance claims right after it stores an update or records one as done; when that
    claim fails in the database, the update stays stored and the done mark recorded, the
    claiming loop takes what waits, and nothing stays counted as in flight."""
    failed: list[str] = []
    after: list[str] = []  # the write the next claim follows
    real = {name: getattr(inbox, name) for name in ("receive", "done", "claim")}

    def writing(name: str) -> Callable[..., Awaitable[Any]]:
        async def write(session: Any, *args: Any, **kwargs: Any) -> Any:
            result = await real[name](session, *args, **kwargs)
            after[:] = [name]
            return result

        return write

    async def claim(session: Any, **kwargs: Any) -> list[inbox.Claimed]:
        if after:
            failed.append(after.pop())
            await session.execute(text("UPDATE no_such_table SET x = 1"))  # the database refuses
        return await real["claim"](session, **kwargs)

    monkeypatch.setattr(inbox, "receive", writing("receive"))
    monkeypatch.setattr(inbox, "done", writing("done"))
    monkeypatch.setattr(inbox, "claim", claim)
    async with scratch_database(backend, tmp_path) as url, cluster(url, tmp_path, 1) as running:
        chat = ChatClient(
            sandbox=running.sandbox, processed=inbox_waiter(running.instances[0].engine)
        )
        who = "resident-jiyoung"
        assert await chat.send(who, "/start")  # answered although its first claim failed
        # two at once: the second waits for its chat; the claim after the first's done mark
        # fails, and the woken claiming loop takes it
        user_id = chat.user_id(who)
        updates = [running.sandbox.send_text(user_id, text) for text in ("도움말", "help")]
        for update in updates:
            await asyncio.wait_for(
                inbox_waiter(running.instances[0].engine)(update["update_id"]), 10
            )
        rows = await running.rows()
        assert len(rows) == 3
        assert all(row.done_at is not None and row.attempts == 1 for row in rows)
        assert "receive" in failed
        assert "done" in failed
        assert running.instances[0].application.bot_data["inbox"]._in_flight == {}
