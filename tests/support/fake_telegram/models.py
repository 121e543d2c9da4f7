"""What the fake platform stores: users, files, messages, callback queries, updates.

Each record renders itself as the Bot API object (``to_api``) and offers test-side views
("which buttons does the user see", "what bytes are in that document").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .text import entity_text


@dataclass(frozen=True)
class FakeUser:
    """A simulated person; their private chat with the bot has the same id as they do."""

    id: int
    first_name: str
    last_name: str = ""
    username: str = ""
    language_code: str = "sl"

    @property
    def chat_id(self) -> int:
        return self.id

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def private_chat_api(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class StoredFile:
    """A file kept by the platform, downloadable through getFile and the /file/ path."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_size(self) -> int:
        return len(self.content)

    def file_api(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }

    def document_api(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document

    def photo_api(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.file_size,
                "width": self.width or 0,
                "height": self.height or 0,
            }
        ]


@dataclass(frozen=True)
class InlineButton:
    """One button of an inline keyboard as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None

    @classmethod
    def from_api(cls, button: dict[str, Any]) -> InlineButton:
        return cls(
            text=button.get("text", ""),
            callback_data=button.get("callback_data"),
            url=button.get("url"),
        )


@dataclass
class FakeMessage:
    """A message in a chat, sent by the bot or by a simulated user; edits change it in place."""

    message_id: int
    chat: dict[str, Any]
    sender: dict[str, Any]
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    document: StoredFile | None = None
    photo: StoredFile | None = None
    reply_markup: dict[str, Any] | None = None
    reply_keyboard: dict[str, Any] | None = None
    reply_to: FakeMessage | None = None
    forward_origin: dict[str, Any] | None = None
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    @property
    def buttons(self) -> list[list[InlineButton]]:
        """Rows of the inline keyboard under the message (empty when it has none)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [[InlineButton.from_api(button) for button in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [
            button.callback_data
            for row in self.buttons
            for button in row
            if button.callback_data is not None
        ]

    def button(self, text: str) -> InlineButton:
        """The button labelled ``text``; fails loudly, listing the labels, when there is none."""
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        raise AssertionError(
            f"message {self.message_id} has no button {text!r}; buttons: {self.button_texts}"
        )

    @property
    def file(self) -> StoredFile | None:
        return self.document or self.photo

    @property
    def file_bytes(self) -> bytes:
        if self.file is None:
            raise AssertionError(f"message {self.message_id} carries no document or photo")
        return self.file.content

    @property
    def visible_text(self) -> str:
        """Text or caption, whichever the message shows."""
        return self.text if self.text is not None else (self.caption or "")

    def entity_texts(self, entity_type: str) -> list[str]:
        """The text pieces under entities of a type, e.g. ``"bold"``."""
        text, entities = (
            (self.text, self.entities)
            if self.text is not None
            else (self.caption or "", self.caption_entities)
        )
        return [entity_text(text, entity) for entity in entities if entity["type"] == entity_type]

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.forward_origin is not None:
            message["forward_origin"] = self.forward_origin
        if with_reply and self.reply_to is not None:
            message["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.document is not None:
            message["document"] = self.document.document_api()
        if self.photo is not None:
            message["photo"] = self.photo.photo_api()
        if self.caption:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class CallbackQuery:
    """A button press; ``answer`` is filled in when the bot calls answerCallbackQuery."""

    id: str
    user: FakeUser
    message: FakeMessage
    data: str
    chat_instance: str
    pressed_at: int
    answer: CallbackAnswer | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.user.to_api(),
            "message": self.message.to_api(),
            "chat_instance": self.chat_instance,
            "data": self.data,
        }


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press (the toast or alert the user sees)."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(frozen=True)
class ChatAction:
    chat_id: int
    action: str
    date: int


@dataclass(frozen=True)
class StoredUpdate:
    """An update waiting in the bot's queue. ``date`` is the platform time it was created at,
    kept for tests even for kinds (callback queries) whose wire form carries no date."""

    update_id: int
    kind: str
    payload: dict[str, Any]
    date: int

    def to_api(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}
