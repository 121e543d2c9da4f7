"""Messages the bot sends, edits and deletes; button-press answers; chat actions; getChat."""

from __future__ import annotations

from typing import Any

from .api_common import Handler, chat_id_param, message_id_param
from .errors import bad_request
from .formatting import formatted_text
from .keyboards import split_markup
from .models import CallbackAnswer, FakeMessage, FakeUser
from .state import TelegramState
from .text import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, utf16_len
from .wire import ApiCall

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
CALLBACK_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
DELETE_WINDOW_SECONDS = 48 * 3600
CHAT_ACTIONS = frozenset(
    {
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
)


def message_text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    source = params.get("text")
    text, entities = formatted_text(
        "" if source is None else str(source), params.get("parse_mode"), params.get("entities")
    )
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:  # counted after parsing, in UTF-16 code units
        raise bad_request("message is too long")
    return text, entities


def caption_text(params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    source = params.get("caption")
    if source is None or source == "":
        return None, []
    caption, entities = formatted_text(
        str(source), params.get("parse_mode"), params.get("caption_entities")
    )
    if len(caption) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return caption or None, entities


def replied_message(
    state: TelegramState, chat_id: int, params: dict[str, Any]
) -> FakeMessage | None:
    """The message a send call replies to (``reply_parameters`` or the older field)."""
    reply = params.get("reply_parameters")
    if isinstance(reply, dict):
        target, lenient = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
    else:
        target = params.get("reply_to_message_id")
        lenient = bool(params.get("allow_sending_without_reply"))
    if target is None:
        return None
    found = state.find_message(chat_id, int(target))
    if found is None and not lenient:
        raise bad_request("message to be replied not found")
    return found


def deliver(
    state: TelegramState, user: FakeUser, params: dict[str, Any], **content: Any
) -> dict[str, Any]:
    """Store a bot message in the user's chat and return it as the Bot API's Message."""
    inline, other = split_markup(params.get("reply_markup"))
    message = state.add_message(
        user.private_chat_api(),
        state.bot.to_api(),
        True,
        state.now(),
        reply_markup=inline,
        reply_keyboard=other,
        reply_to=replied_message(state, user.id, params),
        **content,
    )
    return message.to_api()


async def send_message(state: TelegramState, call: ApiCall) -> Any:
    user = state.private_chat(chat_id_param(call.params))
    text, entities = message_text(call.params)
    return deliver(state, user, call.params, text=text, entities=entities)


def editable_message(state: TelegramState, params: dict[str, Any]) -> FakeMessage:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    user = state.known_chat(chat_id_param(params))
    message = state.find_message(user.id, message_id_param(params))
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def inline_markup_param(params: dict[str, Any]) -> dict[str, Any] | None:
    inline, other = split_markup(params.get("reply_markup"))
    if other is not None:
        raise bad_request("inline keyboard expected")
    return inline


def mark_edited(state: TelegramState, message: FakeMessage) -> dict[str, Any]:
    message.edit_date = state.now()
    message.edit_count += 1
    state.changes.notify()
    return message.to_api()


async def edit_message_text(state: TelegramState, call: ApiCall) -> Any:
    message = editable_message(state, call.params)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(call.params)
    # Leaving reply_markup out of an edit removes the inline keyboard, as on the platform.
    markup = inline_markup_param(call.params)
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, markup
    return mark_edited(state, message)


async def edit_message_caption(state: TelegramState, call: ApiCall) -> Any:
    message = editable_message(state, call.params)
    if message.file is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = caption_text(call.params)
    markup = inline_markup_param(call.params)
    if (caption, entities, markup) == (
        message.caption,
        message.caption_entities,
        message.reply_markup,
    ):
        raise bad_request(NOT_MODIFIED)
    message.caption, message.caption_entities, message.reply_markup = caption, entities, markup
    return mark_edited(state, message)


async def edit_message_reply_markup(state: TelegramState, call: ApiCall) -> Any:
    message = editable_message(state, call.params)
    markup = inline_markup_param(call.params)
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return mark_edited(state, message)


async def delete_message(state: TelegramState, call: ApiCall) -> Any:
    user = state.known_chat(chat_id_param(call.params))
    message = state.find_message(user.id, message_id_param(call.params))
    if message is None:
        raise bad_request("message to delete not found")
    if state.now() - message.date > DELETE_WINDOW_SECONDS:
        raise bad_request("message can't be deleted for everyone")
    message.deleted = True
    state.changes.notify()
    return True


async def answer_callback_query(state: TelegramState, call: ApiCall) -> Any:
    query = state.callback_queries.get(str(call.params.get("callback_query_id", "")))
    if query is None or query.answer is not None:
        raise bad_request(CALLBACK_QUERY_INVALID)
    text = call.params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = CallbackAnswer(
        callback_query_id=query.id,
        text=None if text is None else str(text),
        show_alert=bool(call.params.get("show_alert", False)),
        url=call.params.get("url"),
        cache_time=int(call.params.get("cache_time", 0) or 0),
    )
    state.changes.notify()
    return True


async def send_chat_action(state: TelegramState, call: ApiCall) -> Any:
    user = state.private_chat(chat_id_param(call.params))
    action = call.params.get("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.record_action(user.id, str(action))
    return True


async def get_chat(state: TelegramState, call: ApiCall) -> Any:
    user = state.known_chat(chat_id_param(call.params))
    return {
        **user.private_chat_api(),
        "accent_color_id": user.id % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
    "getChat": get_chat,
}
