"""Delivers what handlers and services describe to the right chats on the right transports.

Every message that offers choices is recorded once it is out (``sent_messages``, with the
payloads it offers), and an edit updates what the message offers: the dispatcher takes a button
press or poll answer only on such a message, in the chat it was sent to (see
handlers/access_guard.py). The buttons can be on the screen before the send returns (Telegram
shows the text with its buttons, then the bot uploads the attached files), so a quick press may
arrive before the record: the dispatcher waits with a choice while a message with choices is
still on its way into that chat (``offers_settled``). A secret ballot a transport withheld (the
rules keep it off that platform, or the Matrix room is not encrypted; bot/transport/secrecy.py)
is not recorded as offered there: the member got an explanation instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.models import Platform
from bot.in_flight import InFlight
from bot.outgoing import Outgoing, ToChat, ToEdit, ToPerson
from bot.transport.base import Transport
from bot.transport.events import ChatRef, MessageRef, OutgoingMessage
from bot.transport.refusal import MessageRefused
from bot.transport.secrecy import BallotWithheld
from storage.database import Database
from storage.repositories import Repositories
from storage.repositories.sent_messages import secret_stem

log = logging.getLogger(__name__)

# How long a choice waits for the record of a message with choices still being sent into its
# chat: enough for the upload of a session's materials.
OFFER_WAIT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ChatSend:
    """What became of a message sent into one chat: its reference, or why it did not go."""

    ref: MessageRef | None = None
    refused: str = ""  # the platform's reason, when it refused the message for good
    failed: str = ""  # a failure that may pass (the network, the server)


class _Offering:
    """``Messenger._offering_into``: a plain class, as it wraps every message sent."""

    __slots__ = ("_key", "_messenger")

    def __init__(self, messenger: Messenger, key: tuple[str, str] | None) -> None:
        self._messenger = messenger
        self._key = key  # None: the message offers no choices, nothing to track

    async def __aenter__(self) -> None:
        if self._key is not None:
            self._messenger._offering[self._key] += 1

    async def __aexit__(self, *exc_info: object) -> None:
        if self._key is not None:
            await self._messenger._offer_settled(self._key)


class Messenger:
    def __init__(self, db: Database, transports: Mapping[Platform, Transport]) -> None:
        self._db = db
        self._transports = dict(transports)
        # Chats into which a message with choices is being sent and not yet recorded.
        self._offering: Counter[tuple[str, str]] = Counter()
        self._offers_changed = asyncio.Condition()
        # Deliveries a clean stop waits for (bot/in_flight.py).
        self.in_flight = InFlight()
        # Offers being recorded for messages already out; they finish even if the sender is
        # cancelled, and the runtime waits for them before the database closes.
        self._recordings: set[asyncio.Future[None]] = set()

    async def offers_settled(self, chat: ChatRef, timeout: float = OFFER_WAIT_SECONDS) -> None:
        """Return once no message with choices is on its way into ``chat`` (or after
        ``timeout``), so a choice made on it finds it recorded."""
        key = (str(chat.platform), chat.chat_id)
        if not self._offering[key]:
            return
        async with self._offers_changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._offers_changed.wait_for(lambda: not self._offering[key]), timeout
                )

    def _offering_into(self, chat: ChatRef, message: OutgoingMessage) -> _Offering:
        """While inside: a message with choices is on its way into ``chat``."""
        return _Offering(self, (str(chat.platform), chat.chat_id) if message.choices else None)

    async def _offer_settled(self, key: tuple[str, str]) -> None:
        self._offering[key] -= 1
        if not self._offering[key]:
            del self._offering[key]
        async with self._offers_changed:
            self._offers_changed.notify_all()

    async def deliver(
        self, outgoing: Iterable[Outgoing], *, edits_withdrawn: bool = False
    ) -> list[MessageRef]:
        """Send and edit as described. ``edits_withdrawn``: the choices of messages edited
        into ones without choices were already withdrawn in the transaction that asked for
        the edit (see ``withdraw_edited``), so no transaction of its own is needed here."""
        sent: list[MessageRef] = []
        for item in outgoing:
            if isinstance(item.target, ToChat):
                sent.extend(await self._send_to_chats([item.target.chat], item.message))
            elif isinstance(item.target, ToPerson):
                sent.extend(await self.send_to_person(item.target.person_id, item.message))
            elif isinstance(item.target, ToEdit):
                recorded = edits_withdrawn and not item.message.choices
                edited = await self.edit(item.target.message, item.message, recorded=recorded)
                if edited is not None:
                    sent.append(edited)
        return sent

    async def edit(
        self, ref: MessageRef, message: OutgoingMessage, *, recorded: bool = False
    ) -> MessageRef | None:
        """Edit the message; ``recorded``: what it offers afterwards is already stored."""
        transport = self._transports.get(ref.chat.platform)
        if transport is None:
            log.error(
                "no %s transport running; message %s not edited", ref.chat.platform, ref.message_id
            )
            return None
        async with self._offering_into(ref.chat, message):
            try:
                edited = await transport.edit(ref, message)
            except BallotWithheld as withheld:  # the member was told why instead
                log.info(
                    "secret ballot withheld from %s message %s (%s)",
                    ref.chat.platform,
                    ref.message_id,
                    withheld.reason,
                )
                return None
            except MessageRefused as refused:  # e.g. not the bot's message: nothing to change
                log.info(
                    "%s refused an edit of message %s: %s",
                    ref.chat.platform,
                    ref.message_id,
                    refused.reason,
                )
                return None
            except Exception:
                log.exception("editing %s message %s failed", ref.chat.platform, ref.message_id)
                return None
            if not recorded:
                await self._remember_edit(ref, edited, message)
        return edited

    @staticmethod
    async def withdraw_edited(repos: Repositories, outgoing: Iterable[Outgoing]) -> None:
        """In the transaction that asks for them: edits that leave a message without choices
        withdraw its choices now (a press in between is taken as a replay of a spent one)."""
        by_chat: dict[tuple[Platform, str], list[str]] = {}
        for item in outgoing:
            if isinstance(item.target, ToEdit) and not item.message.choices:
                chat = item.target.message.chat
                by_chat.setdefault((chat.platform, chat.chat_id), []).append(
                    item.target.message.message_id
                )
        for (platform, chat_id), message_ids in by_chat.items():
            await repos.sent_messages.withdraw(platform, chat_id, *message_ids)

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
            outcome = await self.send_to_chat(chat, message)
            if outcome.ref is not None:
                sent.append(outcome.ref)
        return sent

    async def send_to_chat(self, chat: ChatRef, message: OutgoingMessage) -> ChatSend:
        """Send into one chat; says why not when it did not go (a refusal or a failure)."""
        transport = self._transports.get(chat.platform)
        if transport is None:
            log.error(
                "no %s transport running; message to %s not sent", chat.platform, chat.chat_id
            )
            return ChatSend(failed=f"no {chat.platform} transport running")
        async with self._offering_into(chat, message):
            try:
                ref = await transport.send(chat, message)
            except BallotWithheld as withheld:  # the member was told why instead
                log.info(
                    "secret ballot withheld from %s chat %s (%s)",
                    chat.platform,
                    chat.chat_id,
                    withheld.reason,
                )
                # Final, not a failure that may pass: sending again would be withheld again.
                return ChatSend(refused=f"secret ballot withheld ({withheld.reason})")
            except MessageRefused as refused:  # for good: sending it again changes nothing
                log.warning(
                    "%s refused a message to chat %s: %s",
                    chat.platform,
                    chat.chat_id,
                    refused.reason,
                )
                return ChatSend(refused=refused.reason)
            except Exception as error:  # one failed chat must not keep the message from the others
                log.exception("sending to %s chat %s failed", chat.platform, chat.chat_id)
                return ChatSend(failed=str(error) or type(error).__name__)
            if message.choices:
                await self._remember_offer(ref, message)
        return ChatSend(ref=ref)

    async def _remember_offer(self, ref: MessageRef, message: OutgoingMessage) -> None:
        """Shielded: the message is out, so a sender cancelled now (a stop) must not leave its
        buttons unknown, to be refused when pressed."""
        recording = asyncio.ensure_future(self._record_offer(ref, message))
        self._recordings.add(recording)
        recording.add_done_callback(self._recordings.discard)
        await asyncio.shield(recording)

    async def recordings_done(self) -> None:
        """At stop, before the database closes: what messages already out offer is recorded."""
        while self._recordings:
            await asyncio.gather(*self._recordings)  # each logs its own failure

    async def _record_offer(self, ref: MessageRef, message: OutgoingMessage) -> None:
        payloads = tuple(
            secret_stem(choice.payload) if message.secret else choice.payload
            for choice in message.flat_choices
        )
        chat = ref.chat
        try:
            async with self._db.transaction() as repos:
                await repos.sent_messages.offered(
                    chat.platform, chat.chat_id, ref.message_id, payloads
                )
        except Exception:  # the message is out; its buttons will be refused, so say so loudly
            log.exception(
                "could not record the choices of %s message %s", ref.chat.platform, ref.message_id
            )

    async def _remember_edit(
        self, original: MessageRef, edited: MessageRef, message: OutgoingMessage
    ) -> None:
        """The original's choices are withdrawn, unless the edit kept the message and put
        choices under it again; a Matrix poll edited into a new poll offers them there."""
        platform, chat_id = original.chat.platform, original.chat.chat_id
        replaced = edited.message_id != original.message_id or edited.chat.chat_id != chat_id
        if message.choices and not replaced:
            await self._remember_offer(original, message)
            return

        try:
            async with self._db.transaction() as repos:
                if await repos.sent_messages.is_recorded(platform, chat_id, original.message_id):
                    await repos.sent_messages.withdraw(platform, chat_id, original.message_id)
        except Exception:
            log.exception(
                "could not withdraw the choices of %s message %s", platform, original.message_id
            )
        if message.choices:
            await self._remember_offer(edited, message)
