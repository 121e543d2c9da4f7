"""``reply_markup`` as the platform checks it.

Inline keyboards travel with the message (and come back in its ``reply_markup``); reply
keyboards, their removal and force-reply only change the user's input field, so the Bot API
does not return them, but the fake keeps them for tests to read.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)
_URL_SCHEMES = ("http://", "https://", "tg://")
MAX_CALLBACK_DATA_BYTES = 64


def split_markup(markup: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(inline keyboard, other markup); each checked, either may be None."""
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return checked_inline_keyboard(markup), None
    if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
        return None, dict(markup)
    raise bad_request("can't parse reply keyboard markup JSON object")


def checked_inline_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            _check_button(button)
    return {"inline_keyboard": [[dict(button) for button in row] for row in rows]}


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [name for name in _BUTTON_ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(_URL_SCHEMES) or len(url) < 9:
            raise bad_request("BUTTON_URL_INVALID")
