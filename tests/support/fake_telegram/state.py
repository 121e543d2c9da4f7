"""Everything the fake platform remembers: users, chats, messages, files and the update queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from .changes import ChangeSignal
from .clock import PlatformClock
from .errors import (
    BOT_BLOCKED,
    CANNOT_INITIATE,
    CHAT_NOT_FOUND,
    bad_request,
    forbidden,
)
from .models import CallbackQuery, ChatAction, FakeMessage, FakeUser, StoredFile, StoredUpdate

# Sent to a bot unless it asked otherwise (the Bot API's default for allowed_updates).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass(frozen=True)
class BotIdentity:
    id: int
    token: str
    first_name: str
    username: str

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def get_me_api(self) -> dict[str, Any]:
        return {
            **self.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }


@dataclass
class WebhookSettings:
    url: str = ""
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    secret_token: str | None = None


@dataclass
class TelegramState:
    bot: BotIdentity
    clock: PlatformClock = field(default_factory=PlatformClock)
    changes: ChangeSignal = field(default_factory=ChangeSignal)
    users: dict[int, FakeUser] = field(default_factory=dict)
    started: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    messages: dict[int, list[FakeMessage]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    updates: list[StoredUpdate] = field(default_factory=list)
    update_log: list[StoredUpdate] = field(default_factory=list)
    allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    callback_queries: dict[str, CallbackQuery] = field(default_factory=dict)
    chat_actions: list[ChatAction] = field(default_factory=list)
    chat_instances: dict[int, str] = field(default_factory=dict)
    poll_generation: int = 0
    closing: bool = False
    _next_update_id: int = field(default_factory=lambda: secrets.randbelow(10**8) + 10**8)
    _next_message_ids: dict[int, int] = field(default_factory=dict)
    _file_counter: int = 0

    def now(self) -> int:
        return self.clock.now()

    # ---- people and chats -------------------------------------------------------------

    def add_user(self, user: FakeUser) -> FakeUser:
        known = self.users.get(user.id)
        if known is not None and known != user:
            raise ValueError(f"user {user.id} already exists as {known}")
        self.users[user.id] = user
        return user

    def private_chat(self, chat_id: Any) -> FakeUser:
        """The user behind a chat the bot writes to, refused as the platform refuses it."""
        user = self.users.get(chat_id) if isinstance(chat_id, int) else self._by_username(chat_id)
        if user is None:
            raise bad_request(CHAT_NOT_FOUND)
        if user.id in self.blocked:
            raise forbidden(BOT_BLOCKED)
        if user.id not in self.started:
            raise forbidden(CANNOT_INITIATE)
        return user

    def known_chat(self, chat_id: Any) -> FakeUser:
        """A chat the bot has seen (even if the user blocked it since), for reads and edits."""
        user = self.users.get(chat_id) if isinstance(chat_id, int) else self._by_username(chat_id)
        if user is None or user.id not in self.started:
            raise bad_request(CHAT_NOT_FOUND)
        return user

    def _by_username(self, chat_id: Any) -> FakeUser | None:
        if chat_id is None:
            raise bad_request("chat_id is empty")
        name = str(chat_id).removeprefix("@").lower()
        return next((u for u in self.users.values() if u.username.lower() == name), None)

    def chat_instance(self, chat_id: int) -> str:
        if chat_id not in self.chat_instances:
            self.chat_instances[chat_id] = str(-(secrets.randbits(62) + 1))
        return self.chat_instances[chat_id]

    # ---- messages ---------------------------------------------------------------------

    def add_message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        from_bot: bool,
        date: int,
        **content: Any,
    ) -> FakeMessage:
        chat_id = int(chat["id"])
        message_id = self._next_message_ids.get(chat_id, 1)
        self._next_message_ids[chat_id] = message_id + 1
        message = FakeMessage(
            message_id=message_id,
            chat=chat,
            sender=sender,
            from_bot=from_bot,
            date=date,
            **content,
        )
        self.messages.setdefault(chat_id, []).append(message)
        self.changes.notify()
        return message

    def find_message(self, chat_id: int, message_id: int) -> FakeMessage | None:
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    # ---- files ------------------------------------------------------------------------

    def store_file(
        self,
        content: bytes,
        folder: str,
        file_name: str | None,
        mime_type: str | None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        self._file_counter += 1
        suffix = _suffix(file_name, mime_type)
        stored = StoredFile(
            file_id=secrets.token_urlsafe(48),
            file_unique_id=secrets.token_urlsafe(12),
            file_path=f"{folder}/file_{self._file_counter}{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    # ---- updates ----------------------------------------------------------------------

    def enqueue_update(self, kind: str, payload: dict[str, Any], date: int) -> StoredUpdate | None:
        """Queue an update; like the platform, drop kinds the bot did not ask for."""
        if kind not in self.allowed_updates:
            return None
        update = StoredUpdate(self._next_update_id, kind, payload, date)
        self._next_update_id += 1
        self.updates.append(update)
        self.update_log.append(update)
        self.changes.notify()
        return update

    def confirm_updates(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last -offset."""
        if offset > 0:
            self.updates = [u for u in self.updates if u.update_id >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

    def record_action(self, chat_id: int, action: str) -> None:
        self.chat_actions.append(ChatAction(chat_id, action, self.now()))
        self.changes.notify()


def _suffix(file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    if mime_type == "image/jpeg":
        return ".jpg"
    if mime_type == "image/png":
        return ".png"
    return ""
