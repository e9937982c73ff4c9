"""Bot API routes: /bot{token}/{method} and /file/bot{token}/{path}, as api.telegram.org."""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sandbox import longpoll, messaging
from bot.sandbox.errors import BotApiError
from bot.sandbox.params import Params, read_params
from bot.sandbox.state import Sandbox, WebhookConfig, commands_key
from bot.sandbox.webhook import WebhookSender

logger = logging.getLogger(__name__)

Method = Callable[[Sandbox, Params], Awaitable[Any]]
MAX_POLL_TIMEOUT = 50
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
COMMAND = re.compile(r"[a-z0-9_]{1,32}")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


async def get_me(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """getMe."""
    return sandbox.bot_user


async def get_updates(sandbox: Sandbox, params: Params) -> list[dict[str, Any]]:
    """getUpdates: confirm below offset, then long-poll up to timeout seconds."""
    if sandbox.webhook is not None:
        raise BotApiError(409, WEBHOOK_CONFLICT)
    offset = params.get_int("offset")
    limit = min(max(params.get_int("limit", 100) or 100, 1), 100)
    timeout = min(max(params.get_int("timeout", 0) or 0, 0), MAX_POLL_TIMEOUT)
    allowed = params.get_json("allowed_updates")
    if isinstance(allowed, list):
        sandbox.allowed_updates = [str(kind) for kind in allowed] or None
    if offset is not None:
        sandbox.confirm(offset)
    generation = sandbox.next_poll()

    def ready() -> bool:
        return bool(
            sandbox.pending_updates(sandbox.allowed_updates)
            or sandbox.poll_generation != generation
            or sandbox.webhook is not None
        )

    if timeout and params.request is not None:
        await longpoll.wait(params.request, sandbox, ready, timeout)
    elif timeout:
        await sandbox.wait_until(ready, timeout)
    if sandbox.poll_generation != generation:
        raise BotApiError(409, POLL_CONFLICT)
    if sandbox.webhook is not None:
        raise BotApiError(409, WEBHOOK_CONFLICT)
    return sandbox.pending_updates(sandbox.allowed_updates)[:limit]


async def _stop_webhook(sandbox: Sandbox) -> None:
    sender = sandbox.webhook_sender
    sandbox.webhook = None
    if sender is not None:
        await sender.stop()
        sandbox.set_webhook_sender(None)


async def set_webhook(sandbox: Sandbox, params: Params) -> bool:
    """setWebhook: deliver updates by POST (plain http allowed here, unlike Telegram)."""
    url = params.get_str("url") or ""
    if params.get_bool("drop_pending_updates"):
        sandbox.drop_pending_updates()
    if not url:
        await _stop_webhook(sandbox)
        return True
    if not url.startswith(("http://", "https://")):
        raise BotApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get_str("secret_token")
    if secret is not None and not SECRET.fullmatch(secret):
        raise BotApiError.bad_request("secret token contains unallowed characters")
    allowed = params.get_json("allowed_updates")
    await _stop_webhook(sandbox)
    config = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=params.get_int("max_connections", 40) or 40,
        allowed_updates=[str(k) for k in allowed]
        if isinstance(allowed, list) and allowed
        else None,
    )
    sandbox.webhook = config
    sender = WebhookSender(sandbox, config)
    sandbox.set_webhook_sender(sender)
    sender.start()
    sandbox.touch()
    logger.info("Sandbox webhook set to %s", url)
    return True


async def delete_webhook(sandbox: Sandbox, params: Params) -> bool:
    """deleteWebhook, optionally dropping pending updates."""
    await _stop_webhook(sandbox)
    if params.get_bool("drop_pending_updates"):
        sandbox.drop_pending_updates()
    sandbox.touch()
    return True


