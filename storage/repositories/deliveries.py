"""Delivery confirmations: a member confirms personally receiving a session's invitation."""

from __future__ import annotations

from bot.domain.audit_chain import AuditKind, person_actor, session_subject
from bot.domain.models import DeliveryConfirmation, Platform
from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository

COLUMNS = "session_id, person_id, confirmed_at, platform"


def delivery_from_row(row: Row) -> DeliveryConfirmation:
    return DeliveryConfirmation(
        session_id=row["session_id"],
        person_id=row["person_id"],
        confirmed_at=parse_utc(row["confirmed_at"]),
        platform=Platform(row["platform"]),
    )


class DeliveryRepository(Repository):
    __slots__ = ()

    async def confirm(self, confirmation: DeliveryConfirmation) -> DeliveryConfirmation:
        """Idempotent: the first confirmation stands and is returned on every later call.

        Only the first confirmation enters the audit trail.
        """
        await self.record(confirmation)
        stored = await self.get(confirmation.session_id, confirmation.person_id)
        assert stored is not None
        return stored

    async def record(self, confirmation: DeliveryConfirmation) -> bool:
        """``confirm`` without reading back: True if this was the first confirmation."""
        inserted = await self._run(
            "INSERT INTO delivery_confirmations (session_id, person_id, confirmed_at, platform) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (session_id, person_id) DO NOTHING",
            (
                confirmation.session_id,
                confirmation.person_id,
                utc_text(confirmation.confirmed_at),
                confirmation.platform.value,
            ),
        )
        if inserted:
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.DELIVERY_CONFIRMED,
                session_subject(confirmation.session_id),
                person_actor(confirmation.person_id),
                {"platform": confirmation.platform.value},
                confirmation.confirmed_at,
            )
        return bool(inserted)

    async def get(self, session_id: int, person_id: int) -> DeliveryConfirmation | None:
        row = await self._one(
            f"SELECT {COLUMNS} FROM delivery_confirmations WHERE session_id = ? AND person_id = ?",
            (session_id, person_id),
        )
        return None if row is None else delivery_from_row(row)

    async def count_confirmed(self, session_id: int, *, with_voters: bool) -> int:
        """Members of any list who confirmed, and (``with_voters``) who voted on any of the
        session's motions in any round: never fewer than a tally of the session counts."""
        voters = (
            " UNION SELECT v.person_id FROM votes v JOIN motions m ON m.id = v.motion_id "
            "WHERE m.session_id = ?"
        )
        row = await self._one(
            "SELECT COUNT(*) FROM (SELECT person_id FROM delivery_confirmations "
            f"WHERE session_id = ?{voters if with_voters else ''})",
            (session_id, session_id) if with_voters else (session_id,),
        )
        assert row is not None
        return int(row[0])

    async def list_for_session(self, session_id: int) -> list[DeliveryConfirmation]:
        rows = await self._all(
            f"SELECT {COLUMNS} FROM delivery_confirmations WHERE session_id = ? "
            "ORDER BY confirmed_at, person_id",
            (session_id,),
        )
        return [delivery_from_row(row) for row in rows]
