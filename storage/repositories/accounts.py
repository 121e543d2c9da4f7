"""Linked chat accounts: how a person is recognised on Telegram or Matrix."""

from __future__ import annotations

from datetime import datetime

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, person_actor, person_subject
from bot.domain.models import Person, Platform
from storage.columns import now_utc, parse_utc, utc_text
from storage.engine import Row
from storage.errors import AccountAlreadyLinked
from storage.records import LinkedAccount
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository
from storage.repositories.persons import COLUMN_NAMES as PERSON_COLUMN_NAMES
from storage.repositories.persons import person_from_row

COLUMNS = "person_id, platform, external_id, linked_at"

_PERSON_COLUMNS = ", ".join(f"p.{name}" for name in PERSON_COLUMN_NAMES)


def account_from_row(row: Row) -> LinkedAccount:
    return LinkedAccount(
        person_id=row["person_id"],
        platform=Platform(row["platform"]),
        external_id=row["external_id"],
        linked_at=parse_utc(row["linked_at"]),
    )


class AccountRepository(Repository):
    __slots__ = ()

    async def link(
        self, person_id: int, platform: Platform, external_id: str, linked_at: datetime
    ) -> LinkedAccount:
        """Links the account to the person; linking it again to the same person changes nothing.

        Raises ``AccountAlreadyLinked`` when the account belongs to someone else: one chat
        account must never vote for two people. A new link is recorded in the audit trail with
        its platform; the account's id stays in ``linked_accounts`` only, since the permanent
        log keeps no personal identifiers beyond person ids.
        """
        inserted = await self._run(
            "INSERT INTO linked_accounts (person_id, platform, external_id, linked_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (platform, external_id) DO NOTHING",
            (person_id, platform.value, external_id, utc_text(linked_at)),
        )
        existing = await self.get(platform, external_id)
        assert existing is not None
        if existing.person_id != person_id:
            raise AccountAlreadyLinked(platform, external_id, existing.person_id)
        if inserted:
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.ACCOUNT_LINKED,
                person_subject(person_id),
                person_actor(person_id),
                {"platform": platform.value},
                linked_at,
            )
        return existing

    async def get(self, platform: Platform, external_id: str) -> LinkedAccount | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM linked_accounts WHERE platform = ? AND external_id = ?",
            (platform.value, external_id),
            account_from_row,
        )

    async def find_person(self, platform: Platform, external_id: str) -> Person | None:
        return await self._get(
            f"SELECT {_PERSON_COLUMNS} FROM linked_accounts a JOIN persons p ON p.id = a.person_id "
            "WHERE a.platform = ? AND a.external_id = ?",
            (platform.value, external_id),
            person_from_row,
        )

    async def list_for_person(self, person_id: int) -> list[LinkedAccount]:
        return await self._list(
            f"SELECT {COLUMNS} FROM linked_accounts WHERE person_id = ? ORDER BY linked_at, id",
            (person_id,),
            account_from_row,
        )

    async def list_all(self) -> list[LinkedAccount]:
        return await self._list(
            f"SELECT {COLUMNS} FROM linked_accounts ORDER BY person_id, linked_at, id",
            (),
            account_from_row,
        )

    async def unlink(
        self,
        platform: Platform,
        external_id: str,
        *,
        at: datetime | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> bool:
        """Removes the link; a removal is recorded in the audit trail at ``at`` (default now)."""
        row = await self._one(
            "DELETE FROM linked_accounts WHERE platform = ? AND external_id = ? "
            "RETURNING person_id",
            (platform.value, external_id),
        )
        if row is None:
            return False
        await AuditRepository(self._connection, self._keys).append(
            AuditKind.ACCOUNT_UNLINKED,
            person_subject(row["person_id"]),
            actor,
            {"platform": platform.value},
            at or now_utc(),
        )
        return True
