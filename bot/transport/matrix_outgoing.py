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

Order (:mod:`bot.transport.matrix_outbox`): the parts of one message go out together, in order,
and messages into one room in the order they were sent. Ending a poll and replacing a text are
housekeeping: ``edit`` queues them and returns at once, and they go out after the replies a
member is waiting for (an answered poll's choices stop counting at once, not when the end is
out). A new poll that an edit offers is sent at once.
"""

from __future__ import annotations

from nio import AsyncClient

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
    edit_content,
    file_content,
    poll_end_content,
    poll_fallback_text,
    poll_start_content,
    text_content,
)
from bot.transport.matrix_incoming import ChoiceMemory, PollOwner, poll_owner
from bot.transport.matrix_outbox import RoomOutbox
from bot.transport.matrix_sending import MatrixSender

MAX_POLL_ANSWERS = 20  # MSC3381: clients show at most 20 answers
ROOM_MESSAGE = "m.room.message"


class OutgoingMessages:
    def __init__(
        self,
        client: AsyncClient,
        sender: MatrixSender,
        choices: ChoiceMemory,
        translate: Translator,
        outbox: RoomOutbox,
    ) -> None:
        self._client = client
        self._sender = sender
        self._choices = choices
        self._translate = translate
        self._outbox = outbox

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        choices = message.flat_choices
        if len(choices) > MAX_POLL_ANSWERS:
            raise UnsupportedCapability(Platform.MATRIX, Capability.POLLS)
        if not (choices or message.html.strip() or message.files):
            raise ValueError("An outgoing message needs text, choices or files.")
        return await self._outbox.send(chat.chat_id, lambda: self._send_parts(chat, message))

    async def _send_parts(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        choices = message.flat_choices
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
        assert first is not None
        return first

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        if message.files:
            raise UnsupportedCapability(Platform.MATRIX, Capability.EDIT)
        open_poll = self._choices.poll(ref.message_id) is not None
        self._choices.closed(ref)  # its choices stop counting now, before the end goes out

        async def retire() -> None:
            await self._retire(ref, message, open_poll)

        # Queued before a new poll is sent, yet after it: the room's sends go first. Should the
        # new poll fail, the old one still ends.
        self._outbox.later(ref.chat.chat_id, ref.message_id, retire)
        return await self.send(ref.chat, message) if message.flat_choices else ref

    async def _retire(self, ref: MessageRef, message: OutgoingMessage, open_poll: bool) -> None:
        """End the poll ``ref`` with the new text, or replace the text of ``ref`` with it."""
        if open_poll or await self._is_own_poll(ref):
            _ = self._translate
            text = html_to_plain(message.html).strip() or _("The vote is closed.")
            await self._sender.send_event(
                ref.chat.chat_id, POLL_END_TYPE, poll_end_content(ref.message_id, text)
            )
        elif not message.flat_choices:  # a text cannot turn into a poll in place
            await self._sender.send_event(
                ref.chat.chat_id, ROOM_MESSAGE, edit_content(ref.message_id, message.html)
            )

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
        owner = await poll_owner(self._client, self._choices, ref.chat.chat_id, ref.message_id)
        return owner is PollOwner.BOT
