"""Documents and photos the bot sends, and getFile for downloading what users sent."""

from __future__ import annotations

import mimetypes
from typing import Any

from .api_common import Handler, chat_id_param
from .api_messages import caption_text, deliver
from .errors import ApiError, bad_request
from .media import image_size
from .models import StoredFile
from .state import TelegramState
from .wire import ApiCall, UploadedFile

MAX_UPLOAD_BYTES = {"document": 50 * 1024 * 1024, "photo": 10 * 1024 * 1024}
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
WRONG_FILE = "wrong file identifier/HTTP URL specified"


def _upload_for(call: ApiCall, field: str) -> UploadedFile | str | None:
    """The uploaded part for ``field`` (sent directly or as ``attach://name``), else its value."""
    if field in call.uploads:
        return call.uploads[field]
    value = call.params.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        attached = call.uploads.get(value.removeprefix("attach://"))
        if attached is None:
            raise bad_request(f'can\'t find attached file "{value}"')
        return attached
    return value if isinstance(value, str) and value else None


def input_file(state: TelegramState, call: ApiCall, field: str) -> StoredFile:
    """Store an upload, or look up a file_id sent again, the way sendDocument/sendPhoto do."""
    source = _upload_for(call, field)
    if source is None:
        raise bad_request(f"there is no {field} in the request")
    if isinstance(source, str):
        known = state.files.get(source)
        if known is None:
            # The fake never fetches URLs: anything but a known file_id is refused.
            raise bad_request(WRONG_FILE)
        return known
    if not source.data:
        raise bad_request("file must be non-empty")
    if len(source.data) > MAX_UPLOAD_BYTES[field]:
        raise ApiError(413, "Request Entity Too Large")
    if field == "photo":
        width, height = image_size(source.data)
        return state.store_file(source.data, "photos", None, "image/jpeg", width, height)
    mime_type = source.content_type
    if mime_type in ("", "application/octet-stream"):
        mime_type = mimetypes.guess_type(source.filename)[0] or "application/octet-stream"
    return state.store_file(source.data, "documents", source.filename, mime_type)


async def send_document(state: TelegramState, call: ApiCall) -> Any:
    user = state.private_chat(chat_id_param(call.params))
    stored = input_file(state, call, "document")
    caption, entities = caption_text(call.params)
    return deliver(
        state, user, call.params, document=stored, caption=caption, caption_entities=entities
    )


async def send_photo(state: TelegramState, call: ApiCall) -> Any:
    user = state.private_chat(chat_id_param(call.params))
    stored = input_file(state, call, "photo")
    if stored.width is None:
        raise bad_request("type of file mismatch")
    caption, entities = caption_text(call.params)
    return deliver(
        state, user, call.params, photo=stored, caption=caption, caption_entities=entities
    )


async def get_file(state: TelegramState, call: ApiCall) -> Any:
    stored = state.files.get(str(call.params.get("file_id", "")))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.file_api()


HANDLERS: dict[str, Handler] = {
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "getFile": get_file,
}
