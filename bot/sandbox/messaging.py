"""Bot API message methods: send, edit, delete, photos, documents, callback answers."""

import logging
from typing import Any

from bot.sandbox import keyboards, markup
from bot.sandbox.errors import BotApiError
from bot.sandbox.params import Params, Upload
from bot.sandbox.records import ChatRecord, MessageRecord, StoredFile
from bot.sandbox.state import Sandbox

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_TEXT = 200
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def format_text(params: Params, text_field: str, entities_field: str) -> markup.Formatted:
    """Turn text + parse_mode (or explicit entities) into stripped plain text and entities."""
    text = params.get_str(text_field) or ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, as \ud83d in JSON without its pair
        raise BotApiError.bad_request(f"{text_field} must be encoded in UTF-8") from None
    parse_mode = (params.get_str("parse_mode") or "").strip()
    if parse_mode.lower() == "html":
        try:
            formatted = markup.parse_html(text)
        except markup.EntityParseError as err:
            raise BotApiError.bad_request(f"can't parse entities: {err}") from None
    elif parse_mode == "":
        entities = params.get_json(entities_field) or []
        if not isinstance(entities, list):
            raise BotApiError.bad_request(f"can't parse {entities_field} JSON object")
        formatted = markup.Formatted(text, [e for e in entities if isinstance(e, dict)])
    elif parse_mode.lower() in {"markdown", "markdownv2"}:
        logger.warning("Sandbox does not emulate parse_mode %s; text kept verbatim", parse_mode)
        formatted = markup.Formatted(text, [])
    else:
        raise BotApiError.bad_request(f"unsupported parse_mode {parse_mode}")
    return markup.strip(formatted)


def _chat(sandbox: Sandbox, params: Params) -> ChatRecord:
    if "chat_id" not in params:
        raise BotApiError.bad_request("chat_id is empty")
    return sandbox.chat(params.raw["chat_id"])


def _apply_reply_keyboard(chat: ChatRecord, reply_markup: dict[str, Any] | None) -> None:
    if not reply_markup:
        return
    if "keyboard" in reply_markup:
        chat.reply_keyboard = reply_markup
    elif reply_markup.get("remove_keyboard"):
        chat.reply_keyboard = None


def _reply_to(chat: ChatRecord, params: Params) -> int | None:
    reply = params.get_json("reply_parameters") or {}
    message_id = reply.get("message_id") if isinstance(reply, dict) else None
    if message_id is None:
        message_id = params.get_int("reply_to_message_id")
    if message_id is None:
        return None
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        allow = isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        if allow or params.get_bool("allow_sending_without_reply"):
            return None
        raise BotApiError.bad_request("message to be replied not found")
    return target.message_id


def _send(
    sandbox: Sandbox, chat: ChatRecord, params: Params, formatted: markup.Formatted, **media: Any
) -> dict[str, Any]:
    reply_markup = keyboards.validate(
        params.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
    )
    reply_to = _reply_to(chat, params)
    sandbox.check_send(chat)
    _apply_reply_keyboard(chat, reply_markup)
    record = sandbox.add_bot_message(
        chat,
        text=formatted.text,
        entities=formatted.entities,
        html=markup.render_html(formatted.text, formatted.entities),
        raw_text=params.get_str("text") or params.get_str("caption"),
        parse_mode=params.get_str("parse_mode"),
        reply_markup=reply_markup if reply_markup and "inline_keyboard" in reply_markup else None,
        reply_to_message_id=reply_to,
        **media,
    )
    return record.to_api(chat.user.to_chat())


