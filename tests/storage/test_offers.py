"""What a message offers is recorded once it is out, even when its sender is cancelled right
then (a stop): otherwise its buttons would be refused when pressed (bot/messenger.py)."""

from __future__ import annotations

import asyncio

from bot.domain.models import Platform
from bot.messenger import Messenger
from bot.transport.base import EventSink
from bot.transport.events import Capability, ChatRef, Choice, MessageRef, OutgoingMessage
from storage.database import Database

CHAT = ChatRef(Platform.TELEGRAM, "7001")
BALLOT = OutgoingMessage(
    html="Ali glasujete <b>ZA</b>?",
    choices=((Choice("Da, glasujem ZA", "cs:s:1:za"), Choice("Prekliči", "cs:x:1:za")),),
)


class Accepting:
    """A transport that accepts every message and says when it has."""

    platform = Platform.TELEGRAM
    capabilities = frozenset({Capability.BUTTONS, Capability.EDIT})

    def __init__(self) -> None:
        self.accepted = asyncio.Event()

    async def start(self, sink: EventSink) -> None:
        """Nothing arrives in this test."""

    async def stop(self) -> None:
        """Nothing to flush."""

    async def direct_chat(self, external_user_id: str) -> ChatRef:
        return ChatRef(Platform.TELEGRAM, external_user_id)

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        self.accepted.set()
        return MessageRef(chat, "41")

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        return ref


async def test_a_sender_cancelled_once_the_message_is_out_still_records_its_buttons(
    db: Database,
) -> None:
    transport = Accepting()
    messenger = Messenger(db, {Platform.TELEGRAM: transport})
    sender = asyncio.create_task(messenger.send_to_chat(CHAT, BALLOT))
    await transport.accepted.wait()  # the platform has the message; its record is under way
    sender.cancel()
    await asyncio.gather(sender, return_exceptions=True)
    await messenger.recordings_done()  # what the runtime does at stop
    assert await db.read.sent_messages.is_recorded(Platform.TELEGRAM, "7001", "41")
