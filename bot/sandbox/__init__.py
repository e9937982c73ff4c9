"""Local Telegram: a Bot API emulator plus a web chat, so gongbae runs without Telegram.

Python API (bot.sandbox.state.Sandbox; one event loop, not thread-safe):

    sandbox = Sandbox(token="123456:SANDBOX-TOKEN", limits=Limits(enabled=True))
    sandbox.add_user(1001, "지민", language_code="ko", key="jimin", role="resident", shop=None)
    sandbox.add_persona(persona, phone=None)                  # a bot.services.demo.Persona
    update = sandbox.send_text(1001, "후라이드 2마리")        # also send_contact, send_location,
    msg = await sandbox.wait_for_bot_message(1001,            # send_document, press,
        after_id=update["message"]["message_id"])             # press_button(1001, "주문하기")
    sandbox.messages(1001), sandbox.last_bot_message(1001), sandbox.callback_answers
    await sandbox.wait_for(lambda: ..., timeout=5.0)          # TimeoutError carries a dump
    sandbox.block(1001); sandbox.unblock(1001); sandbox.limits.enabled = False
    sandbox.close()  # before stopping uvicorn: ends long polls (or timeout_graceful_shutdown)
    await sandbox.aclose()  # close() + stop webhook delivery

HTTP (one Starlette app; mount beside gongbae's own routes):

    routes = create_sandbox_routes(sandbox)   # Bot API + web chat, a list of BaseRoute
    app = create_sandbox_app(sandbox)         # or a standalone Starlette app (closes on exit)
    Application.builder().token(sandbox.token)
        .base_url(f"http://127.0.0.1:{port}/bot")
        .base_file_url(f"http://127.0.0.1:{port}/file/bot")

    POST|GET /bot{token}/{method}            Bot API (getUpdates, sendMessage, ... see botapi)
    GET      /file/bot{token}/{file_path}    file download (getFile)
    GET      /                               web chat page
    GET      /sandbox/api/personas           personas (key, name, role, language, shop), time_zone
    POST     /sandbox/api/send               {"user_id"|"persona", "text"}
    POST     /sandbox/api/press              {"user_id", "message_id", "callback_data"}
    POST     /sandbox/api/contact            {"user_id", "phone"?}
    POST     /sandbox/api/location           {"user_id", "latitude"?, "longitude"?}
    POST     /sandbox/api/block              {"user_id", "blocked": true|false}
    GET      /sandbox/api/chat/{user_id}?since=VERSION   long poll (25 s)
    GET      /sandbox/photo/{file_id}        photo and document bytes
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.sandbox import botapi, webchat
from bot.sandbox.errors import BotApiError, SandboxError
from bot.sandbox.records import CallbackQueryRecord, MessageRecord, SandboxUser
from bot.sandbox.state import DEFAULT_TOKEN, Limits, Sandbox

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiError",
    "CallbackQueryRecord",
    "Limits",
    "MessageRecord",
    "Sandbox",
    "SandboxError",
    "SandboxUser",
    "create_sandbox_app",
    "create_sandbox_routes",
]


def create_sandbox_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Build the Bot API and web chat routes, to mount in the bot's one Starlette app."""
    return [*botapi.routes(sandbox), *webchat.routes(sandbox)]


def create_sandbox_app(sandbox: Sandbox) -> Starlette:
    """Build a standalone app serving only the sandbox; it closes the sandbox on shutdown."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await sandbox.aclose()

    return Starlette(routes=create_sandbox_routes(sandbox), lifespan=lifespan)