async def send_message(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """sendMessage."""
    chat = _chat(sandbox, params)
    formatted = format_text(params, "text", "entities")
    if not formatted.text:
        raise BotApiError.bad_request("message text is empty")
    if len(formatted.text) > MAX_TEXT:
        raise BotApiError.bad_request("message is too long")
    return _send(sandbox, chat, params, formatted)


def _media(sandbox: Sandbox, params: Params, field: str, folder: str) -> StoredFile:
    value = params.get_upload(field)
    if isinstance(value, Upload):
        return sandbox.files.add(
            folder=folder,
            data=value.data,
            file_name=value.filename,
            mime_type=value.content_type if value.content_type != "text/plain" else None,
        )
    if isinstance(value, str) and value:
        known = sandbox.files.get(value)
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            return sandbox.files.add(folder=folder, url=value)
        raise BotApiError.bad_request("wrong file identifier/HTTP URL specified")
    raise BotApiError.bad_request(f"there is no {field} in the request")


def _caption(params: Params) -> markup.Formatted:
    formatted = format_text(params, "caption", "caption_entities")
    if len(formatted.text) > MAX_CAPTION:
        raise BotApiError.bad_request("message caption is too long")
    return formatted


async def send_photo(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """sendPhoto: an upload, a known file_id or an HTTP URL."""
    chat = _chat(sandbox, params)
    photo = _media(sandbox, params, "photo", "photos")
    return _send(sandbox, chat, params, _caption(params), photo=photo)


async def send_document(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """sendDocument: an upload, a known file_id or an HTTP URL."""
    chat = _chat(sandbox, params)
    document = _media(sandbox, params, "document", "documents")
    return _send(sandbox, chat, params, _caption(params), document=document)


def _editable(sandbox: Sandbox, params: Params) -> tuple[ChatRecord, MessageRecord]:
    if "inline_message_id" in params:
        raise BotApiError.bad_request("message to edit not found")
    chat = _chat(sandbox, params)
    message_id = params.get_int("message_id")
    if message_id is None:
        raise BotApiError.bad_request("message identifier is not specified")
    record = chat.messages.get(message_id)
    if record is None or record.deleted or not record.from_bot:
        raise BotApiError.bad_request("message to edit not found")
    return chat, record


def _edited(
    sandbox: Sandbox,
    chat: ChatRecord,
    record: MessageRecord,
    formatted: markup.Formatted | None,
    reply_markup: dict[str, Any] | None,
) -> dict[str, Any]:
    same_text = formatted is None or (
        formatted.text == record.text and formatted.entities == record.entities
    )
    if same_text and reply_markup == record.reply_markup:
        raise BotApiError.bad_request(NOT_MODIFIED)
    sandbox.check_send(chat)
    if formatted is not None:
        record.text = formatted.text
        record.entities = formatted.entities
        record.html = markup.render_html(formatted.text, formatted.entities)
    record.reply_markup = reply_markup
    record.edited = True
    record.edit_date = sandbox.now()
    record.version = sandbox.touch(chat)
    return record.to_api(chat.user.to_chat())


def _inline_markup(params: Params) -> dict[str, Any] | None:
    return keyboards.validate(
        params.get_json("reply_markup", "can't parse reply keyboard markup JSON object"),
        inline_only=True,
    )


async def edit_message_text(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """editMessageText; leaving out reply_markup removes the inline keyboard."""
    chat, record = _editable(sandbox, params)
    if record.has_caption or record.text is None:
        raise BotApiError.bad_request("there is no text in the message to edit")
    formatted = format_text(params, "text", "entities")
    if not formatted.text:
        raise BotApiError.bad_request("message text is empty")
    if len(formatted.text) > MAX_TEXT:
        raise BotApiError.bad_request("message is too long")
    return _edited(sandbox, chat, record, formatted, _inline_markup(params))


async def edit_message_caption(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """editMessageCaption."""
    chat, record = _editable(sandbox, params)
    if not record.has_caption:
        raise BotApiError.bad_request("there is no caption in the message to edit")
    return _edited(sandbox, chat, record, _caption(params), _inline_markup(params))


async def edit_message_reply_markup(sandbox: Sandbox, params: Params) -> dict[str, Any]:
    """editMessageReplyMarkup."""
    chat, record = _editable(sandbox, params)
    return _edited(sandbox, chat, record, None, _inline_markup(params))


async def delete_message(sandbox: Sandbox, params: Params) -> bool:
    """deleteMessage: mark the message deleted."""
    chat = _chat(sandbox, params)
    record = chat.messages.get(params.get_int("message_id") or 0)
    if record is None or record.deleted:
        raise BotApiError.bad_request("message to delete not found")
    record.deleted = True
    record.version = sandbox.touch(chat)
    return True


async def answer_callback_query(sandbox: Sandbox, params: Params) -> bool:
    """answerCallbackQuery: store the toast or alert for the web chat, once per query."""
    query = sandbox.callback_queries.get(params.get_str("callback_query_id") or "")
    if query is None or query.answered:
        raise BotApiError.bad_request(
            "query is too old and response timeout expired or query ID is invalid"
        )
    text = params.get_str("text")
    if text is not None and len(text) > MAX_CALLBACK_TEXT:
        raise BotApiError.bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.text = text or None
    query.show_alert = params.get_bool("show_alert")
    query.url = params.get_str("url")
    query.version = sandbox.touch(sandbox.chats.get(query.chat_id))
    return True


async def send_chat_action(sandbox: Sandbox, params: Params) -> bool:
    """sendChatAction: remember the action so the web chat can show it."""
    chat = _chat(sandbox, params)
    action = params.get_str("action")
    if action not in CHAT_ACTIONS:
        raise BotApiError.bad_request("wrong parameter action in request")
    if chat.user.blocked:
        raise BotApiError.forbidden("bot was blocked by the user")
    chat.action = action
    sandbox.touch(chat)
    return True


METHODS = {
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "senddocument": send_document,
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
}
