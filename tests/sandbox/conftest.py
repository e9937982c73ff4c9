"""Sandbox fixtures: a Sandbox with three personas, served by uvicorn on a loopback port."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from starlette.routing import BaseRoute
from telegram import Bot

from bot.sandbox import Sandbox, create_sandbox_routes
from bot.sandbox.serving import serve_routes

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
    async with serve_routes([*create_sandbox_routes(sandbox), *extra]) as base:
        try:
            yield Served(sandbox, base)
        finally:
            await sandbox.aclose()  # releases long polls, so shutdown does not wait for them


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Served]:
    """A sandbox with three personas behind a running server."""
    async with serve(make_sandbox()) as running:
        yield running
