"""kill -9 gongbae in the middle of payments and merchant alerts, then of the shop accepting:
after each restart nothing is lost, and no order is left in a state without a timer.

gongbae runs as a real process in webhook mode (updates stored before Telegram gets its 200)
on a database and a sandbox Bot API owned by the test. The test plays the local-currency
provider: it posts signed payment callbacks and, like a real provider, posts again any
callback that got no answer. A message whose send succeeded just before the kill, with its
record lost, goes out again after the restart: duplicates are bounded by the outbox rows the
dead process held (SENDING), and are 0 otherwise.
"""

import asyncio
import re
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.integrations.payments import CALLBACK_PATH, PaymentRequest, SandboxLocalCurrency
from bot.sandbox import Limits, Sandbox
from bot.services import demo
from models import db
from models.base import OrderStatus, OutboxStatus
from models.inbox import InboundUpdate
from models.order import Order
from models.outbox import OutboxMessage
from models.user import Address
from tests.conftest import BACKENDS, scratch_database
from tests.e2e.harness import ChatClient
from tests.e2e.instance import all_day_pack, free_port, inbox_waiter, start_instance
from tests.factories import resident
from tests.sandbox.conftest import serve

TOKEN = "444000222:AACrashTestToken_abcdefghijklmnop"
SECRET = "crash-test-hook-secret"
PAYMENT_SECRET = "crash-test-payment-secret"
ROOT = Path(__file__).resolve().parents[2]
BASE = 670000
RESIDENTS = 10
OWNER = 710001  # 성호, owner of 한빛치킨 (demo/personas.json)


async def prepare(url: str, folder: Path) -> None:
    """The demo region open all day, and residents with a phone and an address in 청라."""
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine)
        async with db.session_factory(engine).begin() as session:
            await demo.seed(session, all_day_pack(folder), ROOT / "demo" / "personas.json")
            for n in range(RESIDENTS):
                user = resident(BASE + n, at=datetime.now(UTC), ads=False)
                user.phone = "010-1111-2222"
                user.addresses = [Address(label="집", text=f"청라커낼로 {n}", dong="청라1동")]
                session.add(user)
    finally:
        await engine.dispose()


async def to_payment(chat: ChatClient, user_id: int) -> str:
    """Order at 한빛치킨 through the bot, up to the payment link; return its URL."""
    await chat.send(user_id, "한빛치킨 후라이드 한 마리랑 콜라 하나")
    await chat.choose_options(user_id)
    for wanted in ("✅", "🛵", "청라"):
        found = [b for b in chat.buttons(user_id) if wanted in b]
        assert found, (wanted, chat.last(user_id).text, chat.buttons(user_id))
        await chat.press(user_id, found[0])
    await chat.send(user_id, "문 앞에 놔주세요")
    await chat.press(user_id, "✅ 주문하고 결제하기")
    return str(chat.last(user_id).buttons()[0][0]["url"])


def texts(sandbox: Sandbox, chat_id: int, part: str) -> list[str]:
    return [m.text or "" for m in sandbox.bot_messages(chat_id) if part in (m.text or "")]


def alerts(sandbox: Sandbox) -> dict[int, int]:
    """The shop's first alert message for each order: order id -> message id."""
    found: dict[int, int] = {}
    for message in sandbox.bot_messages(OWNER):
        if match := re.search(r"새 주문 #(\d+)", message.text or ""):
            found.setdefault(int(match.group(1)), message.message_id)
    return found


def paid_messages(sandbox: Sandbox) -> Counter[int]:
    return Counter(
        {n: len(texts(sandbox, BASE + n, "결제가 완료됐어요")) for n in range(RESIDENTS)}
    )


def accepted_messages(sandbox: Sandbox) -> Counter[int]:
    return Counter({n: len(texts(sandbox, BASE + n, "접수했어요")) for n in range(RESIDENTS)})


async def until(sandbox: Sandbox, check: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
    """Wait for a condition on what the sandbox holds (it wakes us on every change)."""
    async with asyncio.timeout(timeout):
        while not check():
            await sandbox.wait_changed(sandbox.version, 0.5)


async def held_by_the_dead(url: str) -> int:
    """Outbox messages a killed process left claimed (maybe sent, not recorded)."""
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            count = await conn.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == OutboxStatus.SENDING
                )
            )
        return int(count or 0)
    finally:
        await engine.dispose()


async def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    await asyncio.to_thread(process.wait, 30)


