"""End-to-end client: act as a persona in the sandbox and read what the real bot answered."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.runner import Stack
from bot.sandbox import MessageRecord, Sandbox

TIMEOUT = 10.0


class ChatClient:
    """Send text and press buttons as a persona; each call returns once the bot has answered.

    It waits for the update to be handled (ChatOrderedProcessor tells when), never sleeps,
    and returns the bot messages that were sent or edited while handling it.
    """

    def __init__(
        self,
        stack: Stack | None = None,
        *,
        sandbox: Sandbox | None = None,
        processed: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """Play in `stack`'s sandbox; or, with several instances, in `sandbox`, waiting for
        an update with `processed(update_id)`."""
        sandbox = sandbox or (stack.sandbox if stack is not None else None)
        assert sandbox is not None
        self.sandbox: Sandbox = sandbox
        if processed is None:
            assert stack is not None
            processed = stack.processor.wait_processed
        self.processed = processed

    def user_id(self, who: int | str) -> int:
        """A persona key (resident-jiyoung) or Telegram id, as a Telegram id."""
        return self.sandbox.find_user(who).id

    def _versions(self, chat_id: int) -> dict[int, int]:
        return {m.message_id: m.version for m in self.sandbox.bot_messages(chat_id)}

    async def _handled(self, chat_id: int, update: dict[str, Any]) -> list[MessageRecord]:
        before = self._versions(chat_id)
        async with asyncio.timeout(TIMEOUT):
            await self.processed(update["update_id"])
        return [
            m
            for m in self.sandbox.bot_messages(chat_id)
            if before.get(m.message_id) != m.version and not m.deleted
        ]

    async def send(self, who: int | str, text: str) -> list[MessageRecord]:
        """Write `text` as the persona; return the bot's new or edited messages."""
        chat_id = self.user_id(who)
        return await self._handled(chat_id, self.sandbox.send_text(chat_id, text))

    async def send_file(self, who: int | str, filename: str, data: bytes) -> list[MessageRecord]:
        """Send a document as the persona; return the bot's new or edited messages."""
        chat_id = self.user_id(who)
        return await self._handled(chat_id, self.sandbox.send_document(chat_id, filename, data))

    async def send_photo(self, who: int | str, data: bytes) -> list[MessageRecord]:
        """Send a picture as the persona; return the bot's new or edited messages."""
        chat_id = self.user_id(who)
        return await self._handled(chat_id, self.sandbox.send_photo(chat_id, data))

    async def send_location(
        self, who: int | str, latitude: float, longitude: float
    ) -> list[MessageRecord]:
        """Share a location as the persona; return the bot's new or edited messages."""
        chat_id = self.user_id(who)
        update = self.sandbox.send_location(chat_id, latitude, longitude)
        return await self._handled(chat_id, update)

    async def press(self, who: int | str, label: str) -> list[MessageRecord]:
        """Press the newest inline button labelled `label`; return what changed."""
        chat_id = self.user_id(who)
        return await self._handled(chat_id, self.sandbox.press_button(chat_id, label))

    async def press_data(self, who: int | str, message_id: int, data: str) -> list[MessageRecord]:
        """Press with raw callback_data (forged or replayed buttons), even if not shown."""
        chat_id = self.user_id(who)
        update = self.sandbox.press(chat_id, message_id, data, strict=False)
        return await self._handled(chat_id, update)

    async def choose_options(self, who: int | str, most: int = 5) -> None:
        """Answer each option question with its first choice; fail after `most` of them."""
        # a press that leaves the question in place (a failing handler) must not loop forever
        for _ in range(most):
            if "골라 주세요" not in (self.last(who).text or ""):
                return
            await self.press(who, self.buttons(who)[0])
        assert "골라 주세요" not in (self.last(who).text or ""), self.last(who).text

    def last(self, who: int | str) -> MessageRecord:
        """The bot message that changed last in the persona's chat (sent or edited)."""
        messages = [m for m in self.sandbox.bot_messages(self.user_id(who)) if not m.deleted]
        assert messages, "the bot has not written to this chat"
        return max(messages, key=lambda m: (m.version, m.message_id))

    def buttons(self, who: int | str) -> list[str]:
        """Labels of the inline buttons on the newest bot message."""
        return [button["text"] for row in self.last(who).buttons() for button in row]

    def answers(self, who: int | str) -> list[str]:
        """Texts of the callback answers (toasts and alerts) shown to the persona."""
        chat_id = self.user_id(who)
        return [a.text or "" for a in self.sandbox.callback_answers if a.chat_id == chat_id]
