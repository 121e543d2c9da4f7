"""Bodies: councils, committees, commissions, an association's presidency."""

from __future__ import annotations

from bot.domain.models import Body, BodyKind
from storage.engine import Row
from storage.repositories.base import Repository

COLUMNS = "id, slug, name, kind, rule_set"


def body_from_row(row: Row) -> Body:
    return Body(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        kind=BodyKind(row["kind"]),
        rule_set=row["rule_set"],
    )


class BodyRepository(Repository):
    __slots__ = ()

    async def upsert(self, body: Body) -> Body:
        """Insert the body, or update name, kind and rule set of the one with its slug."""
        row = await self._one(
            "INSERT INTO bodies (slug, name, kind, rule_set) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (slug) DO UPDATE SET "
            "name = excluded.name, kind = excluded.kind, rule_set = excluded.rule_set "
            f"RETURNING {COLUMNS}",
            (body.slug, body.name, body.kind.value, body.rule_set),
        )
        assert row is not None  # an upsert always returns its row
        return body_from_row(row)

    async def get(self, body_id: int) -> Body | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM bodies WHERE id = ?", (body_id,), body_from_row
        )

    async def get_by_slug(self, slug: str) -> Body | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM bodies WHERE slug = ?", (slug,), body_from_row
        )

    async def list(self) -> list[Body]:
        return await self._list(
            f"SELECT {COLUMNS} FROM bodies ORDER BY name, id", (), body_from_row
        )