async def ready(base: str) -> None:
    """Wait until a (re)started instance answers /readyz (its webhook is set just after)."""
    async with httpx.AsyncClient() as client, asyncio.timeout(60):
        while True:
            try:
                if (await client.get(base + "/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_kill_9_during_payments_alerts_and_accepts(backend: str, tmp_path: Path) -> None:
    sandbox = Sandbox(token=TOKEN, limits=Limits(bot_rate=1000.0, bot_burst=1000.0, chat_burst=50))
    for n in range(RESIDENTS):
        sandbox.add_user(BASE + n, f"주민{n}", language_code="ko")
    sandbox.add_user(OWNER, "성호", language_code="ko")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with scratch_database(backend, tmp_path) as url, serve(sandbox) as served:
        await prepare(url, tmp_path)
        env = {
            "WEB_PORT": str(port),
            "WEBHOOK_URL": base,
            "WEBHOOK_SECRET": SECRET,
            "PAYMENT_SECRET": PAYMENT_SECRET,
            "TELEGRAM_MAX_RATE": "400",
        }
        engine = db.create_engine(url)
        process = start_instance(url, served.base, tmp_path, TOKEN, **env)
        try:
            chat = ChatClient(sandbox=sandbox, processed=inbox_waiter(engine))
            await until(sandbox, lambda: sandbox.webhook is not None, 60)
            links = await asyncio.gather(*(to_payment(chat, BASE + n) for n in range(RESIDENTS)))

            # 1. the provider calls back for every payment at once; kill -9 amid the alerts
            key = Settings(payment_secret=PAYMENT_SECRET).payment_key
            provider = SandboxLocalCurrency(key, base)
            requests: list[PaymentRequest] = [provider.request_of(link) for link in links]  # type: ignore[misc]
            callbacks = [provider.callback(request, "paid") for request in requests]
            answered: set[int] = set()

            async def post(client: httpx.AsyncClient, n: int) -> None:
                signed = callbacks[n]
                try:
                    answer = await client.post(
                        base + CALLBACK_PATH.format(provider=provider.code),
                        content=signed.body,
                        headers=signed.headers,
                    )
                except httpx.TransportError:
                    return  # the process died: the provider posts it again later
                if answer.status_code in (200, 409):  # applied, or applied before
                    answered.add(n)

            async with httpx.AsyncClient(timeout=10) as client:
                posting = [asyncio.create_task(post(client, n)) for n in range(RESIDENTS)]
                await until(sandbox, lambda: len(texts(sandbox, OWNER, "새 주문 #")) >= 2, 30)
                await kill(process)
                await asyncio.gather(*posting)
            at_kill = len(texts(sandbox, OWNER, "새 주문 #"))
            uncertain = await held_by_the_dead(url)

            # 2. restart; the provider posts again what got no answer (and a repeat of all)
            process = start_instance(url, served.base, tmp_path, TOKEN, **env)
            await ready(base)
            async with httpx.AsyncClient(timeout=10) as client:
                for n in range(RESIDENTS):
                    for _ in range(60):  # until the restarted process answers
                        await post(client, n)
                        if n in answered:
                            break
                        await asyncio.sleep(0.5)
            assert answered == set(range(RESIDENTS))
            await until(
                sandbox,
                lambda: len(alerts(sandbox)) == RESIDENTS and all(paid_messages(sandbox).values()),
                60,
            )

            # 3. the shop accepts every order at once; kill -9 amid the presses
            for message_id in alerts(sandbox).values():
                sandbox.press_button(OWNER, "30분", message_id)
            await until(sandbox, lambda: sum(accepted_messages(sandbox).values()) >= 2, 30)
            await kill(process)
            accepted_at_kill = sum(accepted_messages(sandbox).values())
            uncertain += await held_by_the_dead(url)
            process = start_instance(url, served.base, tmp_path, TOKEN, **env)
            await until(sandbox, lambda: all(accepted_messages(sandbox).values()), 60)
            async with asyncio.timeout(30):  # every stored update handled
                while True:
                    async with engine.connect() as conn:
                        open_rows = await conn.scalar(
                            select(func.count(InboundUpdate.update_id)).where(
                                InboundUpdate.done_at.is_(None)
                            )
                        )
                    if not open_rows:
                        break
                    await asyncio.sleep(0.1)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.to_thread(process.wait, 30)

        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Order.status, func.count())
                .where(Order.status != OrderStatus.CART)
                .group_by(Order.status)
            )
            statuses = Counter(dict(rows.all()))
        await engine.dispose()

    assert 0 < at_kill < RESIDENTS  # the first kill came amid the alerts
    assert 0 < accepted_at_kill < RESIDENTS  # the second amid the accepts
    # nothing lost: every order paid once, alerted, accepted
    assert statuses == Counter({OrderStatus.ACCEPTED: RESIDENTS})
    duplicates = (
        sum(paid_messages(sandbox).values())
        + len(texts(sandbox, OWNER, "새 주문 #"))
        + sum(accepted_messages(sandbox).values())
        - 3 * RESIDENTS
    )
    assert duplicates <= uncertain  # only sends whose record died with the process
