"""The ballots of a closed vote stop offering buttons on every member's screen.

When a vote or an election round closes (the chair closes it, its set time ends, or it ended
while the bot was down and is closed at the next start), every ballot a member still has open,
or the confirmation question it turned into, is edited to say the vote is closed, without
buttons. Which messages those are comes from the bot's own record of the messages it sent with
choices (``sent_messages``): those still offering a button of that round. On Matrix the edit of a
poll ends it (see ``Messenger.edit``). Ballots already used were edited when the vote was cast.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.models import Platform
from bot.transport.events import ChatRef, MessageRef, OutgoingMessage
from storage.repositories import Repositories

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BallotClosing:
    """What to do with the ballots of one closed round once its transaction has committed."""

    stems: tuple[str, ...]  # every button of the round's ballots is one of these + ":..."
    notices: Mapping[int, OutgoingMessage]  # person id -> the closed ballot in their language
    fallback: OutgoingMessage  # for a chat no person of the session is linked to any more


async def offered_messages(repos: Repositories, stems: Sequence[str]) -> list[MessageRef]:
    """The bot's messages that still offer a button whose payload is one of ``stems`` or
    continues one of them after a colon ("lvb:12:1" finds "lvb:12:1:za", not "lvb:12:10:za")."""
    return [
        MessageRef(ChatRef(platform, chat_id), message_id)
        for platform, chat_id, message_id in await repos.sent_messages.offering(stems)
    ]


async def close_ballots(app: App, closing: BallotClosing) -> int:
    """Edits every ballot of the round still offering buttons; returns how many were edited."""
    waiting: dict[tuple[Platform, str], list[MessageRef]] = defaultdict(list)
    for ref in await offered_messages(app.db.read, closing.stems):
        waiting[(ref.chat.platform, ref.chat.chat_id)].append(ref)
    if not waiting:
        return 0
    edits: list[tuple[MessageRef, OutgoingMessage]] = []
    for person_id, notice in closing.notices.items():
        if not waiting:
            break
        for chat in await app.messenger.person_chats(person_id):
            for ref in waiting.pop((chat.platform, chat.chat_id), []):
                edits.append((MessageRef(chat, ref.message_id), notice))
    edits.extend((ref, closing.fallback) for refs in waiting.values() for ref in refs)
    edited = 0
    for ref, notice in edits:
        if await app.messenger.edit(ref, notice) is not None:
            edited += 1
    if edited:
        log.info("%d ballots of a closed vote no longer offer buttons", edited)
    return edited
