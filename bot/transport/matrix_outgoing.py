"""Showing an :class:`OutgoingMessage` in a Matrix room, and editing what was shown.

* Text goes out as ``m.room.message`` with the HTML in ``formatted_body`` and a plain ``body``.
* Choices become a native poll (answer ids = payloads). The poll's question is
  ``poll_question`` or the first line of the text; if the text says more than the question, the
  whole text goes out first as a message of its own, so nothing is lost.
* Files follow the text (or the poll), each uploaded encrypted in encrypted rooms.
* The returned reference is the poll when there are choices (edits close it), else the text,
  else the first file.

Edits: a text is replaced with ``m.replace``. A poll cannot be changed in place: editing it ends
it with ``m.poll.end`` (carrying the new text), and if the new message offers choices again those
go out as a new poll, whose reference is returned. Files cannot be added by an edit.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from nio import AsyncClient, EncryptionError, MegolmEvent, RoomGetEventResponse, UnknownEvent

from bot.domain.models import Platform
from bot.i18n import Translator
from bot.transport.events import (
    Capability,
    ChatRef,
    Choice,
    MessageRef,
    OutgoingMessage,
    UnsupportedCapability,
)
from bot.transport.html_text import html_to_plain
from bot.transport.matrix_content import (
    POLL_END_TYPE,
    POLL_START_TYPE,
    POLL_START_TYPES,
    edit_content,
    file_content,
    poll_end_content,
    poll_fallback_text,
    poll_start_content,
    text_content,
)
from bot.transport.matrix_incoming import ChoiceMemory
from bot.transport.matrix_sending import MatrixSender

log = logging.getLogger(__name__)

MAX_POLL_ANSWERS = 20  # MSC3381: clients show at most 20 answers
ROOM_MESSAGE = "m.room.message"


class OutgoingMessages:
    def __init__(
        self,
        client: AsyncClient,
        sender: MatrixSender,
        choices: ChoiceMemory,
        translate: Translator,
    ) -> None:
        self._client = client
        self._sender = sender
        self._choices = choices
        self._translate = translate

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        choices = message.flat_choices
        if len(choices) > MAX_POLL_ANSWERS:
            raise UnsupportedCapability(Platform.MATRIX, Capability.POLLS)
        room = await self._sender.room(chat.chat_id)
        first: MessageRef | None = None
        if choices:
            first = await self._send_poll(chat, message, choices)
        elif message.html.strip():
            first = await self._send_text(chat, message.html)
        for file in message.files:
            content_uri, keys = await self._sender.upload(file, encrypt=room.encrypted)
            event_id = await self._sender.send_event(
                chat.chat_id, ROOM_MESSAGE, file_content(file, content_uri, keys)
            )
            first = first or MessageRef(chat, event_id)
        if first is None:
            raise ValueError("An outgoing message needs text, choices or files.")
        return first

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        if message.files:
            raise UnsupportedCapability(Platform.MATRIX, Capability.EDIT)
        if await self._is_own_poll(ref):
            _ = self._translate
            text = html_to_plain(message.html).strip() or _("The vote is closed.")
            await self._sender.send_event(
                ref.chat.chat_id, POLL_END_TYPE, poll_end_content(ref.message_id, text)
            )
            self._choices.closed(ref)
            return await self.send(ref.chat, message) if message.flat_choices else ref
        if message.flat_choices:  # a text cannot turn into a poll in place
            return await self.send(ref.chat, message)
        await self._sender.send_event(
            ref.chat.chat_id, ROOM_MESSAGE, edit_content(ref.message_id, message.html)
        )
        return ref

    async def _send_text(self, chat: ChatRef, html: str) -> MessageRef:
        event_id = await self._sender.send_event(chat.chat_id, ROOM_MESSAGE, text_content(html))
        return MessageRef(chat, event_id)

    async def _send_poll(
        self, chat: ChatRef, message: OutgoingMessage, choices: tuple[Choice, ...]
    ) -> MessageRef:
        plain = html_to_plain(message.html).strip()
        question = message.poll_question.strip() or plain.split("\n", 1)[0].strip()
        if plain and plain != question:
            await self._send_text(chat, message.html)
        _ = self._translate
        hint = _("Reply with the number of your choice.")
        content = poll_start_content(question, choices, poll_fallback_text(question, choices, hint))
        poll = MessageRef(
            chat, await self._sender.send_event(chat.chat_id, POLL_START_TYPE, content)
        )
        self._choices.offered(poll, choices)
        return poll

    async def _is_own_poll(self, ref: MessageRef) -> bool:
        """Whether the bot started a poll as ``ref``; asks the homeserver after a restart."""
        if self._choices.poll(ref.message_id) is not None:
            return True
        response = await self._client.room_get_event(ref.chat.chat_id, ref.message_id)
        if not isinstance(response, RoomGetEventResponse):
            log.warning("Could not look up %s before editing it: %s", ref.message_id, response)
            return False
        event = response.event
        if isinstance(event, MegolmEvent):
            with suppress(EncryptionError):
                event = self._client.decrypt_event(event)
        return (
            isinstance(event, UnknownEvent)
            and event.type in POLL_START_TYPES
            and event.sender == self._client.user_id
        )
