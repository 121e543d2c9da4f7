"""Linking codes: single use, with expiry; only a keyed hash of each code is stored.

The hash is an HMAC under a key derived from SEJABOT_SECRET_KEY (storage/keyring.py), which is
not in the database. Codes issued before schema version 12 were stored as plain SHA-256; they
are still found (``find``) until they expire, and are never issued again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, person_subject
from storage.columns import now_utc, optional_parse_utc, parse_utc, utc_text
from storage.engine import Row
from storage.keyring import ServerKeysMissing
from storage.records import LinkingCode, RedeemOutcome, RedeemResult
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository

COLUMNS = "id, code_hash, person_id, organisation_id, created_at, expires_at, used_at"


def linking_code_from_row(row: Row) -> LinkingCode:
    return LinkingCode(
        id=row["id"],
        code_hash=row["code_hash"],
        person_id=row["person_id"],
        organisation_id=row["organisation_id"],
        created_at=parse_utc(row["created_at"]),
        expires_at=parse_utc(row["expires_at"]),
        used_at=optional_parse_utc(row["used_at"]),
    )


class LinkingCodeRepository(Repository):
    __slots__ = ()

    def keyed_hash(self, normalised_code: str) -> str:
        """The stored form of a new code; raises ``ServerKeysMissing`` without the keys."""
        if self._keys is None:
            raise ServerKeysMissing()
        return self._keys.code_hash(normalised_code)

    async def find(self, normalised_code: str) -> LinkingCode | None:
        """The code's record: by its keyed hash, or by the plain SHA-256 of earlier versions."""
        found = await self.get_by_hash(self.keyed_hash(normalised_code))
        if found is None:
            legacy = hashlib.sha256(normalised_code.encode("ascii")).hexdigest()
            found = await self.get_by_hash(legacy)
        return found

    async def add(
        self,
        code_hash: str,
        person_id: int,
        organisation_id: int | None,
        created_at: datetime,
        expires_at: datetime,
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> LinkingCode:
        """Stores a new code's hash. The audit trail records that a code was issued to the
        person, never the code or its hash: either would let a reader of the log link an
        account."""
        row = await self._one(
            "INSERT INTO invitation_codes "
            "(code_hash, person_id, organisation_id, created_at, expires_at) "
            f"VALUES (?, ?, ?, ?, ?) RETURNING {COLUMNS}",
            (code_hash, person_id, organisation_id, utc_text(created_at), utc_text(expires_at)),
        )
        assert row is not None
        await AuditRepository(self._connection, self._keys).append(
            AuditKind.INVITATION_CODE_ISSUED,
            person_subject(person_id),
            actor,
            {"organisation": organisation_id, "expires_at": utc_text(expires_at)},
            created_at,
        )
        return linking_code_from_row(row)

    async def get_by_hash(self, code_hash: str) -> LinkingCode | None:
        row = await self._one(
            f"SELECT {COLUMNS} FROM invitation_codes WHERE code_hash = ?", (code_hash,)
        )
        return None if row is None else linking_code_from_row(row)

    async def list_for_person(self, person_id: int) -> list[LinkingCode]:
        rows = await self._all(
            f"SELECT {COLUMNS} FROM invitation_codes WHERE person_id = ? ORDER BY created_at, id",
            (person_id,),
        )
        return [linking_code_from_row(row) for row in rows]

    async def redeem(self, code_hash: str, now: datetime) -> RedeemResult:
        """Marks the code used if it is unused and unexpired; a single statement decides."""
        stamp = utc_text(now)
        row = await self._one(
            "UPDATE invitation_codes SET used_at = ? "
            "WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? "
            f"RETURNING {COLUMNS}",
            (stamp, code_hash, stamp),
        )
        if row is not None:
            return RedeemResult(RedeemOutcome.OK, linking_code_from_row(row))
        existing = await self.get_by_hash(code_hash)
        if existing is None:
            return RedeemResult(RedeemOutcome.UNKNOWN)
        if existing.used_at is not None:
            return RedeemResult(RedeemOutcome.ALREADY_USED, existing)
        return RedeemResult(RedeemOutcome.EXPIRED, existing)

    async def revoke_unused(
        self, person_id: int, now: datetime | None = None, *, actor: str = SYSTEM_ACTOR
    ) -> int:
        """Unused, unexpired codes of the person expire now, so that a re-issued code replaces
        them. Returns how many were revoked (and records a revocation in the audit trail)."""
        moment = now or now_utc()
        stamp = utc_text(moment)
        revoked = await self._run(
            "UPDATE invitation_codes SET expires_at = ? "
            "WHERE person_id = ? AND used_at IS NULL AND expires_at > ?",
            (stamp, person_id, stamp),
        )
        if revoked:
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.INVITATION_CODES_REVOKED,
                person_subject(person_id),
                actor,
                {"count": revoked},
                moment,
            )
        return revoked
