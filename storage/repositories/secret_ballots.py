"""Secret votes on motions (art. 42-43): who took part, and the ballots, kept unlinkable.

``secret_participation`` records that a member voted; ``secret_ballots`` records a choice under
a random receipt. No column, timestamp or insertion order connects the two tables. The audit
trail records the participation only: no choice, no receipt, and nothing about the ballot, so
its order and times cannot be matched against ballots either (docs/AUDIT.md).
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime

from bot.domain.audit_chain import AuditKind, motion_round_subject, person_actor
from bot.domain.models import VoteChoice, VoteKind
from storage.columns import now_utc
from storage.errors import (
    DuplicateReceipt,
    DuplicateVote,
    UnknownVoteRound,
    VoteKindMismatch,
    is_unique_violation,
)
from storage.records import SecretBallot
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository

# Crockford's base32: no I, L, O or U, so a receipt read aloud or retyped stays unambiguous.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_receipt() -> str:
    """A random 80-bit receipt such as ``7K3Q-9XDM-2RTB-H4PW``."""
    symbols = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(symbols[i : i + 4] for i in range(0, 16, 4))


def ballot_from_row(row: sqlite3.Row) -> SecretBallot:
    return SecretBallot(
        motion_id=row["motion_id"],
        round=row["round"],
        receipt=row["receipt"],
        choice=VoteChoice(row["choice"]),
    )


class SecretBallotRepository(Repository):
    __slots__ = ()

    async def cast(
        self,
        motion_id: int,
        round: int,
        person_id: int,
        choice: VoteChoice,
        receipt: str,
        *,
        at: datetime | None = None,
    ) -> SecretBallot:
        """Records participation and the ballot in the caller's transaction, both or neither.

        The audit trail gets a participation entry at ``at`` (default now), without the choice.

        Raises ``DuplicateVote`` on a second participation, ``DuplicateReceipt`` if the receipt
        is taken, ``UnknownVoteRound`` or ``VoteKindMismatch`` for a missing or public round.
        """
        row = await self._one(
            "SELECT vote_kind FROM vote_rounds WHERE motion_id = ? AND round = ?",
            (motion_id, round),
        )
        if row is None:
            raise UnknownVoteRound("motion", motion_id, round)
        if row["vote_kind"] != VoteKind.SECRET.value:
            raise VoteKindMismatch(motion_id, round, VoteKind(row["vote_kind"]))

        # A savepoint keeps the pair atomic even if the caller catches an error and goes on.
        await self._run("SAVEPOINT secret_ballot")
        try:
            try:
                await self._run(
                    "INSERT INTO secret_participation (motion_id, round, person_id) "
                    "VALUES (?, ?, ?)",
                    (motion_id, round, person_id),
                )
            except sqlite3.IntegrityError as error:
                if is_unique_violation(error):
                    raise DuplicateVote("motion", motion_id, round, person_id) from error
                raise
            try:
                await self._run(
                    "INSERT INTO secret_ballots (receipt, motion_id, round, choice) "
                    "VALUES (?, ?, ?, ?)",
                    (receipt, motion_id, round, choice.value),
                )
            except sqlite3.IntegrityError as error:
                if is_unique_violation(error):
                    raise DuplicateReceipt(f"receipt already used in round {round}") from error
                raise
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.SECRET_PARTICIPATION,
                motion_round_subject(motion_id, round),
                person_actor(person_id),
                {},
                at or now_utc(),
            )
        except BaseException:
            await self._run("ROLLBACK TO SAVEPOINT secret_ballot")
            await self._run("RELEASE SAVEPOINT secret_ballot")
            raise
        await self._run("RELEASE SAVEPOINT secret_ballot")
        return SecretBallot(motion_id, round, receipt, choice)

    async def participants(self, motion_id: int, round: int) -> list[int]:
        """Ids of the members who voted, in ascending order."""
        rows = await self._all(
            "SELECT person_id FROM secret_participation WHERE motion_id = ? AND round = ? "
            "ORDER BY person_id",
            (motion_id, round),
        )
        return [row["person_id"] for row in rows]

    async def has_participated(self, motion_id: int, round: int, person_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM secret_participation "
            "WHERE motion_id = ? AND round = ? AND person_id = ?",
            (motion_id, round, person_id),
        )
        return row is not None

    async def ballots(self, motion_id: int, round: int) -> list[SecretBallot]:
        """The ballots in receipt order, which is random and says nothing about the voters."""
        rows = await self._all(
            "SELECT receipt, motion_id, round, choice FROM secret_ballots "
            "WHERE motion_id = ? AND round = ? ORDER BY receipt",
            (motion_id, round),
        )
        return [ballot_from_row(row) for row in rows]

    async def find_ballot(self, receipt: str) -> SecretBallot | None:
        """Lets a voter check with the receipt that their ballot was counted as cast."""
        row = await self._one(
            "SELECT receipt, motion_id, round, choice FROM secret_ballots WHERE receipt = ?",
            (receipt,),
        )
        return None if row is None else ballot_from_row(row)
