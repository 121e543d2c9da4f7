"""The bot's own messages with choices, and whether a choice is one they offer (migration 0006).

The dispatcher takes a button press or poll answer only when it answers such a message in the
same chat and names a choice the message offers now. Withdrawn choices (the buttons were
replaced or removed, the poll was ended) are remembered, so a press on them is recognised as a
replay rather than a forgery.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Platform
from storage.columns import now_utc, utc_text
from storage.repositories.base import Repository, placeholders

_KEY = "platform = ? AND chat_id = ? AND message_id = ?"
SECRET_FIELD = "*"


def secret_stem(payload: str) -> str:
    """What is recorded of a payload carrying a secret choice (its last field): the rest, with
    the choice replaced by ``*`` ("lvc:12:1:za" -> "lvc:12:1:*")."""
    head, separator, _choice = payload.rpartition(":")
    return f"{head}:{SECRET_FIELD}" if separator else SECRET_FIELD


class ChoiceStanding(StrEnum):
    """What the bot's records say about a choice made on a message."""

    OFFERED = "offered"  # the message offers it now
    WITHDRAWN = "withdrawn"  # the message offered it once; its buttons changed or went
    NEVER_OFFERED = "never_offered"  # the message exists, the payload was never under it
    NO_MESSAGE = "no_message"  # the bot sent no message with choices under this id here


class SentMessageRepository(Repository):
    __slots__ = ()

    async def offered(
        self,
        platform: Platform,
        chat_id: str,
        message_id: str,
        payloads: Iterable[str],
        sent_at: datetime | None = None,
    ) -> None:
        """The message (new, or edited) offers exactly ``payloads`` now; any others it offered
        before are withdrawn."""
        key = (platform.value, chat_id, message_id)
        new = await self._run(
            "INSERT INTO sent_messages (platform, chat_id, message_id, sent_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (platform, chat_id, message_id) DO NOTHING",
            (*key, utc_text(sent_at or now_utc())),
        )
        if not new:  # an edited message: what it offered before goes
            await self.withdraw(platform, chat_id, message_id)
        await self._run_many(
            "INSERT INTO sent_message_choices (platform, chat_id, message_id, payload, withdrawn) "
            "VALUES (?, ?, ?, ?, FALSE) "
            "ON CONFLICT (platform, chat_id, message_id, payload) DO UPDATE SET withdrawn = FALSE",
            [(*key, payload) for payload in dict.fromkeys(payloads)],
        )

    async def withdraw(self, platform: Platform, chat_id: str, *message_ids: str) -> int:
        """The messages offer nothing any more; returns how many choices were withdrawn."""
        if not message_ids:
            return 0
        return await self._run(
            "UPDATE sent_message_choices SET withdrawn = TRUE WHERE platform = ? AND chat_id = ? "
            f"AND message_id IN ({placeholders(len(message_ids))}) AND NOT withdrawn",
            (platform.value, chat_id, *message_ids),
        )

    async def is_recorded(self, platform: Platform, chat_id: str, message_id: str) -> bool:
        row = await self._one(
            f"SELECT 1 FROM sent_messages WHERE {_KEY}", (platform.value, chat_id, message_id)
        )
        return row is not None

    async def standing(
        self, platform: Platform, chat_id: str, message_id: str, payload: str
    ) -> ChoiceStanding:
        key = (platform.value, chat_id, message_id)
        row = await self._one(
            "SELECT c.withdrawn FROM sent_messages m LEFT JOIN sent_message_choices c "
            "ON c.platform = m.platform AND c.chat_id = m.chat_id "
            "AND c.message_id = m.message_id AND c.payload IN (?, ?) "
            "WHERE m.platform = ? AND m.chat_id = ? AND m.message_id = ? "
            "ORDER BY c.withdrawn IS NULL, c.withdrawn LIMIT 1",
            (payload, secret_stem(payload), *key),
        )
        if row is None:
            return ChoiceStanding.NO_MESSAGE
        if row["withdrawn"] is None:
            return ChoiceStanding.NEVER_OFFERED
        return ChoiceStanding.WITHDRAWN if row["withdrawn"] else ChoiceStanding.OFFERED

    async def prune(self, older_than: datetime) -> int:
        """Forgets messages sent before ``older_than`` (their choices with them); a press on
        one of them is refused afterwards. Returns how many messages were forgotten."""
        return await self._run(
            "DELETE FROM sent_messages WHERE sent_at < ?", (utc_text(older_than),)
        )

    async def offering(self, stems: Sequence[str]) -> list[tuple[Platform, str, str]]:
        """(platform, chat_id, message_id) of the messages still offering a payload equal to
        one of ``stems`` or continuing it after a colon ("lvb:12:1" finds "lvb:12:1:za", not
        "lvb:12:10:za"). Stems are the bot's own payload prefixes (no LIKE wildcards)."""
        if not stems:
            return []
        matches = " OR ".join("payload = ? OR payload LIKE ?" for _stem in stems)
        rows = await self._all(
            "SELECT DISTINCT platform, chat_id, message_id FROM sent_message_choices "
            f"WHERE NOT withdrawn AND ({matches}) ORDER BY platform, chat_id, message_id",
            [value for stem in stems for value in (stem, f"{stem}:%")],
        )
        return [(Platform(row["platform"]), row["chat_id"], row["message_id"]) for row in rows]
