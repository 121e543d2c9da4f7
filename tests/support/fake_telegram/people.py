"""The simulated people: what they send and press, arriving at the bot as real updates."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import Any

from .clock import unix_time
from .errors import ApiError
from .media import image_size
from .models import CallbackQuery, FakeMessage, FakeUser
from .state import TelegramState
from .text import command_entities

Moment = datetime | float | int


class SimulatedPeople:
    """Mixin of :class:`FakeTelegram`: the people's side of the chats."""

    state: TelegramState

    def _date(self, date: Moment | None) -> int:
        return self.state.now() if date is None else unix_time(date)

    # ---- simulated people -----------------------------------------------------------------

    def user(
        self,
        id: int,
        first_name: str,
        last_name: str = "",
        username: str = "",
        language_code: str = "sl",
    ) -> FakeUser:
        """A person with a private chat (chat id == user id). The bot can write to them only
        after they wrote to it, as on the platform (403 "bot can't initiate conversation")."""
        if id <= 0:
            raise ValueError("user ids are positive")
        return self.state.add_user(FakeUser(id, first_name, last_name, username, language_code))

    def _writing_user(self, user: FakeUser) -> FakeUser:
        known = self.state.users.get(user.id)
        if known is None:
            raise AssertionError(f"user {user.id} was not created with fake.user(...)")
        if user.id in self.state.blocked:
            raise AssertionError(f"user {user.id} blocked the bot; call user_unblocks_bot first")
        self.state.started.add(user.id)
        return known

    def _incoming(self, user: FakeUser, date: Moment | None, **content: Any) -> FakeMessage:
        sender = self._writing_user(user)
        when = self._date(date)
        message = self.state.add_message(
            sender.private_chat_api(), sender.to_api(), False, when, **content
        )
        self.state.enqueue_update("message", message.to_api(), when)
        return message

    async def user_sends_text(
        self,
        user: FakeUser,
        text: str,
        *,
        date: Moment | None = None,
        reply_to: int | None = None,
    ) -> FakeMessage:
        """A text message from ``user``; commands ("/start CODE") carry bot_command entities.
        ``date`` sets the platform timestamp of this message; ``reply_to`` a message id."""
        if not text.strip():
            raise ValueError("the platform does not deliver empty messages")
        replied = self._visible(user.id, reply_to) if reply_to is not None else None
        message = self._incoming(
            user, date, text=text, entities=command_entities(text), reply_to=replied
        )
        await asyncio.sleep(0)
        return message

    async def user_forwards_text(
        self,
        user: FakeUser,
        text: str,
        *,
        origin: FakeUser | str,
        origin_date: Moment,
        date: Moment | None = None,
    ) -> FakeMessage:
        """A forwarded text; ``origin`` is the original author or, for a hidden account, a name."""
        forward_origin: dict[str, Any] = {"date": unix_time(origin_date)}
        if isinstance(origin, FakeUser):
            forward_origin.update(type="user", sender_user=origin.to_api())
        else:
            forward_origin.update(type="hidden_user", sender_user_name=origin)
        message = self._incoming(user, date, text=text, forward_origin=forward_origin)
        await asyncio.sleep(0)
        return message

    async def user_sends_document(
        self,
        user: FakeUser,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
        date: Moment | None = None,
    ) -> FakeMessage:
        """A file from ``user``; the bot downloads it with getFile and the /file/ path."""
        if not content:
            raise ValueError("the platform does not accept empty files")
        stored = self.state.store_file(content, "documents", filename, mime_type)
        message = self._incoming(user, date, document=stored, caption=caption)
        await asyncio.sleep(0)
        return message

    async def user_sends_photo(
        self,
        user: FakeUser,
        content: bytes,
        *,
        caption: str | None = None,
        date: Moment | None = None,
    ) -> FakeMessage:
        try:
            width, height = image_size(content)
        except ApiError as exc:
            raise ValueError(f"not a usable image: {exc.description}") from exc
        stored = self.state.store_file(content, "photos", None, "image/jpeg", width, height)
        message = self._incoming(user, date, photo=stored, caption=caption)
        await asyncio.sleep(0)
        return message

    async def user_presses_button(
        self,
        user: FakeUser,
        message_id: int,
        callback_data: str,
        *,
        date: Moment | None = None,
    ) -> CallbackQuery:
        """Press the inline button carrying ``callback_data`` under a bot message the user sees.

        Fails loudly if the message is gone or has no such button. The callback_query update
        has no date on the wire (the platform sends none); ``date`` is kept on the fake's side.
        """
        message = self._visible(user.id, message_id)
        if callback_data not in message.callback_data:
            offered = [
                (button.text, button.callback_data) for row in message.buttons for button in row
            ]
            raise AssertionError(
                f"message {message_id} in chat {user.id} has no button with callback_data "
                f"{callback_data!r}; buttons: {offered}"
            )
        self._writing_user(user)
        when = self._date(date)
        query = CallbackQuery(
            id=str(secrets.randbits(63)),
            user=user,
            message=message,
            data=callback_data,
            chat_instance=self.state.chat_instance(user.id),
            pressed_at=when,
        )
        self.state.callback_queries[query.id] = query
        self.state.enqueue_update("callback_query", query.to_api(), when)
        await asyncio.sleep(0)
        return query

    async def user_presses_labelled(
        self, user: FakeUser, message_id: int, label: str, *, date: Moment | None = None
    ) -> CallbackQuery:
        """Press the button whose visible text is ``label``."""
        button = self._visible(user.id, message_id).button(label)
        if button.callback_data is None:
            raise AssertionError(f"button {label!r} opens a URL, it sends nothing to the bot")
        return await self.user_presses_button(user, message_id, button.callback_data, date=date)

    async def user_blocks_bot(self, user: FakeUser, *, date: Moment | None = None) -> None:
        """From now on sends to ``user`` fail with 403; the bot gets a my_chat_member update."""
        self._writing_user(user)
        self.state.blocked.add(user.id)
        self._member_status_update(user, "member", "kicked", self._date(date))
        await asyncio.sleep(0)

    async def user_unblocks_bot(self, user: FakeUser, *, date: Moment | None = None) -> None:
        self.state.blocked.discard(user.id)
        self._member_status_update(user, "kicked", "member", self._date(date))
        await asyncio.sleep(0)

    def _member_status_update(self, user: FakeUser, old: str, new: str, when: int) -> None:
        def member(status: str) -> dict[str, Any]:
            entry: dict[str, Any] = {"user": self.state.bot.to_api(), "status": status}
            if status == "kicked":
                entry["until_date"] = 0
            return entry

        payload = {
            "chat": user.private_chat_api(),
            "from": user.to_api(),
            "date": when,
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self.state.enqueue_update("my_chat_member", payload, when)

    def _visible(self, chat_id: int, message_id: int) -> FakeMessage:
        message = self.state.find_message(chat_id, message_id)
        if message is None:
            shown = [m.message_id for m in self.state.messages.get(chat_id, []) if not m.deleted]
            raise AssertionError(
                f"chat {chat_id} shows no message {message_id}; visible message ids: {shown}"
            )
        return message
