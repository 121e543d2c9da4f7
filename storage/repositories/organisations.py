"""Respondent organisations of association surveys (municipalities)."""

from __future__ import annotations

from bot.domain.models import Organisation
from storage.columns import name_key
from storage.engine import Row
from storage.repositories.base import Repository


def organisation_from_row(row: Row) -> Organisation:
    return Organisation(id=row["id"], name=row["name"])


class OrganisationRepository(Repository):
    __slots__ = ()

    async def get_or_create(self, name: str) -> Organisation:
        """The organisation with this name, ignoring case and extra spaces; created if new.

        The first spelling stored stays the displayed name.
        """
        name = " ".join(name.split())
        if not name:
            raise ValueError("an organisation needs a name")
        key = name_key(name)
        await self._run(
            "INSERT INTO organisations (name, name_key) VALUES (?, ?) "
            "ON CONFLICT (name_key) DO NOTHING",
            (name, key),
        )
        row = await self._one("SELECT id, name FROM organisations WHERE name_key = ?", (key,))
        assert row is not None  # inserted or already there, inside the same transaction
        return organisation_from_row(row)

    async def get(self, organisation_id: int) -> Organisation | None:
        return await self._get(
            "SELECT id, name FROM organisations WHERE id = ?",
            (organisation_id,),
            organisation_from_row,
        )

    async def get_by_name(self, name: str) -> Organisation | None:
        row = await self._one(
            "SELECT id, name FROM organisations WHERE name_key = ?", (name_key(name),)
        )
        return None if row is None else organisation_from_row(row)

    async def list(self) -> list[Organisation]:
        return await self._list(
            "SELECT id, name FROM organisations ORDER BY name_key, id", (), organisation_from_row
        )