async def get_webhook_info(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """getWebhookInfo."""
    config = sandbox.webhook
    allowed = config.allowed_updates if config else sandbox.allowed_updates
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(sandbox.pending_updates(allowed)),
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        info["ip_address"] = config.ip_address
        if config.allowed_updates:
            info["allowed_updates"] = config.allowed_updates
        if config.last_error_date is not None:
            info["last_error_date"] = config.last_error_date
            info["last_error_message"] = config.last_error_message
    return info


def _commands_key(params: Params) -> str:
    return commands_key(params.get_json("scope"), params.get_str("language_code"))


async def set_my_commands(sandbox: Sandbox, params: Params) -> bool:
    """setMyCommands for a scope and language."""
    commands = params.get_json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise BotApiError.bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not COMMAND.fullmatch(str(command.get("command"))):
            raise BotApiError.bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise BotApiError.bad_request("command description must be non-empty")
    sandbox.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    sandbox.touch()
    return True


async def get_my_commands(sandbox: Sandbox, params: Params) -> list[dict[str, Any]]:
    """getMyCommands for a scope and language."""
    return sandbox.commands.get(_commands_key(params), [])


async def delete_my_commands(sandbox: Sandbox, params: Params) -> bool:
    """deleteMyCommands for a scope and language."""
    sandbox.commands.pop(_commands_key(params), None)
    sandbox.touch()
    return True


async def get_file(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """getFile: a file_path to download from /file/bot{token}/."""
    stored = sandbox.files.get(params.get_str("file_id") or "")
    if stored is None:
        raise BotApiError.bad_request("invalid file_id")
    return stored.to_file()


async def get_chat(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """getChat for a private chat."""
    chat = sandbox.chat(params.raw.get("chat_id"))
    return {**chat.user.to_chat(), "accent_color_id": 0, "max_reaction_count": 11}


async def accept(sandbox: Sandbox, params: Params) -> bool:
    """Accept a call the sandbox has nothing to show for (logOut, close, setMyName...)."""
    return True


METHODS: dict[str, Method] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "getfile": get_file,
    "getchat": get_chat,
    "logout": accept,
    "close": accept,
    "setmyname": accept,
    "setmydescription": accept,
    "setmyshortdescription": accept,
    "setchatmenubutton": accept,
    **messaging.METHODS,
}
DESCRIPTIONS = {
    "setwebhook": "Webhook was set",
    "deletewebhook": "Webhook was deleted",
}


def _error(err: BotApiError) -> JSONResponse:
    return JSONResponse(err.payload(), status_code=err.error_code)


def routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Build the Bot API routes for one sandbox."""

    async def call(request: Request) -> Response:
        """Run one Bot API method."""
        if request.path_params["token"] != sandbox.token:
            return _error(BotApiError(401, "Unauthorized"))
        name = request.path_params["method"]
        method = METHODS.get(name.lower())
        if method is None:
            return _error(BotApiError(404, "Not Found"))
        sandbox.api_calls[name] += 1
        try:
            params = Params(await read_params(request), request)
            result = await method(sandbox, params)
        except BotApiError as err:
            logger.debug("Sandbox %s -> %s %s", name, err.error_code, err.description)
            return _error(err)
        body: dict[str, Any] = {"ok": True, "result": result}
        if name.lower() in DESCRIPTIONS:
            body["description"] = DESCRIPTIONS[name.lower()]
        return JSONResponse(body)

    async def download(request: Request) -> Response:
        """Serve a file by the file_path getFile gave."""
        if request.path_params["token"] != sandbox.token:
            return _error(BotApiError(401, "Unauthorized"))
        stored = sandbox.files.by_path(request.path_params["file_path"])
        if stored is None:
            return _error(BotApiError(404, "Not Found"))
        if stored.data is None:
            return RedirectResponse(stored.url or "/", status_code=302)
        return Response(stored.data, media_type=stored.mime_type or "application/octet-stream")

    return [
        Route("/bot{token}/{method}", call, methods=["GET", "POST"]),
        Route("/file/bot{token}/{file_path:path}", download, methods=["GET"]),
    ]
