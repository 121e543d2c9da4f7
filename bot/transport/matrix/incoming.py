"""Reading what members send in Matrix rooms as neutral :class:`IncomingEvent` objects.

Matrix has no buttons, so a choice arrives in one of three ways:

* a native poll response (``m.poll.response`` or ``org.matrix.msc3381.poll.response``) naming
  the answer id, which is the choice's payload;
* a number, answering the latest choices the bot offered in that room ("2" = second option);
* ``!za`` / ``!proti`` / ``!vzdrzan``: the latest option whose payload ends in ``:za`` etc.

The latest choices per room are kept in memory only; after a restart a bare number arrives as
plain text until the bot offers choices again, and poll responses keep working because they name
the poll and the answer themselves.

A poll response that cannot become a choice on one of the bot's polls is never dropped without a
word: it becomes a :class:`PollNotice` (an empty or unreadable response, an answer the poll does
not have, a poll someone else started), which the adapter answers in the member's direct room
and logs as a refusal. Whose poll it is comes from memory, or from the homeserver when the bot
does not remember the poll (after a restart); when the homeserver cannot say, the response goes
to the dispatcher, which checks it against the messages the bot recorded. In group rooms members
answer each other's polls: that is not for the bot and passes in silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    EncryptionError,
    ErrorResponse,
    Event,
    MatrixRoom,
    MegolmEvent,
    MemoryDownloadResponse,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomGetEventResponse,
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
from bot.transport.matrix.content import (
    POLL_RESPONSE_TYPES,
    POLL_START_TYPES,
    ascii_fold,
    parse_command,
    poll_answers,
    poll_response,
)
from bot.transport.matrix.sending import MatrixTransportError

log = logging.getLogger(__name__)

VOTE_WORDS = frozenset({"za", "proti", "vzdrzan"})
REMEMBERED_POLLS = 2000
# Homeserver answers that settle it: the event does not exist, or the bot may not see it.
_NOT_THERE = frozenset({"M_NOT_FOUND", "M_FORBIDDEN"})

_FILE_EVENTS = (RoomMessageFile, RoomMessageImage, RoomEncryptedFile, RoomEncryptedImage)
_ENCRYPTED_FILE_EVENTS = (RoomEncryptedFile, RoomEncryptedImage)


@dataclass(frozen=True, slots=True)
class OfferedChoices:
    message: MessageRef
    choices: tuple[Choice, ...]
    answer_ids: tuple[str, ...] = ()  # the poll's answer ids, when they are not the payloads

    def payload_of(self, answer_id: str) -> str | None:
        """The payload an answer id of the poll stands for; None if the poll has no such."""
        if self.answer_ids:
            return dict(zip(self.answer_ids, (c.payload for c in self.choices))).get(answer_id)
        return answer_id if answer_id in {c.payload for c in self.choices} else None


class PollOwner(Enum):
    BOT = "bot"
    SOMEONE_ELSE = "someone_else"  # a member's own poll, or no poll at all
    UNKNOWN = "unknown"  # the homeserver could not be asked


class NoticeReason(StrEnum):
    """Why a poll response did not become a choice."""

    UNREADABLE = "unreadable"  # no poll named, or the answers are not a list
    EMPTY = "empty"  # no answer selected: a withdrawn answer
    NOT_OFFERED = "not_offered"  # an answer the bot's poll does not have
    NOT_FROM_BOT = "not_from_bot"  # a poll the bot did not start


@dataclass(frozen=True, slots=True)
class PollNotice:
    """A poll response the bot answers itself instead of handing it to the dispatcher."""

    chat: ChatRef
    sender: str
    event_id: str
    poll_event_id: str  # "" when the response names no poll
    reason: NoticeReason


async def poll_owner(
    client: AsyncClient, choices: ChoiceMemory, room_id: str, event_id: str
) -> PollOwner:
    """Whose poll ``event_id`` is: from memory, else from the homeserver (then remembered)."""
    known = choices.owner(event_id)
    if known is not None:
        return known
    try:
        response = await client.room_get_event(room_id, event_id)
    except (ClientError, TimeoutError) as error:
        log.warning("Could not look up %s in %s: %r", event_id, room_id, error)
        return PollOwner.UNKNOWN
    if isinstance(response, ErrorResponse):
        if response.status_code in _NOT_THERE:
            choices.not_own_poll(event_id)
            return PollOwner.SOMEONE_ELSE
        log.warning("Could not look up %s in %s: %s", event_id, room_id, response)
        return PollOwner.UNKNOWN
    if not isinstance(response, RoomGetEventResponse):
        return PollOwner.UNKNOWN
    event = response.event
    if isinstance(event, MegolmEvent):
        with suppress(EncryptionError):
            event = client.decrypt_event(event)
    if isinstance(event, MegolmEvent):
        return PollOwner.UNKNOWN  # the key is missing: only the dispatcher's records can tell
    if (
        isinstance(event, UnknownEvent)
        and event.type in POLL_START_TYPES
        and event.sender == client.user_id
    ):
        choices.own_poll(event_id, poll_answers(_content(event)))
        return PollOwner.BOT
    choices.not_own_poll(event_id)
    return PollOwner.SOMEONE_ELSE


class ChoiceMemory:
    """The latest choices offered in each room, the polls the bot started recently, and which
    other recently named events are polls of the bot's or not."""

    def __init__(self, max_polls: int = REMEMBERED_POLLS) -> None:
        self._latest: dict[str, OfferedChoices] = {}
        self._polls: OrderedDict[str, OfferedChoices] = OrderedDict()
        self._other_own: OrderedDict[str, None] = OrderedDict()  # ended, or from before a restart
        self._not_own: OrderedDict[str, None] = OrderedDict()  # someone else's, or no poll
        # Own polls with positional answer ids (secret choices): id -> payload, also after the
        # poll ended or, read from the poll itself, after a restart.
        self._answers: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._max_polls = max_polls

    def offered(
        self, message: MessageRef, choices: tuple[Choice, ...], answer_ids: tuple[str, ...] = ()
    ) -> None:
        payloads = tuple(choice.payload for choice in choices)
        ids = answer_ids if answer_ids != payloads else ()
        offer = OfferedChoices(message, choices, ids)
        self._latest[message.chat.chat_id] = offer
        self._polls[message.message_id] = offer
        self._bound(self._polls)
        if ids:
            self._remember_answers(message.message_id, dict(zip(ids, payloads, strict=True)))

    def _remember_answers(self, event_id: str, answers: dict[str, str]) -> None:
        self._answers[event_id] = answers
        self._bound(self._answers)

    def payload_of(self, event_id: str, answer_id: str) -> str:
        """What an answer to the bot's poll ``event_id`` stands for: the payload behind a
        positional id, else the id itself (the other polls' ids are their payloads)."""
        return self._answers.get(event_id, {}).get(answer_id, answer_id)

    def poll(self, event_id: str) -> OfferedChoices | None:
        """The choices of an open poll the bot started, if it remembers it."""
        return self._polls.get(event_id)

    def closed(self, message: MessageRef) -> None:
        """A poll was ended: its choices no longer answer numbers typed in the room."""
        if self._polls.pop(message.message_id, None) is not None:
            self.own_poll(message.message_id)
        latest = self._latest.get(message.chat.chat_id)
        if latest is not None and latest.message == message:
            del self._latest[message.chat.chat_id]

    def own_poll(self, event_id: str, answers: dict[str, str] | None = None) -> None:
        """``event_id`` is a poll of the bot's whose choices are not held here (``answers``:
        its positional answer ids, as the poll itself tells them)."""
        self._other_own[event_id] = None
        self._bound(self._other_own)
        if answers:
            self._remember_answers(event_id, answers)

    def not_own_poll(self, event_id: str) -> None:
        """``event_id`` is someone else's poll, or no poll at all."""
        self._not_own[event_id] = None
        self._bound(self._not_own)

    def owner(self, event_id: str) -> PollOwner | None:
        """Whose poll ``event_id`` is, if remembered."""
        if event_id in self._polls or event_id in self._other_own:
            return PollOwner.BOT
        if event_id in self._not_own:
            return PollOwner.SOMEONE_ELSE
        return None

    def _bound(self, remembered: OrderedDict[str, Any]) -> None:
        while len(remembered) > self._max_polls:
            remembered.popitem(last=False)

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

    def read(self, room: MatrixRoom, event: Event) -> IncomingEvent | PollNotice | None:
        """What the event is for the bot, as far as memory tells; a poll answer on a poll the
        bot does not remember goes through :meth:`placed` before delivery."""
        if isinstance(event, RoomMessageText):
            return self._text(room, event)
        if isinstance(event, _FILE_EVENTS):
            return self._file(room, event)
        if isinstance(event, UnknownEvent) and event.type in POLL_RESPONSE_TYPES:
            return self._poll_answer(room, event)
        return None

    async def placed(self, incoming: IncomingEvent) -> IncomingEvent | PollNotice | None:
        """A choice made on a poll the bot does not remember (after a restart, or someone
        else's poll): the homeserver tells whose poll it is."""
        choice = incoming.choice
        if choice is None or choice.message is None:
            return incoming
        poll_event_id = choice.message.message_id
        if self._choices.owner(poll_event_id) is not None:
            return incoming
        chat = incoming.chat
        owner = await poll_owner(self._client, self._choices, chat.chat_id, poll_event_id)
        if owner is PollOwner.SOMEONE_ELSE:
            return _notice(
                chat, incoming.sender.external_id, incoming.event_key, poll_event_id,
                NoticeReason.NOT_FROM_BOT,
            )  # fmt: skip
        payload = self._choices.payload_of(poll_event_id, choice.payload)
        return replace(incoming, choice=replace(choice, payload=payload))

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

    def _poll_answer(
        self, room: MatrixRoom, event: UnknownEvent
    ) -> IncomingEvent | PollNotice | None:
        chat = ChatRef(Platform.MATRIX, room.room_id, self._is_direct(room))
        answer = poll_response(event.type, _content(event))
        if answer is None:
            return _notice(chat, event.sender, event.event_id, "", NoticeReason.UNREADABLE)
        poll_event_id, selections = answer
        reason: NoticeReason | None = None
        offer = self._choices.poll(poll_event_id)
        if self._choices.owner(poll_event_id) is PollOwner.SOMEONE_ELSE:
            reason = NoticeReason.NOT_FROM_BOT
        elif not selections:
            reason = NoticeReason.EMPTY
        elif offer is not None and offer.payload_of(selections[0]) is None:
            reason = NoticeReason.NOT_OFFERED  # MSC3381: a spoilt vote
        if reason is not None:
            return _notice(chat, event.sender, event.event_id, poll_event_id, reason)
        # An ended poll of the bot's goes on: the dispatcher checks it against what the bot
        # recorded, and the feature tells what was recorded first. A poll the bot does not
        # remember is placed before delivery.
        poll = MessageRef(chat, poll_event_id)
        payload = self._choices.payload_of(poll_event_id, selections[0])
        return self._base(room, event, choice=ChoiceMade(payload, poll))


# In group rooms members answer each other's polls: that is not for the bot.
_GROUP_CHATTER = frozenset({NoticeReason.UNREADABLE, NoticeReason.EMPTY, NoticeReason.NOT_FROM_BOT})


def _notice(
    chat: ChatRef, sender: str, event_id: str, poll_event_id: str, reason: NoticeReason
) -> PollNotice | None:
    if not chat.is_direct and reason in _GROUP_CHATTER:
        return None
    return PollNotice(chat, sender, event_id, poll_event_id, reason)
