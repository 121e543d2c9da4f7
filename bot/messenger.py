"""Delivers what handlers and services describe to the right chats on the right transports."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from bot.domain.models import Platform
from bot.transport.base import Transport
from bot.transport.events import ChatRef, MessageRef, OutgoingMessage
from handlers.context import Outgoing, ToChat, ToEdit, ToPerson
from storage.database import Database

log = logging.getLogger(__name__)


class Messenger:
    def __init__(self, db: Database, transports: Mapping[Platform, Transport]) -> None:
        self._db = db
        self._transports = dict(transports)

    async def deliver(self, outgoing: Iterable[Outgoing]) -> list[MessageRef]:
        sent: list[MessageRef] = []
        for item in outgoing:
            if isinstance(item.target, ToChat):
                sent.extend(await self._send_to_chats([item.target.chat], item.message))
            elif isinstance(item.target, ToPerson):
                sent.extend(await self.send_to_person(item.target.person_id, item.message))
            elif isinstance(item.target, ToEdit):
                edited = await self.edit(item.target.message, item.message)
                if edited is not None:
                    sent.append(edited)
        return sent

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef | None:
        transport = self._transports.get(ref.chat.platform)
        if transport is None:
            log.error("no %s transport running; message %s not edited", ref.chat.platform, ref.message_id)
            return None
        try:
            return await transport.edit(ref, message)
        except Exception:
            log.exception("editing %s message %s failed", ref.chat.platform, ref.message_id)
            return None

    async def person_chats(self, person_id: int) -> list[ChatRef]:
        chats = []
        for account in await self._db.read.accounts.list_for_person(person_id):
            transport = self._transports.get(Platform(account.platform))
            if transport is not None:
                chats.append(await transport.direct_chat(account.external_id))
        return chats

    async def send_to_person(self, person_id: int, message: OutgoingMessage) -> list[MessageRef]:
        return await self._send_to_chats(await self.person_chats(person_id), message)

    async def _send_to_chats(
        self, chats: Iterable[ChatRef], message: OutgoingMessage
    ) -> list[MessageRef]:
        sent = []
        for chat in chats:
            transport = self._transports.get(chat.platform)
            if transport is None:
                log.error("no %s transport running; message to %s not sent", chat.platform, chat.chat_id)
                continue
            try:
                sent.append(await transport.send(chat, message))
            except Exception:  # one failed chat must not keep the message from the others
                log.exception("sending to %s chat %s failed", chat.platform, chat.chat_id)
        return sent
