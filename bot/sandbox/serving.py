"""Serve a Starlette app on an ephemeral loopback port (tests and benchmarks)."""

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute


@asynccontextmanager
async def serve_routes(routes: Sequence[BaseRoute]) -> AsyncIterator[str]:
    """Serve the routes with uvicorn; yield the base URL (http://127.0.0.1:PORT)."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY when sock.proto says TCP, and
    # without it every keep-alive request waits ~40 ms (Nagle + delayed ACK)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue here until uvicorn accepts: no need to wait for it
    config = uvicorn.Config(
        Starlette(routes=list(routes)),
        log_config=None,
        log_level="warning",
        lifespan="off",
        ws="none",
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()
