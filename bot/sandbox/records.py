"""Records the sandbox keeps: users, files, messages, callback queries, chats."""

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.buckets import TokenBucket


@dataclass
class SandboxUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str = "ko"
    key: str | None = None
    role: str | None = None
    shop: str | None = None
    title: str | None = None
    phone: str | None = None
    blocked: bool = False

    @property
    def name(self) -> str:
        """Return the display name: first and last name."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def to_api(self) -> dict[str, Any]:
        """Render as a Bot API User."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def to_chat(self) -> dict[str, Any]:
        """Render the user's private chat as a Bot API Chat."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def to_json(self) -> dict[str, Any]:
        """Render for the web chat's persona list."""
        return {
            "user_id": self.id,
            "key": self.key or str(self.id),
            "name": self.name,
            "username": self.username,
            "role": self.role,
            "language": self.language_code,
            "shop": self.shop,
            "title": self.title,
            "blocked": self.blocked,
        }


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes | None = None
    url: str | None = None
    mime_type: str | None = None
    file_name: str | None = None
    width: int = 0
    height: int = 0

    def to_photo(self) -> list[dict[str, Any]]:
        """Render as a Bot API PhotoSize list (one size)."""
        size: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
        }
        if self.data is not None:
            size["file_size"] = len(self.data)
        return [size]

    def to_document(self) -> dict[str, Any]:
        """Render as a Bot API Document."""
        document: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        if self.data is not None:
            document["file_size"] = len(self.data)
        return document

    def to_file(self) -> dict[str, Any]:
        """Render as a Bot API File (getFile)."""
        result: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_path": self.file_path,
        }
        if self.data is not None:
            result["file_size"] = len(self.data)
        return result


@dataclass
class MessageRecord:
    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    sender: dict[str, Any]
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    html: str = ""
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    contact: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edited: bool = False
    edit_date: int | None = None
    deleted: bool = False
    version: int = 0

    @property
    def has_caption(self) -> bool:
        """Tell whether the text is a media caption rather than a message text."""
        return self.photo is not None or self.document is not None

    def to_api(self, chat: dict[str, Any]) -> dict[str, Any]:
        """Render as a Bot API Message."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        key = "caption" if self.has_caption else "text"
        if self.text is not None and (self.text or not self.has_caption):
            message[key] = self.text
            if self.entities:
                message[f"{key}_entities" if self.has_caption else "entities"] = self.entities
        if self.photo is not None:
            message["photo"] = self.photo.to_photo()
        if self.document is not None:
            message["document"] = self.document.to_document()
        if self.contact is not None:
            message["contact"] = self.contact
        if self.location is not None:
            message["location"] = self.location
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message

    def buttons(self) -> list[list[dict[str, Any]]]:
        """Return the inline keyboard rows (empty when none)."""
        if not self.reply_markup:
            return []
        return self.reply_markup.get("inline_keyboard", [])

    def to_json(self) -> dict[str, Any]:
        """Render for the web chat: sanitized HTML, buttons, media, flags."""
        return {
            "message_id": self.message_id,
            "from": "bot" if self.from_bot else "user",
            "date": self.date,
            "text": self.text,
            "html": self.html,
            "inline_keyboard": self.buttons(),
            "photo": self.photo.file_id if self.photo else None,
            "document": self.document.file_name or self.document.file_id
            if self.document
            else None,
            "contact": self.contact,
            "location": self.location,
            "edited": self.edited,
            "deleted": self.deleted,
        }


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        """Render for the web chat's toasts."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "data": self.data,
            "answered": self.answered,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
            "version": self.version,
        }


@dataclass
class ChatRecord:
    user: SandboxUser
    bucket: TokenBucket
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    action: str | None = None
    version: int = 0

    @property
    def id(self) -> int:
        """Return the chat id (a private chat's id is its user's id)."""
        return self.user.id
