"""Sandbox fixtures: a Sandbox with three personas, served by uvicorn on a loopback port."""

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from telegram import Bot

from bot.sandbox import Sandbox, create_sandbox_routes

KO_USER = 1001
EN_USER = 1002
OWNER = 2001


@dataclass
class Served:
    sandbox: Sandbox
    base: str

    @property
    def api(self) -> str:
        """Return the base_url PTB needs (it appends the token and method)."""
        return f"{self.base}/bot"

    @property
    def files(self) -> str:
        """Return the base_file_url PTB needs."""
        return f"{self.base}/file/bot"

    def bot(self, token: str | None = None) -> Bot:
        """Build a real PTB Bot talking to the sandbox."""
        return Bot(token or self.sandbox.token, base_url=self.api, base_file_url=self.files)


def make_sandbox(**kwargs: Any) -> Sandbox:
    """Build a sandbox with a Korean and an English resident and a merchant owner."""
    sandbox = Sandbox(**kwargs)
    sandbox.add_user(KO_USER, "지민", "김", "jimin", "ko", key="jimin", role="resident")
    sandbox.add_user(EN_USER, "Alex", None, "alex", "en", key="alex", role="resident")
    sandbox.add_user(
        OWNER, "순자", "박", None, "ko", key="hanbit-owner", role="merchant", shop="한빛치킨"
    )
    return sandbox


@asynccontextmanager
async def serve(sandbox: Sandbox, extra: Sequence[BaseRoute] = ()) -> AsyncIterator[Served]:
    """Serve the sandbox (and extra routes) on an ephemeral loopback port."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY when sock.proto says TCP, and
    # without it every keep-alive request waits ~40 ms (Nagle + delayed ACK)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue here until uvicorn accepts: no need to wait for it
    port = sock.getsockname()[1]
    app = Starlette(routes=[*create_sandbox_routes(sandbox), *extra])
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", lifespan="off", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield Served(sandbox, f"http://127.0.0.1:{port}")
    finally:
        await sandbox.aclose()  # releases long polls, so shutdown does not wait for them
        server.should_exit = True
        await task
        sock.close()


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Served]:
    """A sandbox with three personas behind a running server."""
    async with serve(make_sandbox()) as running:
        yield running
