"""Replies kept with their event until delivered (migration 0007, bot/reply_outbox.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from bot import reply_outbox
from bot.domain.models import Platform
from bot.outgoing import Outgoing, ToChat, ToEdit, ToPerson
from bot.runtime import Runtime
from bot.transport.base import EventSink
from bot.transport.events import (
    Capability,
    ChatRef,
    Choice,
    MessageRef,
    OutgoingFile,
    OutgoingMessage,
)
from storage.database import Database
from tests.storage.factories import council

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CHAT = ChatRef(Platform.TELEGRAM, "7001")


class Recording:
    """A transport that keeps what it is asked to send."""

    platform = Platform.TELEGRAM
    capabilities = frozenset({Capability.BUTTONS, Capability.EDIT})

    def __init__(self) -> None:
        self.sent: dict[str, list[OutgoingMessage]] = defaultdict(list)

    async def start(self, sink: EventSink) -> None:
        """Nothing arrives in these tests."""

    async def stop(self) -> None:
        """Nothing to flush."""

    async def direct_chat(self, external_user_id: str) -> ChatRef:
        return ChatRef(Platform.TELEGRAM, external_user_id)

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        self.sent[chat.chat_id].append(message)
        return MessageRef(chat, str(len(self.sent[chat.chat_id])))

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        return ref


SURE = OutgoingMessage(
    html="Ali glasujete <b>ZA</b>?",
    choices=((Choice("Da, glasujem ZA", "cs:s:1:za"), Choice("Prekliči", "cs:x:1:za")),),
    poll_question="Potrjujete glas ZA?",
)


async def test_replies_survive_until_delivered_and_go_out_at_the_next_start(db: Database) -> None:
    async with db.transaction() as repos:
        _body, people = await council(repos, members=1)
        member_id = people[0].id
        assert member_id is not None
        await repos.accounts.link(member_id, Platform.TELEGRAM, "7002", NOW)
    outgoing = [
        Outgoing(ToChat(CHAT), SURE),
        Outgoing(ToPerson(member_id), OutgoingMessage(html="Zabeleženo: ZA.")),
        Outgoing(ToEdit(MessageRef(CHAT, "1")), OutgoingMessage(html="spent")),  # not kept
        Outgoing(ToChat(CHAT), OutgoingMessage(html="Vaša tajna glasovnica", secret=True)),
        Outgoing(ToChat(CHAT), OutgoingMessage(
            html="Zapisnik", files=(OutgoingFile("z.pdf", "application/pdf", b"%PDF"),))),
    ]  # fmt: skip

    async with db.transaction() as repos:
        kept = await reply_outbox.keep(repos, outgoing, NOW)
    assert len(kept) == 2  # the bot stops here: committed, never sent
    stored = await db.read.pending_replies.all()
    assert [reply_outbox.from_pending(reply) for reply in stored] == outgoing[:2]

    transport = Recording()
    runtime = Runtime(db, [transport], clock=lambda: NOW)
    await runtime.start()
    try:
        assert transport.sent[CHAT.chat_id] == [SURE]
        assert [m.html for m in transport.sent["7002"]] == ["Zabeleženo: ZA."]
        # The buttons of a reply sent again are offered, as at the first sending.
        assert await db.read.sent_messages.is_recorded(Platform.TELEGRAM, CHAT.chat_id, "1")
    finally:
        await runtime.stop()
    assert await db.read.pending_replies.all() == []


async def test_delivered_replies_are_forgotten(db: Database) -> None:
    async with db.transaction() as repos:
        kept = await reply_outbox.keep(repos, [Outgoing(ToChat(CHAT), SURE)], NOW)
    transport = Recording()
    runtime = Runtime(db, [transport], clock=lambda: NOW)
    await reply_outbox.delivered(runtime.app, kept)
    assert await db.read.pending_replies.all() == []
