"""The end-to-end harness: sandbox Bot API + the real Application over loopback."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import Settings
from bot.runner import Stack
from bot.sandbox import Limits
from tests.e2e.harness import ChatClient

ROOT = Path(__file__).resolve().parents[2]


def e2e_settings(folder: Path, **overrides: object) -> Settings:
    """Sandbox settings on a fresh SQLite file and an ephemeral loopback port."""
    values: dict[str, object] = {
        "telegram_bot_token": None,
        "database_url": f"sqlite:///{folder / 'e2e.sqlite3'}",
        "web_port": 0,
        "demo_pack": ROOT / "demo" / "incheon-seo.json",
        "demo_personas": ROOT / "demo" / "personas.json",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


@pytest_asyncio.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """gongbae running against its sandbox with the demo region."""
    # Telegram's per-chat limit is about one message a second with short bursts; tests press
    # buttons faster than a person, so allow a larger burst (the 429 path has its own tests).
    limits = Limits(chat_burst=50)
    async with Stack(e2e_settings(tmp_path), sandbox_limits=limits) as running:
        yield running


@pytest.fixture
def chat(stack: Stack) -> ChatClient:
    """A client that plays the demo personas."""
    return ChatClient(stack)
