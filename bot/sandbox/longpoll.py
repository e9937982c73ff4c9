"""Long polls: wait for a sandbox change, but stop early when the client goes away."""

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from bot.sandbox.state import Sandbox


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def wait(
    request: Request,
    sandbox: Sandbox,
    predicate: Callable[[], Any],
    timeout: float,  # noqa: ASYNC109 (the poll's own bound, as getUpdates' timeout)
) -> bool:
    """Wait until predicate() holds (True), the time is up or the client left (False)."""
    watcher = asyncio.create_task(_disconnected(request))
    waiter = asyncio.create_task(sandbox.wait_until(predicate, timeout))
    try:
        await asyncio.wait({watcher, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (watcher, waiter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return waiter.done() and not waiter.cancelled() and waiter.result()
