"""The end-to-end harness: sandbox Bot API + the real Application over loopback."""

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext

from bot.config import Settings, local_settings
from bot.runner import Stack
from bot.sandbox import Limits
from tests.browser import chromium
from tests.e2e.harness import ChatClient

ROOT = Path(__file__).resolve().parents[2]
EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def e2e_settings(folder: Path, **overrides: object) -> Settings:
    """Sandbox settings on a fresh SQLite file and an ephemeral loopback port."""
    return local_settings(folder / "e2e.sqlite3", **overrides)


@pytest_asyncio.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """gongbae running against its sandbox with the demo region."""
    # Telegram's per-chat limit is about one message a second with short bursts; tests press
    # buttons faster than a person, so allow a larger burst (the 429 path has its own tests).
    limits = Limits(chat_burst=50)
    async with Stack(e2e_settings(tmp_path), sandbox_limits=limits) as running:
        running.deps.clock = lambda: EVENING  # every demo shop is open at 19:00
        yield running


@pytest.fixture
def chat(stack: Stack) -> ChatClient:
    """A client that plays the demo personas."""
    return ChatClient(stack)


@pytest_asyncio.fixture
async def context() -> AsyncIterator[BrowserContext]:
    """A wide window of Debian's Chromium, for the web chat browser tests."""
    async with chromium() as browser:
        yield await browser.new_context(viewport={"width": 1500, "height": 1000})
