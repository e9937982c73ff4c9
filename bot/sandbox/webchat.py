"""Web chat routes: a page to play several personas side by side against the bot."""

import base64
import binascii
import logging
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.sandbox import longpoll
from bot.sandbox.errors import SandboxError
from bot.sandbox.files import sniff_mime
from bot.sandbox.records import SandboxUser
from bot.sandbox.state import Sandbox

MAX_UPLOAD = 5_000_000  # bytes of one file sent from the web chat

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
LONG_POLL_SECONDS = 25.0
DEMO_LOCATION = (37.5454, 126.6760)  # 인천 서구청, Incheon Seo-gu office
RECENT_TOASTS = 10
CSP = (
    "default-src 'self'; img-src 'self' data: http: https:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)


def chat_view(sandbox: Sandbox, user: SandboxUser) -> dict[str, Any]:
    """Render one persona's chat for the page: messages, keyboard, toasts, commands."""
    chat = sandbox.chats[user.id]
    toasts = [
        query.to_json()
        for query in sandbox.callback_queries.values()
        if query.chat_id == chat.id and query.answered
    ][-RECENT_TOASTS:]
    return {
        "version": chat.version,
        "user": user.to_json(),
        "messages": [record.to_json() for record in chat.messages.values()],
        "reply_keyboard": chat.reply_keyboard,
        "toasts": toasts,
        "action": chat.action,
        "commands": sandbox.bot_commands(user.language_code),
    }


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


def routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Build the web chat routes for one sandbox."""

    async def body_user(request: Request) -> tuple[dict[str, Any], SandboxUser]:
        try:
            body = await request.json()
        except ValueError:
            raise SandboxError("JSON body expected") from None
        if not isinstance(body, dict):
            raise SandboxError("JSON object expected")
        ref = body.get("user_id", body.get("persona"))
        if ref is None:
            raise SandboxError("user_id or persona is required")
        return body, sandbox.find_user(ref)

    async def page(_: Request) -> Response:
        """Serve the web chat page."""
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": CSP})

    async def personas(_: Request) -> Response:
        """List the personas the sandbox knows."""
        return JSONResponse(
            {
                "bot": sandbox.bot_user,
                "time_zone": sandbox.time_zone,
                "personas": [user.to_json() for user in sandbox.users.values()],
            }
        )

    async def send(request: Request) -> Response:
        """Send a text from a persona."""
        try:
            body, user = await body_user(request)
            text = str(body.get("text") or "")
            update = sandbox.send_text(user.id, text)
        except SandboxError as err:
            return _error(str(err))
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def press(request: Request) -> Response:
        """Press an inline button for a persona."""
        try:
            body, user = await body_user(request)
            update = sandbox.press(user.id, int(body["message_id"]), str(body["callback_data"]))
        except (SandboxError, KeyError, TypeError, ValueError) as err:
            return _error(f"cannot press: {err}")
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def contact(request: Request) -> Response:
        """Share a persona's phone number."""
        try:
            body, user = await body_user(request)
            phone = str(body.get("phone") or user.phone or f"+82 10-0000-{user.id % 10000:04d}")
            update = sandbox.send_contact(user.id, phone)
        except SandboxError as err:
            return _error(str(err))
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def location(request: Request) -> Response:
        """Share a fixed demo location in 인천 서구."""
        try:
            body, user = await body_user(request)
            latitude = float(body.get("latitude", DEMO_LOCATION[0]))
            longitude = float(body.get("longitude", DEMO_LOCATION[1]))
            update = sandbox.send_location(user.id, latitude, longitude)
        except (SandboxError, TypeError, ValueError) as err:
            return _error(str(err))
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def upload(request: Request) -> Response:
        """Send a file as a persona: a picture becomes a photo, anything else a document."""
        try:
            body, user = await body_user(request)
            data = base64.b64decode(str(body.get("data") or ""), validate=True)
            if not data or len(data) > MAX_UPLOAD:
                raise SandboxError(f"a file of 1 byte to {MAX_UPLOAD:,} bytes is expected")
            name = str(body.get("filename") or "file")[:128]
            if sniff_mime(data) is not None:
                update = sandbox.send_photo(user.id, data)
            else:
                update = sandbox.send_document(user.id, name, data)
        except (SandboxError, binascii.Error, ValueError) as err:
            return _error(f"cannot upload: {err}")
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def block(request: Request) -> Response:
        """Block or unblock the bot as a persona."""
        try:
            body, user = await body_user(request)
        except SandboxError as err:
            return _error(str(err))
        if body.get("blocked", True):
            sandbox.block(user.id)
        else:
            sandbox.unblock(user.id)
        return JSONResponse({"ok": True, "blocked": user.blocked})

    async def chat(request: Request) -> Response:
        """Long-poll one persona's chat until it changes past `since` (or ~25 s pass)."""
        try:
            user = sandbox.find_user(request.path_params["user_id"])
            since = int(request.query_params.get("since", "0"))
        except (SandboxError, ValueError) as err:
            return _error(str(err), 404)
        record = sandbox.chats[user.id]
        await longpoll.wait(request, sandbox, lambda: record.version > since, LONG_POLL_SECONDS)
        return JSONResponse(chat_view(sandbox, user))

    async def photo(request: Request) -> Response:
        """Serve a photo or document the bot or a persona sent."""
        stored = sandbox.files.get(request.path_params["file_id"])
        if stored is None:
            return _error("no such file", 404)
        if stored.data is None:
            return RedirectResponse(stored.url or "/", status_code=302)
        return Response(stored.data, media_type=stored.mime_type or "application/octet-stream")

    return [
        Route("/", page, methods=["GET"]),
        Route("/sandbox/api/personas", personas, methods=["GET"]),
        Route("/sandbox/api/send", send, methods=["POST"]),
        Route("/sandbox/api/press", press, methods=["POST"]),
        Route("/sandbox/api/contact", contact, methods=["POST"]),
        Route("/sandbox/api/location", location, methods=["POST"]),
        Route("/sandbox/api/block", block, methods=["POST"]),
        Route("/sandbox/api/upload", upload, methods=["POST"]),
        Route("/sandbox/api/chat/{user_id}", chat, methods=["GET"]),
        Route("/sandbox/photo/{file_id}", photo, methods=["GET"]),
        Mount("/sandbox/static", app=StaticFiles(directory=STATIC), name="sandbox-static"),
    ]
