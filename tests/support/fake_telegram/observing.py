"""What the people see, and what the bot did on the platform, for tests to read and await."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from .changes import ChangeSignal
from .models import CallbackAnswer, CallbackQuery, FakeMessage, FakeUser, StoredUpdate
from .state import TelegramState, WebhookSettings

T = TypeVar("T")
Chat = FakeUser | int


def chat_id_of(chat: Chat) -> int:
    return chat.id if isinstance(chat, FakeUser) else int(chat)


class PlatformObservations:
    """Mixin of :class:`FakeTelegram`: reading chats, waiting for the bot, platform records."""

    state: TelegramState
    _read_positions: dict[int, int]

    # ---- what the people see --------------------------------------------------------------

    def messages_in(
        self, chat: Chat, *, from_bot: bool | None = True, include_deleted: bool = False
    ) -> list[FakeMessage]:
        """Messages of a chat in order: the bot's by default, ``from_bot=None`` for both sides."""
        return [
            message
            for message in self.state.messages.get(chat_id_of(chat), [])
            if (from_bot is None or message.from_bot == from_bot)
            and (include_deleted or not message.deleted)
        ]

    def last_message(self, chat: Chat) -> FakeMessage | None:
        """The newest bot message the user still sees, or None."""
        shown = self.messages_in(chat)
        return shown[-1] if shown else None

    def message(self, chat: Chat, message_id: int) -> FakeMessage:
        """A message by id, deleted ones included (``.deleted`` tells)."""
        for message in self.state.messages.get(chat_id_of(chat), []):
            if message.message_id == message_id:
                return message
        raise AssertionError(f"chat {chat_id_of(chat)} never had message {message_id}")

    async def wait_for_message(
        self,
        chat: Chat,
        predicate: Callable[[FakeMessage], bool] | None = None,
        timeout: float = 10.0,
    ) -> FakeMessage:
        """The next bot message in ``chat`` not yet returned by an earlier call (matching
        ``predicate`` if given; non-matching messages before it are passed over)."""
        chat_id = chat_id_of(chat)

        def next_message() -> FakeMessage | None:
            history = self.state.messages.get(chat_id, [])
            for index in range(self._read_positions.get(chat_id, 0), len(history)):
                message = history[index]
                if message.from_bot and (predicate is None or predicate(message)):
                    self._read_positions[chat_id] = index + 1
                    return message
            return None

        try:
            return await self.state.changes.wait_until(next_message, timeout)
        except TimeoutError:
            seen = [m.visible_text for m in self.messages_in(chat_id)]
            raise AssertionError(
                f"no new bot message in chat {chat_id} within {timeout} s; bot messages: {seen}"
            ) from None

    async def wait_until(self, condition: Callable[[], T | None], timeout: float = 10.0) -> T:
        """The first truthy ``condition()``, re-checked on every change of the platform."""
        return await self.state.changes.wait_until(condition, timeout)

    @property
    def changes(self) -> ChangeSignal:
        return self.state.changes

    def reply_keyboard(self, chat: Chat) -> dict[str, Any] | None:
        """The reply keyboard the user's input field shows now (None when removed or never)."""
        for message in reversed(self.messages_in(chat, include_deleted=True)):
            markup = message.reply_keyboard
            if markup is None or "force_reply" in markup:
                continue
            return None if "remove_keyboard" in markup else markup
        return None

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return [q.answer for q in self.state.callback_queries.values() if q.answer is not None]

    async def wait_for_callback_answer(
        self, query: CallbackQuery | str, timeout: float = 10.0
    ) -> CallbackAnswer:
        query_id = query.id if isinstance(query, CallbackQuery) else query
        stored = self.state.callback_queries[query_id]
        try:
            return await self.state.changes.wait_until(lambda: stored.answer, timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not answer callback query {query_id} within {timeout} s"
            ) from None

    def chat_actions(self, chat: Chat) -> list[str]:
        return [a.action for a in self.state.chat_actions if a.chat_id == chat_id_of(chat)]

    def file_bytes(self, file_id: str) -> bytes:
        return self.state.files[file_id].content

    @property
    def pending_updates(self) -> list[StoredUpdate]:
        """Updates the bot has not confirmed yet (with an offset above their ids)."""
        return list(self.state.updates)

    @property
    def update_log(self) -> list[StoredUpdate]:
        """Every update ever queued for the bot, confirmed or not, in update_id order."""
        return list(self.state.update_log)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The command menu set with setMyCommands for a scope and language."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True), language_code
        return list(self.state.commands.get(key, []))

    @property
    def webhook(self) -> WebhookSettings:
        return self.state.webhook
