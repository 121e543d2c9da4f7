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

Size: Synapse refuses an event over 65,536 bytes (``M_TOO_LARGE``). A text that would not fit
into one event (its estimate, encrypted where the room is, :func:`text_parts`) is split like
Telegram's: only between whole elements, the status paragraph as a part of its own, and the
returned reference (the one an edit replaces) is the last part. The end of a poll carries the
new text's last part when the whole would not fit; a refusal still raised by the homeserver
comes back as :class:`MessageRefused` with its reason.

Repeats: every event of a message with an ``idempotency_key`` has a transaction id derived from
the key and the event's place in the message (``text.0``, ``poll``, ``file.0``), so a message
sent again after a crash shows once (bot/transport/matrix/sending.py). Ending a poll has an id
derived from the poll (ending it twice is one end); replacing a text, from the new text unless
the message is secret (a digest of a secret choice's text would give the choice away).

Order (:mod:`bot.transport.matrix.outbox`): the parts of one message go out together, in order,
and messages into one room in the order they were sent. Ending a poll and replacing a text are
housekeeping: ``edit`` queues them and returns at once, and they go out after the replies a
member is waiting for (an answered poll's choices stop counting at once, not when the end is
out). A new poll that an edit offers is sent at once.
"""

from __future__ import annotations

import hashlib
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
from bot.transport.html_text import html_to_plain, last_part, message_parts
from bot.transport.matrix.content import (
    POLL_END_TYPE,
    POLL_START_TYPE,
    edit_content,
    file_content,
    fits,
    padded,
    poll_end_content,
    poll_fallback_text,
    poll_start_content,
    positional_ids,
    text_content,
)
from bot.transport.matrix.incoming import ChoiceMemory, PollOwner, poll_owner
from bot.transport.matrix.outbox import RoomOutbox
from bot.transport.matrix.sending import MatrixSender, transaction_id
from bot.transport.secrecy import BallotWithheld, ballot_terms, size_alternatives

MAX_POLL_ANSWERS = 20  # MSC3381: clients show at most 20 answers
ROOM_MESSAGE = "m.room.message"
# Characters per part tried, longest first, when a text does not fit into one event.
PART_LIMITS = (16_000, 8_000, 4_000, 2_000, 1_000)
POLL_END_LIMIT = 2_000  # the end of a poll carries at most the new text's last part of this


def text_parts(html: str, encrypted: bool) -> list[str]:
    """The parts a text is sent in: itself when it fits into one event, else split between
    whole elements at the longest of ``PART_LIMITS`` at which every part fits."""
    if fits(text_content(html), encrypted):
        return [html]
    parts = [html]
    for limit in PART_LIMITS:
        parts = [part for part in message_parts(html, limit) if html_to_plain(part).strip()]
        if all(fits(text_content(part), encrypted) for part in parts):
            break
    return parts


def _derived(key: str, suffix: str) -> str:
    return f"{key}/{suffix}" if key else ""


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
        await self.send(
            chat,
            OutgoingMessage(
                html=text, idempotency_key=_derived(message.idempotency_key, "withheld")
            ),
        )
        raise BallotWithheld(Platform.MATRIX, reason)

    async def _send_parts(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        choices = message.flat_choices
        key = message.idempotency_key
        room = await self._sender.room(chat.chat_id)
        first: MessageRef | None = None
        if choices:
            first = await self._send_poll(chat, message, choices, room.encrypted)
        elif message.html.strip():
            first = await self._send_text(
                chat, message.html, size_alternatives(message), key=key, encrypted=room.encrypted
            )
        for index, file in enumerate(message.files):
            content_uri, keys = await self._sender.upload(file, encrypt=room.encrypted)
            event_id = await self._sender.send_event(
                chat.chat_id, ROOM_MESSAGE, file_content(file, content_uri, keys),
                transaction=transaction_id(key, f"file.{index}"),
            )  # fmt: skip
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
        encrypted = (await self._sender.room(ref.chat.chat_id)).encrypted
        if open_poll or await self._is_own_poll(ref):

            def end(shown: OutgoingMessage) -> dict[str, Any]:
                text = html_to_plain(shown.html).strip() or self._translate("The vote is closed.")
                content = poll_end_content(ref.message_id, text)
                if fits(content, encrypted):
                    return content
                tail = html_to_plain(last_part(shown.html, POLL_END_LIMIT)).strip()
                return poll_end_content(ref.message_id, tail or text[-POLL_END_LIMIT:])

            content = _padded_like(end, message, alternatives)
            await self._sender.send_event(
                ref.chat.chat_id, POLL_END_TYPE, content,
                transaction=transaction_id(f"end/{ref.chat.chat_id}/{ref.message_id}", "end"),
            )  # fmt: skip
        elif not message.flat_choices:  # a text cannot turn into a poll in place
            content = _padded_like(
                lambda shown: _replacement(ref.message_id, shown.html, encrypted),
                message,
                alternatives,
            )
            transaction = None
            if not message.secret:
                digest = hashlib.sha256(message.html.encode()).hexdigest()
                transaction = transaction_id(f"replace/{ref.chat.chat_id}/{ref.message_id}", digest)
            await self._sender.send_event(
                ref.chat.chat_id, ROOM_MESSAGE, content, transaction=transaction
            )

    async def _send_text(
        self,
        chat: ChatRef,
        html: str,
        alternatives: tuple[OutgoingMessage, ...] = (),
        *,
        key: str = "",
        encrypted: bool = False,
    ) -> MessageRef:
        """Send the text, in parts if it does not fit into one event (a secret message, padded
        to its alternatives, is short and goes whole); returns the last part."""
        parts = [html] if alternatives else text_parts(html, encrypted)
        ref: MessageRef | None = None
        for index, part in enumerate(parts):
            content = _padded_like(
                lambda shown: text_content(shown.html), OutgoingMessage(html=part), alternatives
            )
            event_id = await self._sender.send_event(
                chat.chat_id,
                ROOM_MESSAGE,
                content,
                transaction=transaction_id(key, f"text.{index}"),
            )
            ref = MessageRef(chat, event_id)
        assert ref is not None
        return ref

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
        self,
        chat: ChatRef,
        message: OutgoingMessage,
        choices: tuple[Choice, ...],
        encrypted: bool = False,
    ) -> MessageRef:
        alternatives = size_alternatives(message)
        key = message.idempotency_key
        _question, text = self._question(message)
        if text:
            texts = tuple(OutgoingMessage(html=self._question(alt)[1]) for alt in alternatives)
            await self._send_text(chat, text, texts, key=key, encrypted=encrypted)
        content = _padded_like(
            lambda shown: self._poll_content(shown, message.secret), message, alternatives
        )
        poll = MessageRef(
            chat,
            await self._sender.send_event(
                chat.chat_id, POLL_START_TYPE, content, transaction=transaction_id(key, "poll")
            ),
        )
        answer_ids = content["m.poll"]["answers"]
        self._choices.offered(poll, choices, tuple(answer["m.id"] for answer in answer_ids))
        return poll

    async def _is_own_poll(self, ref: MessageRef) -> bool:
        """Whether the bot started a poll as ``ref``; asks the homeserver after a restart."""
        owner = await poll_owner(self._client, self._choices, ref.chat.chat_id, ref.message_id)
        return owner is PollOwner.BOT


def _replacement(event_id: str, html: str, encrypted: bool) -> dict[str, Any]:
    """The ``m.replace`` of a text sent with :func:`text_parts`: a split text's last part gets
    the new text's last part (the parts before it are the same). Too large with its fallback,
    the fallback for clients without edits is cut to the new text's last paragraph."""
    parts = text_parts(html, encrypted)
    new_html = parts[-1] if len(parts) > 1 else html
    content = edit_content(event_id, new_html)
    if fits(content, encrypted):
        return content
    short = edit_content(event_id, last_part(new_html, POLL_END_LIMIT))
    return {**content, "body": short["body"], "formatted_body": short["formatted_body"]}


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
