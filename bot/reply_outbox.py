"""Replies that survive a crash between the commit and the sending.

The dispatcher stores an event's replies in the event's own transaction (``keep``) and removes
them once delivered (``delivered``). At start, whatever is still stored was committed but maybe
never sent, so it is sent now (``resend_owed``): a member whose vote was stored is told
so even if the bot stopped right after storing it. A crash after sending and before removing
repeats a reply once, which is better than a vote never confirmed. Replies that show a secret
ballot's choice are not kept (they would tie the member to it): after such a crash the member
asks again and is told that the ballot was cast, not what it said.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.outgoing import Outgoing, ToChat, ToPerson
from bot.transport.events import ChatRef, Choice, OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.pending_replies import PendingReply

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


def _storable(item: Outgoing) -> bool:
    # Edits only tidy buttons already withdrawn; files are sent again on request; a secret
    # ballot's choice is never written down next to the member's chat.
    message = item.message
    return isinstance(item.target, ToChat | ToPerson) and not message.files and not message.secret


def to_pending(item: Outgoing, at: datetime) -> PendingReply:
    message, target = item.message, item.target
    choices = tuple(tuple((c.label, c.payload) for c in row) for row in message.choices)
    if isinstance(target, ToPerson):
        return PendingReply(None, at, message.html, person_id=target.person_id,
                            poll_question=message.poll_question, choices=choices)  # fmt: skip
    assert isinstance(target, ToChat)
    return PendingReply(
        None, at, message.html, chat_platform=target.chat.platform, chat_id=target.chat.chat_id,
        chat_is_direct=target.chat.is_direct, poll_question=message.poll_question, choices=choices,
    )  # fmt: skip


def from_pending(reply: PendingReply) -> Outgoing:
    message = OutgoingMessage(
        html=reply.html,
        choices=tuple(
            tuple(Choice(label, payload) for label, payload in row) for row in reply.choices
        ),
        poll_question=reply.poll_question,
    )
    if reply.person_id is not None:
        return Outgoing(ToPerson(reply.person_id), message)
    assert reply.chat_platform is not None and reply.chat_id is not None
    return Outgoing(
        ToChat(ChatRef(reply.chat_platform, reply.chat_id, reply.chat_is_direct)), message
    )


async def keep(repos: Repositories, outgoing: Sequence[Outgoing], at: datetime) -> list[int]:
    """In the event's transaction: store its replies; returns their ids for ``delivered``."""
    return [
        await repos.pending_replies.add(to_pending(item, at))
        for item in outgoing
        if _storable(item)
    ]


async def delivered(app: App, reply_ids: Sequence[int]) -> None:
    """Forget these replies, now that they are delivered (a failure is logged: they would be
    sent once more at the next start)."""
    if not reply_ids:
        return
    try:
        async with app.db.transaction() as repos:
            await repos.pending_replies.remove(reply_ids)
    except Exception:
        log.exception("could not mark %d delivered replies", len(reply_ids))


async def send_undelivered(app: App) -> int:
    """Send what was stored but maybe never sent; returns how many replies."""
    pending = await app.db.read.pending_replies.all()
    for reply in pending:
        assert reply.id is not None
        await app.messenger.deliver([from_pending(reply)])
        await delivered(app, [reply.id])
    if pending:
        log.info("sent %d replies stored before the last stop", len(pending))
    return len(pending)


async def resend_owed(app: App) -> None:
    """At start (bot/features.py): the replies owed since the last stop go out first."""
    await send_undelivered(app)
