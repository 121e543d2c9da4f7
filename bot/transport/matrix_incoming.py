"""Reading what members send in Matrix rooms as neutral :class:`IncomingEvent` objects.

Matrix has no buttons, so a choice arrives in one of three ways:

* a native poll response (``m.poll.response`` or ``org.matrix.msc3381.poll.response``) naming
  the answer id, which is the choice's payload;
* a number, answering the latest choices the bot offered in that room ("2" = second option);
* ``!za`` / ``!proti`` / ``!vzdrzan``: the latest option whose payload ends in ``:za`` etc.

The latest choices per room are kept in memory only; after a restart a bare number arrives as
plain text until the bot offers choices again, and poll responses keep working because they name
the poll and the answer themselves.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nio import (
    AsyncClient,
    Event,
    MatrixRoom,
    MemoryDownloadResponse,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomMessageFile,
    RoomMessageImage,
    RoomMessageText,
    UnknownEvent,
)
from nio.crypto.attachments import decrypt_attachment

from bot.domain.models import Platform
from bot.transport.events import (
    ChatRef,
    Choice,
    ChoiceMade,
    IncomingEvent,
    IncomingFile,
    MessageRef,
    Sender,
)
from bot.transport.matrix_content import ascii_fold, parse_command, poll_response
from bot.transport.matrix_sending import MatrixTransportError

VOTE_WORDS = frozenset({"za", "proti", "vzdrzan"})
REMEMBERED_POLLS = 2000

_FILE_EVENTS = (RoomMessageFile, RoomMessageImage, RoomEncryptedFile, RoomEncryptedImage)
_ENCRYPTED_FILE_EVENTS = (RoomEncryptedFile, RoomEncryptedImage)


@dataclass(frozen=True, slots=True)
class OfferedChoices:
    message: MessageRef
    choices: tuple[Choice, ...]


class ChoiceMemory:
    """The latest choices offered in each room, and the polls the bot started recently."""

    def __init__(self, max_polls: int = REMEMBERED_POLLS) -> None:
        self._latest: dict[str, OfferedChoices] = {}
        self._polls: OrderedDict[str, OfferedChoices] = OrderedDict()
        self._max_polls = max_polls

    def offered(self, message: MessageRef, choices: tuple[Choice, ...]) -> None:
        offer = OfferedChoices(message, choices)
        self._latest[message.chat.chat_id] = offer
        self._polls[message.message_id] = offer
        while len(self._polls) > self._max_polls:
            self._polls.popitem(last=False)

    def poll(self, event_id: str) -> OfferedChoices | None:
        return self._polls.get(event_id)

    def closed(self, message: MessageRef) -> None:
        """A poll was ended: its choices no longer answer numbers typed in the room."""
        self._polls.pop(message.message_id, None)
        latest = self._latest.get(message.chat.chat_id)
        if latest is not None and latest.message == message:
            del self._latest[message.chat.chat_id]

    def answer_by_text(self, room_id: str, text: str) -> ChoiceMade | None:
        """A typed answer to the latest choices in the room: a number or a vote word."""
        offer = self._latest.get(room_id)
        if offer is None:
            return None
        stripped = text.strip().rstrip(".)")
        if stripped.isdecimal():
            # A pasted long number answers nothing (and int() refuses thousands of digits).
            number = int(stripped) if len(stripped) <= 3 else 0
            if 1 <= number <= len(offer.choices):
                return ChoiceMade(offer.choices[number - 1].payload, offer.message)
            return None
        command = parse_command(text)
        if command is None or command[1]:
            return None
        word = ascii_fold(command[0])
        if word not in VOTE_WORDS:
            return None
        for choice in offer.choices:
            if ascii_fold(choice.payload).endswith(f":{word}"):
                return ChoiceMade(choice.payload, offer.message)
        return None


def event_time(event: Event) -> datetime:
    return datetime.fromtimestamp(event.server_timestamp / 1000, tz=UTC)


def _content(event: Event) -> dict[str, Any]:
    content = event.source.get("content")
    return content if isinstance(content, dict) else {}


class IncomingReader:
    """Turns one nio room event into an :class:`IncomingEvent`, or None if it is not for the bot."""

    def __init__(
        self,
        client: AsyncClient,
        choices: ChoiceMemory,
        is_direct: Callable[[MatrixRoom], bool],
    ) -> None:
        self._client = client
        self._choices = choices
        self._is_direct = is_direct

    def read(self, room: MatrixRoom, event: Event) -> IncomingEvent | None:
        if isinstance(event, RoomMessageText):
            return self._text(room, event)
        if isinstance(event, _FILE_EVENTS):
            return self._file(room, event)
        if isinstance(event, UnknownEvent):
            return self._poll_answer(room, event)
        return None

    def _base(self, room: MatrixRoom, event: Event, **fields: Any) -> IncomingEvent:
        return IncomingEvent(
            platform=Platform.MATRIX,
            event_key=event.event_id,
            sender=Sender(Platform.MATRIX, event.sender, room.user_name(event.sender) or ""),
            chat=ChatRef(Platform.MATRIX, room.room_id, self._is_direct(room)),
            timestamp=event_time(event),
            **fields,
        )

    def _text(self, room: MatrixRoom, event: RoomMessageText) -> IncomingEvent | None:
        relation = _content(event).get("m.relates_to") or {}
        if relation.get("rel_type") == "m.replace":
            return None  # an edit of an earlier message, which already arrived as itself
        text = event.body
        choice = self._choices.answer_by_text(room.room_id, text)
        if choice is not None:
            return self._base(room, event, text=text, choice=choice)
        command = parse_command(text)
        if command is not None:
            return self._base(room, event, text=text, command=command[0], args=command[1])
        return self._base(room, event, text=text)

    def _file(self, room: MatrixRoom, event: Event) -> IncomingEvent:
        content = _content(event)
        info = content.get("info")
        info = info if isinstance(info, dict) else {}  # any client may send any JSON
        media_type = str(info.get("mimetype") or getattr(event, "mimetype", None) or "")
        filename = str(content.get("filename") or event.body)
        size = info.get("size")
        incoming = IncomingFile(
            filename=filename,
            media_type=media_type or "application/octet-stream",
            # Unknown (0) unless a whole number: the download then tells the real size.
            size=size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else 0,
            fetch=self._fetcher(event),
        )
        return self._base(room, event, text=filename, file=incoming)

    def _fetcher(self, event: Event) -> Callable[[], Any]:
        client = self._client
        url = event.url
        encrypted = isinstance(event, _ENCRYPTED_FILE_EVENTS)

        async def fetch() -> bytes:
            response = await client.download(mxc=url)
            if not isinstance(response, MemoryDownloadResponse):
                raise MatrixTransportError(f"Could not download {url}: {response}")
            if not encrypted:
                return bytes(response.body)
            # Decrypting a large file is CPU work: keep it off the event loop.
            return await asyncio.to_thread(
                decrypt_attachment,
                response.body,
                event.key["k"],
                event.hashes["sha256"],
                event.iv,
            )

        return fetch

    def _poll_answer(self, room: MatrixRoom, event: UnknownEvent) -> IncomingEvent | None:
        answer = poll_response(event.type, _content(event))
        if answer is None or not answer[1]:
            return None  # not a poll response, or a withdrawn vote (empty selection)
        poll_event_id, selections = answer
        poll = MessageRef(
            ChatRef(Platform.MATRIX, room.room_id, self._is_direct(room)), poll_event_id
        )
        offer = self._choices.poll(poll_event_id)
        if offer is not None and selections[0] not in {c.payload for c in offer.choices}:
            return None  # MSC3381: an unknown answer spoils the vote
        return self._base(room, event, choice=ChoiceMade(selections[0], poll))
