"""Stop gongbae in the middle of a broadcast and start it again: nobody is skipped.

gongbae runs as a real process (`python main.py run`) against a sandbox Bot API served by
this test, so the sandbox keeps what was delivered while the bot dies. A graceful stop
(SIGTERM) lets the sends in flight finish and be recorded: no duplicate, no skip. A kill -9
can lose the record of a message whose send succeeded; such a recipient is still SENDING
in the database, and gets it again after restart: duplicates are bounded by those rows.
"""

import asyncio
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from bot.config import SANDBOX_TOKEN
from bot.sandbox import Limits, Sandbox
from bot.services import campaigns, demo
from models import db
from models.base import CampaignStatus, RecipientStatus
from models.campaign import CampaignRecipient
from tests.e2e.instance import start_instance
from tests.factories import resident
from tests.sandbox.conftest import Served, serve

ROOT = Path(__file__).resolve().parents[2]
STAFF = 790001
BASE = 650000
RESIDENTS = 400
# A send's claim may be taken back after LEASE seconds: longer than a send can take on a busy
# machine (1 s was not: a row still being sent was re-queued and sent twice), short for the test.
LEASE = 5.0


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Served]:
    """A sandbox Bot API with the staff member and 400 residents who agreed to ads."""
    sandbox = Sandbox(token=SANDBOX_TOKEN, limits=Limits(bot_rate=1000.0, bot_burst=1000.0))
    sandbox.add_user(STAFF, "민준", language_code="ko")
    for n in range(RESIDENTS):
        sandbox.add_user(BASE + n, f"Resident {n}", language_code="ko")
    async with serve(sandbox) as running:
        yield running


async def prepare(url: str) -> None:
    """The database as a staff member leaves it after pressing "send now"."""
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine)
        sessions = db.session_factory(engine)
        now = datetime.now(UTC)
        async with sessions.begin() as session:
            await demo.seed(
                session, ROOT / "demo" / "incheon-seo.json", ROOT / "demo" / "personas.json"
            )
            session.add_all(  # night consent: the test may run at any hour
                resident(BASE + n, at=now, night=True) for n in range(RESIDENTS)
            )
            await session.flush()
            campaign_id = await campaigns.create(session, telegram_id=STAFF)
            await campaigns.edit(
                session,
                campaign_id=campaign_id,
                telegram_id=STAFF,
                text_ko="주말 할인",
                text_en="Sale",
            )
            await campaigns.start(session, campaign_id=campaign_id, now=now, telegram_id=STAFF)
    finally:
        await engine.dispose()


async def recipients(url: str) -> Counter[RecipientStatus]:
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            rows = await session.execute(
                select(CampaignRecipient.status, func.count()).group_by(CampaignRecipient.status)
            )
            return Counter(dict(rows.all()))  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def start(url: str, api: str, folder: Path) -> subprocess.Popen[bytes]:
    return start_instance(
        url,
        api,
        folder,
        SANDBOX_TOKEN,
        BROADCAST_RATE="200",
        TELEGRAM_MAX_RATE="400",
        SEND_LEASE_SECONDS=f"{LEASE:g}",
    )


def ads(sandbox: Sandbox) -> Counter[int]:
    found: Counter[int] = Counter()
    for n in range(RESIDENTS):
        for message in sandbox.bot_messages(BASE + n):
            if (message.text or "").startswith("(광고)"):
                found[BASE + n] += 1
    return found


async def until(sandbox: Sandbox, check: object, timeout: float) -> None:  # noqa: ASYNC109
    """Wait for a condition on what the sandbox holds (it wakes us on every change)."""
    async with asyncio.timeout(timeout):
        while not check():  # type: ignore[operator]
            await sandbox.wait_changed(sandbox.version, 0.5)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
async def test_restart_mid_broadcast(served: Served, tmp_path: Path, how: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.sqlite3'}"
    await prepare(url)
    sandbox = served.sandbox
    first = start(url, served.base, tmp_path)
    try:
        await until(sandbox, lambda: sum(ads(sandbox).values()) >= RESIDENTS // 3, 60)
        first.send_signal(getattr(signal, how))
        await asyncio.to_thread(first.wait, 30)
    finally:
        if first.poll() is None:
            first.kill()
    at_stop = ads(sandbox)
    states = await recipients(url)
    uncertain = states[RecipientStatus.SENDING]
    assert 0 < sum(at_stop.values()) < RESIDENTS  # stopped in the middle
    assert states[RecipientStatus.SENT] <= sum(at_stop.values())
    if how == "SIGTERM":
        assert uncertain == 0  # the sends in flight finished and were recorded

    # at once: rows a killed sender held go back once their lease runs out (the timers)
    second = start(url, served.base, tmp_path)
    try:
        await until(
            sandbox,
            lambda: (
                len(ads(sandbox)) == RESIDENTS
                and sandbox.last_bot_message(STAFF) is not None
                and "✅" in (sandbox.last_bot_message(STAFF).text or "")
            ),  # type: ignore[union-attr]
            60,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.to_thread(second.wait, 30)
    final = ads(sandbox)
    assert set(final) == {BASE + n for n in range(RESIDENTS)}  # nobody skipped
    duplicates = sum(count - 1 for count in final.values())
    assert duplicates <= uncertain  # only a message whose record died with the process
    if how == "SIGTERM":
        assert duplicates == 0
    states = await recipients(url)
    assert states == Counter({RecipientStatus.SENT: RESIDENTS})
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            report = await campaigns.report(session, 1, now=datetime.now(UTC))
    finally:
        await engine.dispose()
    assert report.status == CampaignStatus.DONE
    assert sandbox.refused[429] == 0
