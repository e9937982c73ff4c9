"""Reply markup validation: inline keyboards, reply keyboards, keyboard removal."""

from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.errors import BotApiError

MAX_CALLBACK_DATA = 64
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
URL_SCHEMES = {"http", "https", "tg"}


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        kind = "InlineKeyboardMarkup" if key == "inline_keyboard" else "ReplyKeyboardMarkup"
        raise BotApiError.bad_request(f'field "{key}" of the {kind} must be an Array of Arrays')
    return rows


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise BotApiError.bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BotApiError.bad_request(
            "can't parse inline keyboard button: Text must be a non-empty String"
        )
    actions = [name for name in INLINE_ACTIONS if name in button]
    if not actions:
        raise BotApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise BotApiError.bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise BotApiError.bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or urlsplit(url).scheme.lower() not in URL_SCHEMES:
            raise BotApiError.bad_request("BUTTON_URL_INVALID")
    return {key: value for key, value in button.items() if key == "text" or key in actions}


def _reply_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise BotApiError.bad_request(
            "can't parse keyboard button: KeyboardButton must be a String or an Object"
        )
    if not button["text"].strip():
        raise BotApiError.bad_request("can't parse keyboard button: Text must be non-empty")
    return button


def validate(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Check a reply_markup like the Bot API and return it normalized, or None when absent."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BotApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = [[_inline_button(b) for b in row] for row in _rows(markup, "inline_keyboard")]
        rows = [row for row in rows if row]
        return {"inline_keyboard": rows} if rows else None
    if inline_only:
        raise BotApiError.bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = [[_reply_button(b) for b in row] for row in _rows(markup, "keyboard")]
        return {**markup, "keyboard": [row for row in rows if row]}
    if markup.get("remove_keyboard") is True:
        return {"remove_keyboard": True}
    if markup.get("force_reply") is True:
        return {**markup}
    raise BotApiError.bad_request("can't parse reply keyboard markup JSON object")


def callback_data(markup: dict[str, Any] | None) -> list[str]:
    """List the callback_data values of an inline keyboard."""
    if not markup:
        return []
    return [
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


def find_button(markup: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    """Find an inline button by its exact text, then by a case-insensitive match."""
    if not markup:
        return None
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    exact = next((b for b in buttons if b["text"] == label), None)
    if exact is not None:
        return exact
    folded = label.strip().casefold()
    return next((b for b in buttons if b["text"].strip().casefold() == folded), None)
