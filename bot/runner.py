"""Run gongbae: web app and bot in one process; with no token, the sandbox and demo data."""

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import logging
import signal
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import uvicorn

from bot import logs, web
from bot.app import (
    ChatOrderedProcessor,
    bot_token,
    build_application,
    build_deps,
    start_application,
    stop_application,
)
from bot.config import SANDBOX_BOT_USERNAME, Settings
from bot.integrations.delivery import SandboxAgency
from bot.integrations.payments import SandboxLocalCurrency
from bot.sandbox import Limits, Sandbox, create_sandbox_routes
from bot.services import demo
from handlers.context import Deps, GongbaeApp
from models import db

logger = logging.getLogger(__name__)


class Stack:
    """Database, web server, sandbox (when no token) and the running Application.

    `async with Stack(settings) as stack:` starts everything and stops it in reverse order;
    `python main.py run` and the end-to-end tests use the same assembly.
    """

    def __init__(self, settings: Settings, *, sandbox_limits: Limits | None = None) -> None:
        self.settings = settings
        self.sandbox_limits = sandbox_limits
        self.engine = db.create_engine(
            settings.database_url,
            pool_size=settings.database_connections,
            max_overflow=0,  # a connection opened for a peak and closed after costs more
        )
        self.deps: Deps = build_deps(settings, self.engine)
        self.processor = ChatOrderedProcessor(settings.concurrent_updates)
        self.sandbox: Sandbox | None = None
        self.application: GongbaeApp | None = None
        self.server: uvicorn.Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self.agency: SandboxAgency | None = None
        self.port = settings.web_port
        self.stopping: asyncio.Task[None] | None = None  # stop_serving, once a signal came

    @property
    def url(self) -> str:
        """The web app's base URL (with the real port when 0 was asked for)."""
        host = self.settings.web_host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    async def __aenter__(self) -> Self:
        await self.start_web()
        await self.start_bot()
        return self

    async def start_web(self) -> None:
        """Migrate the database, seed the sandbox, and start serving HTTP."""
        logs.quiet_libraries()
        # Bind first, so the sandbox's Bot API URL (with an ephemeral port) is known.
        family = socket.AF_INET6 if ":" in self.settings.web_host else socket.AF_INET
        # IPPROTO_TCP lets asyncio set TCP_NODELAY (else ~40 ms per keep-alive request)
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self.settings.web_host, self.settings.web_port))
        self.port = self._socket.getsockname()[1]
        await db.upgrade(self.engine)
        routes = []
        if self.settings.sandbox:
            self.sandbox = Sandbox(
                token=bot_token(self.settings),
                bot_username=SANDBOX_BOT_USERNAME,
                limits=self.sandbox_limits,
                time_zone=self.settings.timezone,
            )
            async with self.deps.sessions.begin() as session:
                personas = await demo.seed(
                    session, self.settings.demo_pack, self.settings.demo_personas
                )
            for persona in personas:
                self.sandbox.add_persona(persona)
            routes = create_sandbox_routes(self.sandbox)
        provider = SandboxLocalCurrency(self.settings.payment_key, self.public_url)
        self.deps.payments = provider
        self.deps.agency = self.agency = SandboxAgency(
            self.settings.payment_key,
            self.public_url,
            pickup_after=self.settings.sandbox_rider_pickup_seconds,
            deliver_after=self.settings.sandbox_rider_deliver_seconds,
        )
        routes = [*routes, *provider.routes()]
        await self.deps.load_menu_index()
        # the menu index and the loaded modules live as long as the process: keep them out of
        # the garbage collector's full passes (which paused updates for 100+ ms)
        gc.collect()
        gc.freeze()
        release_free_memory()
        self.application = build_application(
            self.deps, base_url=self._bot_api_base(), processor=self.processor
        )
        web_app = web.create_app(self.deps, self.engine, self.application, routes)
        config = uvicorn.Config(
            web_app,
            host=self.settings.web_host,
            port=self.settings.web_port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self.server = _Server(config)
        self._server_task = asyncio.create_task(self.server.serve(sockets=[self._socket]))
        while not self.server.started:
            if self._server_task.done():
                self._server_task.result()  # raises the server's error
                raise OSError(f"web server on {self.url} did not start")
            await asyncio.sleep(0.01)

    async def start_bot(self) -> None:
        """Start the Application (polling, or webhook when configured)."""
        assert self.application is not None  # noqa: S101 (start_web ran)
        await start_application(self.application)

    @property
    def public_url(self) -> str:
        """Base of links the bot sends: PUBLIC_BASE_URL, else this web app."""
        return self.settings.public_base_url or self.url

    def _bot_api_base(self) -> str | None:
        if self.settings.sandbox:
            return self.url
        return self.settings.telegram_api_base_url

    async def wait_closed(self) -> None:
        """Run until the web server stops (Ctrl-C or SIGTERM)."""
        if self._server_task is not None:
            await self._server_task

    async def stop_serving(self) -> None:
        """Stop taking updates: the web server stops, and `wait_closed` returns. With the
        sandbox, the bot long-polls this very server: its polling stops first (the sandbox
        releases the poll), or the server's shutdown would cut that request off."""
        assert self.server is not None  # noqa: S101 (start_web ran)
        updater = self.application.updater if self.application is not None else None
        if self.sandbox is not None and updater is not None and updater.running:
            self.sandbox.close()
            await updater.stop()
        self.server.should_exit = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the bot, then the web server, then the sandbox and the database pool."""
        if self.application is not None:
            await stop_application(self.application)
        if self.sandbox is not None:
            self.sandbox.close()  # ends the web chat's long polls, so the server can stop
        if self.server is not None and self._server_task is not None:
            self.server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._server_task
        if self.agency is not None:
            await self.agency.aclose()
        if self.sandbox is not None:
            await self.sandbox.aclose()
        if self._socket is not None:
            self._socket.close()
        await self.engine.dispose()


def release_free_memory() -> None:
    """Give the C allocator's free pages back to the system (glibc keeps what building the
    menu index used for a moment; the process would carry it as RSS for its whole life)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        return


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: uvicorn would re-raise SIGTERM once the web
    server stops and so kill the process before the bot has finished (see `serve`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signals to `serve`."""
        yield


def _on_signal(stack: "Stack") -> None:
    """SIGTERM or Ctrl-C: stop serving, so `serve` shuts the bot down gracefully; a second
    one stops at once."""
    if stack.server is None:
        raise KeyboardInterrupt
    if stack.stopping is not None:
        stack.server.force_exit = True
        stack.server.should_exit = True
        return
    stack.stopping = asyncio.get_running_loop().create_task(stack.stop_serving())


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or Ctrl-C, saying first where to open the web chat; then finish
    the updates and sends in flight before exiting."""
    stack = Stack(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, stack)
    try:
        await stack.start_web()
        if stack.sandbox is not None:
            print(  # noqa: T201 (the first line a person reads)
                f"gongbae sandbox: open {stack.url}/ in your browser "
                "(demo region 인천 서구; no Telegram token set)",
                flush=True,
            )
        else:
            print(f"gongbae running; web app at {stack.url}/ (healthz, readyz)", flush=True)  # noqa: T201
        await stack.start_bot()
        await stack.wait_closed()
    finally:
        await stack.close()
