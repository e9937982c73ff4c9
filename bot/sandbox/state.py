"""The sandbox: one bot, its users' private chats, pending updates, and change notification."""

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.sandbox import keyboards, markup
from bot.sandbox.buckets import TokenBucket, retry_after
from bot.sandbox.errors import BotApiError, SandboxError
from bot.sandbox.files import FileStore
from bot.sandbox.records import (
    CallbackQueryRecord,
    ChatRecord,
    MessageRecord,
    SandboxUser,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_TOKEN = "123456:SANDBOX-TOKEN"  # noqa: S105 (a fake token for the local emulator)
DEFAULT_UPDATES = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_join_request",
}


def commands_key(scope: dict[str, Any] | None, language_code: str | None) -> str:
    """Key the bot's command lists by scope and language, as setMyCommands does."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True) + "|" + (language_code or "")


class PersonaLike(Protocol):
    """What add_persona reads; bot.services.demo.Persona fits."""

    key: str
    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str
    role: Any
    merchant: str | None
    title: str | None


@dataclass
class Limits:
    """Flood limits; Telegram allows about 30 messages/s per bot and 1/s per chat."""

    enabled: bool = True
    bot_rate: float = 30.0
    bot_burst: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 4.0


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    ip_address: str = "127.0.0.1"


@dataclass
class _Waiters:
    event: asyncio.Event = field(default_factory=asyncio.Event)


class Sandbox:
    """Emulated Telegram for one bot: users, chats, updates; awaitable from tests."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_first_name: str = "gongbae",
        bot_username: str = "gongbae_sandbox_bot",
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        webhook_retry_delay: float = 0.2,
        webhook_max_delay: float = 5.0,
        time_zone: str = "Asia/Seoul",
    ) -> None:
        self.token = token
        self.time_zone = time_zone  # of the personas' phones: the web chat shows times in it
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.limits = limits or Limits()
        self.clock = clock
        self.wall_clock = wall_clock
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_delay = webhook_max_delay
        self.version = 0
        self.closed = False
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files = FileStore()
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: WebhookConfig | None = None
        self.allowed_updates: list[str] | None = None
        self.updates: list[dict[str, Any]] = []
        self.api_calls: Counter[str] = Counter()
        self.refused: Counter[int] = Counter()  # error code -> sends refused (403, 429)
        self._next_update_id = 1
        self._next_query_id = 1
        self._bot_bucket = self._bucket(self.limits.bot_rate, self.limits.bot_burst)
        self._waiters = _Waiters()
        self._webhook_sender: Any = None
        self.poll_generation = 0

    # -- change notification -------------------------------------------------------------

    def _bucket(self, rate: float, burst: float) -> TokenBucket:
        return TokenBucket(rate, burst, self.clock)

    def touch(self, chat: ChatRecord | None = None) -> int:
        """Record a change (optionally in one chat) and wake everyone waiting."""
        self.version += 1
        if chat is not None:
            chat.version = self.version
        self._waiters.event.set()
        self._waiters = _Waiters()
        return self.version

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float,  # noqa: ASYNC109 (a bounded wait is the point)
    ) -> bool:
        """Wait until predicate() is truthy, re-checking on every change; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._waiters.event
                    if predicate() or self.closed:
                        return bool(predicate())
                    await event.wait()
        except TimeoutError:
            return False

    async def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 5.0,  # noqa: ASYNC109 (tests read better with an explicit bound)
        *,
        what: str | None = None,
    ) -> T:
        """Return predicate()'s first truthy value, or raise TimeoutError with a state dump."""
        result: list[T] = []

        def check() -> bool:
            value = predicate()
            if value:
                result.append(value)
                return True
            return False

        if await self.wait_until(check, timeout):
            return result[-1]
        label = what or getattr(predicate, "__name__", repr(predicate))
        raise TimeoutError(f"Sandbox: {label} not met within {timeout} s\n{self.dump()}")

    async def wait_for_bot_message(
        self,
        chat_id: int,
        *,
        after_id: int = 0,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (as wait_for)
    ) -> MessageRecord:
        """Wait for a bot message in a chat newer than after_id (and containing a text)."""

        def found() -> MessageRecord | None:
            chat = self.chats.get(chat_id)
            if chat is None:
                return None
            for record in chat.messages.values():
                if (
                    record.from_bot
                    and not record.deleted
                    and record.message_id > after_id
                    and (contains is None or contains in (record.text or ""))
                ):
                    return record
            return None

        what = f"bot message in chat {chat_id} after #{after_id}"
        if contains is not None:
            what += f" containing {contains!r}"
        return await self.wait_for(found, timeout, what=what)

    async def wait_changed(self, since: int, timeout: float) -> int:  # noqa: ASYNC109
        """Wait until the version passes since (or timeout); return the version."""
        await self.wait_until(lambda: self.version > since, timeout)
        return self.version

    def close(self) -> None:
        """Release every long poll now (safe to call from a shutdown hook); idempotent."""
        self.closed = True
        self.touch()

    async def aclose(self) -> None:
        """Stop webhook delivery and release every long poll."""
        self.close()
        if self._webhook_sender is not None:
            await self._webhook_sender.stop()
            self._webhook_sender = None
        self.touch()

    # -- users and chats -----------------------------------------------------------------

    def add_user(
        self,
        telegram_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str = "ko",
        *,
        key: str | None = None,
        role: str | None = None,
        shop: str | None = None,
        title: str | None = None,
        phone: str | None = None,
    ) -> SandboxUser:
        """Register a user (persona) and open their private chat with the bot."""
        user = SandboxUser(
            id=telegram_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            key=key,
            role=str(role) if role is not None else None,
            shop=shop,
            title=title,
            phone=phone,
        )
        self.users[telegram_id] = user
        if telegram_id in self.chats:
            self.chats[telegram_id].user = user
        else:
            bucket = self._bucket(self.limits.chat_rate, self.limits.chat_burst)
            self.chats[telegram_id] = ChatRecord(user=user, bucket=bucket)
        self.touch(self.chats[telegram_id])
        return user

    def add_persona(self, persona: PersonaLike, phone: str | None = None) -> SandboxUser:
        """Register a demo persona (bot.services.demo.Persona or anything shaped like it)."""
        return self.add_user(
            persona.telegram_id,
            persona.first_name,
            persona.last_name,
            persona.username,
            persona.language_code,
            key=persona.key,
            role=persona.role,
            shop=persona.merchant,
            title=persona.title,
            phone=phone,
        )

    def user(self, user_id: int) -> SandboxUser:
        """Return a registered user, or raise SandboxError."""
        try:
            return self.users[user_id]
        except KeyError:
            raise SandboxError(f"no sandbox user {user_id}; call add_user first") from None

    def find_user(self, ref: int | str) -> SandboxUser:
        """Find a user by id, persona key or username."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.lstrip("-").isdigit()):
            return self.user(int(ref))
        for user in self.users.values():
            if ref in (user.key, user.username):
                return user
        raise SandboxError(f"no sandbox user {ref!r}")

    def block(self, user_id: int) -> None:
        """Make the user block the bot: sends to them answer 403."""
        self.user(user_id).blocked = True
        self.touch(self.chats[user_id])

    def unblock(self, user_id: int) -> None:
        """Make the user unblock the bot."""
        self.user(user_id).blocked = False
        self.touch(self.chats[user_id])

    def chat(self, chat_id: Any) -> ChatRecord:
        """Return a chat for a Bot API call, or raise 400 chat not found."""
        try:
            chat = self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise BotApiError.bad_request("chat not found")
        return chat

    # -- updates -------------------------------------------------------------------------

    def now(self) -> int:
        """Return the current Unix time in whole seconds."""
        return int(self.wall_clock())

    def _push_update(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: body}
        self._next_update_id += 1
        self.updates.append(update)
        logger.debug("Queued update %s (%s)", update["update_id"], kind)
        return update

    def pending_updates(self, allowed: list[str] | None = None) -> list[dict[str, Any]]:
        """Return queued updates of the allowed kinds, dropping the others for good."""
        kinds = set(allowed) if allowed else DEFAULT_UPDATES
        self.updates = [u for u in self.updates if not kinds.isdisjoint(u)]
        return list(self.updates)

    def confirm(self, offset: int) -> None:
        """Forget updates below offset; a negative offset keeps only the last -offset ones."""
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def drop_pending_updates(self) -> None:
        """Forget every queued update."""
        self.updates.clear()
        self.touch()

    # -- injecting user actions ----------------------------------------------------------

    def _user_message(self, user_id: int, **fields: Any) -> dict[str, Any]:
        user = self.user(user_id)
        chat = self.chats[user_id]
        user.blocked = False  # writing to a bot unblocks it
        record = MessageRecord(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            date=self.now(),
            from_bot=False,
            sender=user.to_api(),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[record.message_id] = record
        update = self._push_update("message", record.to_api(user.to_chat()))
        record.version = self.touch(chat)
        return update

    def _hide_one_time_keyboard(self, chat: ChatRecord, pressed: bool) -> None:
        keyboard = chat.reply_keyboard
        if pressed and keyboard and keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None

    def _keyboard_texts(self, chat: ChatRecord) -> set[str]:
        keyboard = chat.reply_keyboard or {}
        return {button["text"] for row in keyboard.get("keyboard", []) for button in row}

    def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        """Send a text message from the user to the bot; return the update."""
        if not text.strip():
            raise SandboxError("Telegram clients do not send empty messages")
        chat = self.chats.get(user_id)
        if chat is not None:
            self._hide_one_time_keyboard(chat, text in self._keyboard_texts(chat))
        entities = markup.detect_entities(text)
        return self._user_message(
            user_id, text=text, entities=entities, html=markup.render_html(text, entities)
        )

    def send_contact(
        self, user_id: int, phone: str, first_name: str | None = None
    ) -> dict[str, Any]:
        """Share the user's own contact with the bot; return the update."""
        user = self.user(user_id)
        self._hide_one_time_keyboard(self.chats[user_id], pressed=True)
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or user.first_name,
            "user_id": user.id,
        }
        if user.last_name and first_name is None:
            contact["last_name"] = user.last_name
        return self._user_message(user_id, contact=contact)

    def send_location(self, user_id: int, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location with the bot; return the update."""
        self.user(user_id)
        self._hide_one_time_keyboard(self.chats[user_id], pressed=True)
        return self._user_message(user_id, location={"latitude": latitude, "longitude": longitude})

    def send_document(
        self,
        user_id: int,
        filename: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a file from the user; the bot can fetch it with getFile; return the update."""
        self.user(user_id)
        stored = self.files.add(
            folder="documents", data=data, file_name=filename, mime_type=mime_type
        )
        fields: dict[str, Any] = {"document": stored}
        if caption:
            fields.update(text=caption, html=markup.render_html(caption))
        return self._user_message(user_id, **fields)

    def send_photo(
        self, user_id: int, data: bytes, *, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a picture from the user (PNG, JPEG...); return the update."""
        self.user(user_id)
        stored = self.files.add(folder="photos", data=data)
        fields: dict[str, Any] = {"photo": stored}
        if caption:
            fields.update(text=caption, html=markup.render_html(caption))
        return self._user_message(user_id, **fields)

    def press(
        self, user_id: int, message_id: int, callback_data: str, *, strict: bool = True
    ) -> dict[str, Any]:
        """Press an inline button on a bot message; return the callback_query update.

        With strict (the default) the message must still carry a button with that data,
        as a real client can only press what it shows.
        """
        user = self.user(user_id)
        chat = self.chats[user_id]
        record = chat.messages.get(message_id)
        if record is None or not record.from_bot or record.deleted:
            raise SandboxError(f"chat {user_id} has no bot message #{message_id} to press on")
        if strict and callback_data not in keyboards.callback_data(record.reply_markup):
            raise SandboxError(
                f"message #{message_id} in chat {user_id} has no button with callback_data "
                f"{callback_data!r}; it has {keyboards.callback_data(record.reply_markup)}"
            )
        query = CallbackQueryRecord(
            id=str(4_000_000_000_000 + self._next_query_id),
            user_id=user_id,
            chat_id=chat.id,
            message_id=message_id,
            data=callback_data,
        )
        self._next_query_id += 1
        self.callback_queries[query.id] = query
        body = {
            "id": query.id,
            "from": user.to_api(),
            "message": record.to_api(user.to_chat()),
            "chat_instance": str(7_000_000_000_000 + chat.id),
            "data": callback_data,
        }
        update = self._push_update("callback_query", body)
        query.version = self.touch(chat)
        return update

    def press_button(
        self, user_id: int, label: str, message_id: int | None = None
    ) -> dict[str, Any]:
        """Press the inline button labelled `label` on the newest bot message that has it."""
        self.user(user_id)
        chat = self.chats[user_id]
        candidates = [
            record
            for record in reversed(chat.messages.values())
            if record.from_bot
            and not record.deleted
            and (message_id is None or record.message_id == message_id)
        ]
        for record in candidates:
            button = keyboards.find_button(record.reply_markup, label)
            if button is None:
                continue
            if "callback_data" not in button:
                raise SandboxError(f"button {label!r} on #{record.message_id} is not a callback")
            return self.press(user_id, record.message_id, button["callback_data"])
        shown = [
            f"#{record.message_id}: {[b['text'] for row in record.buttons() for b in row]}"
            for record in candidates[:5]
            if record.buttons()
        ]
        raise SandboxError(
            f"no inline button {label!r} in chat {user_id}"
            + (f" (message #{message_id})" if message_id is not None else "")
            + f"; recent buttons: {shown or 'none'}"
        )

    # -- reading -------------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[MessageRecord]:
        """Return every message of a chat in order, deleted ones flagged."""
        chat = self.chats.get(chat_id)
        return list(chat.messages.values()) if chat else []

    def message(self, chat_id: int, message_id: int) -> MessageRecord | None:
        """Return one message record, or None."""
        chat = self.chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    def bot_messages(self, chat_id: int) -> list[MessageRecord]:
        """Return the bot's messages in a chat that are not deleted."""
        return [m for m in self.messages(chat_id) if m.from_bot and not m.deleted]

    def last_bot_message(self, chat_id: int) -> MessageRecord | None:
        """Return the bot's newest message in a chat that is not deleted."""
        messages = self.bot_messages(chat_id)
        return messages[-1] if messages else None

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """Return the reply keyboard the chat currently shows."""
        chat = self.chats.get(chat_id)
        return chat.reply_keyboard if chat else None

    def bot_commands(self, language_code: str | None = None) -> list[dict[str, Any]]:
        """Return the default-scope commands for a language, falling back to all languages."""
        return self.commands.get(commands_key(None, language_code)) or self.commands.get(
            commands_key(None, None), []
        )

    @property
    def callback_answers(self) -> list[CallbackQueryRecord]:
        """Return the answered callback queries, oldest first."""
        return [q for q in self.callback_queries.values() if q.answered]

    def dump(self, last: int = 8) -> str:
        """Describe the state for a failing test: chats, recent messages, queue, webhook."""
        lines = [
            f"version={self.version} pending_updates={[u['update_id'] for u in self.updates]}"
        ]
        if self.webhook:
            lines.append(
                f"webhook={self.webhook.url} last_error={self.webhook.last_error_message}"
            )
        for chat in self.chats.values():
            if not chat.messages:
                continue
            lines.append(f"chat {chat.id} ({chat.user.name}):")
            for record in list(chat.messages.values())[-last:]:
                flags = "".join(
                    flag
                    for flag, on in (("[edited]", record.edited), ("[deleted]", record.deleted))
                    if on
                )
                who = "bot " if record.from_bot else "user"
                body = record.text if record.text is not None else record.to_json()
                buttons = [b["text"] for row in record.buttons() for b in row]
                lines.append(
                    f"  #{record.message_id} {who}{flags}: {body!r}"
                    + (f" buttons={buttons}" if buttons else "")
                )
        return "\n".join(lines)

    # -- bot side (used by the Bot API routes) --------------------------------------------

    def check_send(self, chat: ChatRecord) -> None:
        """Refuse a send to a blocking user (403) or beyond flood limits (429)."""
        if chat.user.blocked:
            self.refused[403] += 1
            raise BotApiError.forbidden("bot was blocked by the user")
        if not self.limits.enabled:
            return
        chat.bucket.rate, chat.bucket.burst = self.limits.chat_rate, self.limits.chat_burst
        self._bot_bucket.rate = self.limits.bot_rate
        self._bot_bucket.burst = self.limits.bot_burst
        wait = max(self._bot_bucket.wait_time(), chat.bucket.wait_time())
        if wait > 0:
            self.refused[429] += 1
            raise BotApiError.too_many_requests(retry_after(wait))
        self._bot_bucket.take()
        chat.bucket.take()

    def add_bot_message(self, chat: ChatRecord, **fields: Any) -> MessageRecord:
        """Store a message the bot sent and return it."""
        record = MessageRecord(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            date=self.now(),
            from_bot=True,
            sender=self.bot_user,
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[record.message_id] = record
        chat.action = None
        record.version = self.touch(chat)
        return record

    def next_poll(self) -> int:
        """Start a getUpdates call; an older one still waiting is terminated (409)."""
        self.poll_generation += 1
        self.touch()
        return self.poll_generation

    def set_webhook_sender(self, sender: Any) -> None:
        """Remember the running webhook sender so aclose() can stop it."""
        self._webhook_sender = sender

    @property
    def webhook_sender(self) -> Any:
        """Return the running webhook sender, if any."""
        return self._webhook_sender
