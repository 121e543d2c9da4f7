"""Memberships: a person's seat and role in a body."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.models import Membership, Role
from storage.engine import Row
from storage.repositories.base import Repository, placeholders

COLUMNS = "id, person_id, body_id, role, organisation_id, active"

# Stays well below SQLite's limit on bound parameters per statement.
CHUNK = 500


def membership_from_row(row: Row) -> Membership:
    return Membership(
        id=row["id"],
        person_id=row["person_id"],
        body_id=row["body_id"],
        role=Role(row["role"]),
        organisation_id=row["organisation_id"],
        active=bool(row["active"]),
    )


class MembershipRepository(Repository):
    __slots__ = ()

    async def upsert(self, membership: Membership) -> Membership:
        """One seat per person and body: updates role, organisation and active flag if present."""
        row = await self._one(
            "INSERT INTO memberships (person_id, body_id, role, organisation_id, active) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (person_id, body_id) DO UPDATE SET role = excluded.role, "
            "organisation_id = excluded.organisation_id, active = excluded.active "
            f"RETURNING {COLUMNS}",
            (
                membership.person_id,
                membership.body_id,
                membership.role.value,
                membership.organisation_id,
                membership.active,
            ),
        )
        assert row is not None
        return membership_from_row(row)

    async def get(self, person_id: int, body_id: int) -> Membership | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM memberships WHERE person_id = ? AND body_id = ?",
            (person_id, body_id),
            membership_from_row,
        )

    async def list_for_body(self, body_id: int, active_only: bool = True) -> list[Membership]:
        condition = " AND active" if active_only else ""
        return await self._list(
            f"SELECT {COLUMNS} FROM memberships WHERE body_id = ?{condition} ORDER BY id",
            (body_id,),
            membership_from_row,
        )

    async def list_for_person(self, person_id: int, active_only: bool = True) -> list[Membership]:
        condition = " AND active" if active_only else ""
        return await self._list(
            f"SELECT {COLUMNS} FROM memberships WHERE person_id = ?{condition} ORDER BY id",
            (person_id,),
            membership_from_row,
        )

    async def deactivate_except(self, body_id: int, person_ids: Collection[int]) -> int:
        """Marks inactive every active member of the body not in ``person_ids``.

        Rows are never deleted: past votes and minutes keep referring to them.
        """
        keep = set(person_ids)
        rows = await self._all(
            "SELECT person_id FROM memberships WHERE body_id = ? AND active", (body_id,)
        )
        leaving = sorted(row["person_id"] for row in rows if row["person_id"] not in keep)
        for start in range(0, len(leaving), CHUNK):
            chunk = leaving[start : start + CHUNK]
            await self._run(
                "UPDATE memberships SET active = FALSE "
                f"WHERE body_id = ? AND person_id IN ({placeholders(len(chunk))})",
                (body_id, *chunk),
            )
        return len(leaving)
