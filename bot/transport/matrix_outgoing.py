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

Secret choices (:mod:`bot.transport.secrecy`): a secret ballot goes only into an end-to-end
encrypted room of a platform its rules allow; otherwise the member reads why and how to go on,
and :class:`BallotWithheld` tells the caller it was not shown. Every event of a message with
alternatives (the poll, its text, the end of the poll it replaces, a replaced text) is padded to
the longest the alternatives would make, and a secret poll's answer ids are positional.

Order (:mod:`bot.transport.matrix_outbox`): the parts of one message go out together, in order,
and messages into one room in the order they were sent. Ending a poll and replacing a text are
housekeeping: ``edit`` queues them and returns at once, and they go out after the replies a
member is waiting for (an answered poll's choices stop counting at once, not when the end is
out). A new poll that an edit offers is sent at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    padded,
    poll_end_content,
    poll_fallback_text,
    poll_start_content,
    positional_ids,
    text_content,
)
from bot.transport.matrix_incoming import ChoiceMemory, PollOwner, poll_owner
from bot.transport.matrix_outbox import RoomOutbox
from bot.transport.matrix_sending import MatrixSender
from bot.transport.secrecy import BallotWithheld, ballot_terms, size_alternatives

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
        await self._withhold_unsafe_ballot(chat, message)
        return await self._outbox.send(chat.chat_id, lambda: self._send_parts(chat, message))

    async def _withhold_unsafe_ballot(self, chat: ChatRef, message: OutgoingMessage) -> None:
        """A secret ballot goes only where its rules allow it and the room is end-to-end
        encrypted; elsewhere the member reads why and how to go on, and the caller learns it
        was not shown (:class:`BallotWithheld`)."""
        terms = ballot_terms(message)
        if terms is None:
            return
        if not terms.allows(Platform.MATRIX):
            reason, text = "not_allowed", terms.not_allowed
        elif not (await self._sender.room(chat.chat_id)).encrypted:
            reason, text = "unencrypted", terms.unencrypted
        else:
            return
        await self.send(chat, OutgoingMessage(html=text))
        raise BallotWithheld(Platform.MATRIX, reason)

    async def _send_parts(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        choices = message.flat_choices
        room = await self._sender.room(chat.chat_id)
        first: MessageRef | None = None
        if choices:
            first = await self._send_poll(chat, message, choices)
        elif message.html.strip():
            first = await self._send_text(chat, message.html, size_alternatives(message))
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
        await self._withhold_unsafe_ballot(ref.chat, message)
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
        alternatives = size_alternatives(message)
        if open_poll or await self._is_own_poll(ref):

            def end(shown: OutgoingMessage) -> dict[str, Any]:
                text = html_to_plain(shown.html).strip() or self._translate("The vote is closed.")
                return poll_end_content(ref.message_id, text)

            content = _padded_like(end, message, alternatives)
            await self._sender.send_event(ref.chat.chat_id, POLL_END_TYPE, content)
        elif not message.flat_choices:  # a text cannot turn into a poll in place
            content = _padded_like(
                lambda shown: edit_content(ref.message_id, shown.html), message, alternatives
            )
            await self._sender.send_event(ref.chat.chat_id, ROOM_MESSAGE, content)

    async def _send_text(
        self, chat: ChatRef, html: str, alternatives: tuple[OutgoingMessage, ...] = ()
    ) -> MessageRef:
        content = _padded_like(
            lambda shown: text_content(shown.html), OutgoingMessage(html=html), alternatives
        )
        event_id = await self._sender.send_event(chat.chat_id, ROOM_MESSAGE, content)
        return MessageRef(chat, event_id)

    def _question(self, message: OutgoingMessage) -> tuple[str, str]:
        """The poll's question, and the text to send before it ("" when the question says it
        all)."""
        plain = html_to_plain(message.html).strip()
        question = message.poll_question.strip() or plain.split("\n", 1)[0].strip()
        return question, message.html if plain and plain != question else ""

    def _poll_content(self, message: OutgoingMessage, secret: bool) -> dict[str, Any]:
        choices = message.flat_choices
        question, _text = self._question(message)
        hint = self._translate("Reply with the number of your choice.")
        fallback = poll_fallback_text(question, choices, hint)
        # A secret choice is not in the answer ids: the member's response names a position.
        answer_ids = positional_ids(len(choices)) if secret else None
        return poll_start_content(question, choices, fallback, answer_ids)

    async def _send_poll(
        self, chat: ChatRef, message: OutgoingMessage, choices: tuple[Choice, ...]
    ) -> MessageRef:
        alternatives = size_alternatives(message)
        _question, text = self._question(message)
        if text:
            texts = tuple(OutgoingMessage(html=self._question(alt)[1]) for alt in alternatives)
            await self._send_text(chat, text, texts)
        content = _padded_like(
            lambda shown: self._poll_content(shown, message.secret), message, alternatives
        )
        poll = MessageRef(
            chat, await self._sender.send_event(chat.chat_id, POLL_START_TYPE, content)
        )
        answer_ids = content["m.poll"]["answers"]
        self._choices.offered(poll, choices, tuple(answer["m.id"] for answer in answer_ids))
        return poll

    async def _is_own_poll(self, ref: MessageRef) -> bool:
        """Whether the bot started a poll as ``ref``; asks the homeserver after a restart."""
        owner = await poll_owner(self._client, self._choices, ref.chat.chat_id, ref.message_id)
        return owner is PollOwner.BOT


def _padded_like(
    build: Callable[[OutgoingMessage], dict[str, Any]],
    message: OutgoingMessage,
    alternatives: tuple[OutgoingMessage, ...],
) -> dict[str, Any]:
    """The event ``build`` makes of ``message``, padded to the longest it makes of any of the
    alternatives (the same message for the other secret choices); unpadded without them."""
    content = build(message)
    if not alternatives:
        return content
    return padded(content, [build(alternative) for alternative in alternatives])
