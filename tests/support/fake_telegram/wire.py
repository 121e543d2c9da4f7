"""The Bot API wire format: how calls arrive and how answers leave.

The Bot API takes parameters "in the query string, as application/x-www-form-urlencoded, as
application/json or as multipart/form-data (to upload files)". In every form but JSON each value
is a string, and fields of non-string types (integers, booleans, objects such as
``reply_markup``) arrive JSON-encoded; :func:`coerce_params` decodes them by field name the way
the platform does by field type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import ApiError, bad_request

INTEGER_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "max_connections",
        "user_id",
        "duration",
        "width",
        "height",
    }
)

BOOLEAN_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "show_alert",
        "drop_pending_updates",
        "has_spoiler",
        "show_caption_above_media",
    }
)

# Field -> the description Telegram gives when the JSON inside it does not parse.
JSON_FIELDS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse entities JSON object",
    "allowed_updates": "can't parse allowed updates JSON object",
    "commands": "can't parse commands JSON object",
    "scope": "can't parse BotCommandScope JSON object",
    "link_preview_options": "can't parse link preview options JSON object",
    "reply_parameters": "can't parse reply parameters JSON object",
    "media": "can't parse InputMedia JSON object",
}

_TRUE_WORDS = frozenset({"true", "1", "yes", "on"})


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart/form-data call."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ApiCall:
    """A decoded Bot API call: typed parameters plus uploaded file parts by field name."""

    params: dict[str, Any]
    uploads: dict[str, UploadedFile]


async def read_call(request: web.Request) -> ApiCall:
    """Collect a call's parameters from the query string and whatever body it carries."""
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            raw.update(await _read_json_body(request))
        elif content_type == "multipart/form-data":
            await _read_multipart(request, raw, uploads)
        else:
            # Telegram reads form fields from any other body, as browsers send them.
            form = await request.post()
            raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    return ApiCall(params=coerce_params(raw), uploads=uploads)


async def _read_json_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise bad_request("can't parse JSON encoded request") from exc
    if not isinstance(body, dict):
        raise bad_request("JSON object expected")
    return body


async def _read_multipart(
    request: web.Request, raw: dict[str, Any], uploads: dict[str, UploadedFile]
) -> None:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read(decode=True)
        if part.filename is not None:
            uploads[part.name] = UploadedFile(
                field=part.name,
                filename=part.filename,
                content_type=part.headers.get("Content-Type", "application/octet-stream"),
                data=bytes(data),
            )
        else:
            raw[part.name] = bytes(data).decode("utf-8", "replace")


def coerce_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Decode string-encoded values by field name; typed (JSON body) values pass through."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if name in INTEGER_FIELDS:
            params[name] = _as_integer(value)
        elif name in BOOLEAN_FIELDS:
            params[name] = _as_boolean(value)
        elif name in JSON_FIELDS:
            params[name] = _as_json(name, value)
        else:
            params[name] = value
    return params


def _as_integer(value: Any) -> Any:
    """Integers stay integers; a non-numeric string (``@channelname``) is kept for lookup."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return value
    return value


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    return str(value).strip().lower() in _TRUE_WORDS


def _as_json(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise bad_request(JSON_FIELDS[name]) from exc


def json_body(payload: Mapping[str, Any], status: int = 200) -> web.Response:
    """A JSON answer as Telegram sends it: UTF-8, non-ASCII left unescaped."""
    return web.Response(
        status=status,
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        content_type="application/json",
        charset="utf-8",
    )


def ok_response(result: Any, description: str | None = None) -> web.Response:
    payload: dict[str, Any] = {"ok": True, "result": result}
    if description is not None:
        payload["description"] = description
    return json_body(payload)


def error_response(error: ApiError) -> web.Response:
    """Telegram answers an error with the HTTP status equal to its ``error_code``."""
    return json_body(error.payload(), status=error.error_code)
