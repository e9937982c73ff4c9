"""gongbae as a real process (`python main.py run`) against a sandbox served by the test, for
tests that kill it; and a way to wait for its updates through the database."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from models.inbox import InboundUpdate

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def all_day_pack(folder: Path) -> Path:
    """The demo region with every shop open all day (instances run on the real clock)."""
    pack = json.loads((ROOT / "demo" / "incheon-seo.json").read_text())
    for merchant in pack["merchants"]:
        merchant["hours"] = "00:00-24:00"
    path = folder / "all-day.json"
    path.write_text(json.dumps(pack, ensure_ascii=False))
    return path


def start_instance(
    url: str, api: str, folder: Path, token: str, **env: str
) -> subprocess.Popen[bytes]:
    """Start `python main.py run` on the database at `url` and the Bot API at `api`; its
    output goes to folder/bot.log."""
    variables = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": api,
        "DATABASE_URL": url,
        "WEB_PORT": "0",
        "SEND_LEASE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    with (folder / "bot.log").open("ab") as log:
        return subprocess.Popen(  # noqa: S603 (our own main.py, killed on purpose)
            [sys.executable, str(ROOT / "main.py"), "run"],
            env=variables,
            stdout=log,
            stderr=log,
            cwd=folder,
        )


def inbox_waiter(engine: AsyncEngine) -> Callable[[int], Awaitable[None]]:
    """`await processed(update_id)`: returns once some instance has handled the update."""

    async def processed(update_id: int) -> None:
        query = select(InboundUpdate.done_at).where(InboundUpdate.update_id == update_id)
        while True:
            async with engine.connect() as conn:
                if await conn.scalar(query) is not None:
                    return
            await asyncio.sleep(0.02)

    return processed
