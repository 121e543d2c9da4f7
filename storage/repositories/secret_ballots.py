"""Secret votes on motions (art. 42-43): who took part, and the ballots, kept unlinkable.

``secret_participation`` records that a member voted. While the round is open the ballot
itself exists only sealed (``sealed_ballots``: encrypted, fixed size, no person or time); when
the round closes the sealed ballots are opened, shuffled and written to ``secret_ballots``
(a choice under a random receipt) in one transaction, each also entered in the audit trail as
counted, and the sealed copies are erased. So no byte order, time or size in the database
file, its write-ahead log or a backup pairs a ballot with a participation (docs/SECURITY.md).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.domain.audit_chain import (
    SYSTEM_ACTOR,
    AuditKind,
    motion_round_subject,
    person_actor,
)
from bot.domain.models import VoteChoice, VoteKind
from storage.columns import now_utc
from storage.engine import Row
from storage.errors import (
    DuplicateReceipt,
    DuplicateVote,
    UniqueViolation,
    UnknownVoteRound,
    VoteKindMismatch,
    VoteRoundClosed,
)
from storage.records import SecretBallot
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository
from storage.repositories.sealed_ballots import SealedBallotRepository

# Crockford's base32: no I, L, O or U, so a receipt read aloud or retyped stays unambiguous.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SEALED_SIZE = 48  # "7K3Q-9XDM-2RTB-H4PW|vzdrzan" and its length fit with room to spare
VOTE = "motion"


def new_receipt() -> str:
    """A random 80-bit receipt such as ``7K3Q-9XDM-2RTB-H4PW``."""
    symbols = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(symbols[i : i + 4] for i in range(0, 16, 4))


def ballot_from_row(row: Row) -> SecretBallot:
    return SecretBallot(
        motion_id=row["motion_id"],
        round=row["round"],
        receipt=row["receipt"],
        choice=VoteChoice(row["choice"]),
    )


def _sealed_text(receipt: str, choice: VoteChoice) -> bytes:
    return f"{receipt}|{choice.value}".encode()


def _from_sealed_text(text: bytes) -> tuple[str, VoteChoice]:
    receipt, choice = text.decode().rsplit("|", 1)
    return receipt, VoteChoice(choice)


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
        """Records participation and the sealed ballot in the caller's transaction, both or
        neither. The ballot is counted (``ballots``) once the round is closed.

        The audit trail gets a participation entry at ``at`` (default now), without the choice.

        Raises ``DuplicateVote`` on a second participation, ``DuplicateReceipt`` if the receipt
        is taken, ``UnknownVoteRound``, ``VoteKindMismatch`` or ``VoteRoundClosed`` for a
        missing, public or closed round, ``ServerKeysMissing`` without the server's keys.
        """
        row = await self._one(
            "SELECT vote_kind, closed_at FROM vote_rounds WHERE motion_id = ? AND round = ?",
            (motion_id, round),
        )
        if row is None:
            raise UnknownVoteRound("motion", motion_id, round)
        if row["vote_kind"] != VoteKind.SECRET.value:
            raise VoteKindMismatch(motion_id, round, VoteKind(row["vote_kind"]))
        if row["closed_at"] is not None:
            raise VoteRoundClosed("motion", motion_id, round)
        if await self._receipt_taken(motion_id, round, receipt):
            raise DuplicateReceipt(f"receipt already used in round {round}")

        # A savepoint keeps the pair atomic even if the caller catches an error and goes on.
        await self._run("SAVEPOINT secret_ballot")
        try:
            try:
                await self._run(
                    "INSERT INTO secret_participation (motion_id, round, person_id) "
                    "VALUES (?, ?, ?)",
                    (motion_id, round, person_id),
                )
            except UniqueViolation as error:
                raise DuplicateVote("motion", motion_id, round, person_id) from error
            await self._sealed().add(
                VOTE, motion_id, round, _sealed_text(receipt, choice), SEALED_SIZE
            )
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

    def _sealed(self) -> SealedBallotRepository:
        return SealedBallotRepository(self._connection, self._keys)

    async def _receipt_taken(self, motion_id: int, round: int, receipt: str) -> bool:
        if await self.find_ballot(receipt) is not None:
            return True
        sealed = await self._sealed().open_all(VOTE, motion_id, round)
        return any(_from_sealed_text(text)[0] == receipt for text in sealed)

    async def unseal_round(self, motion_id: int, round: int, closed_at: datetime) -> int:
        """Opens the sealed ballots of a round that has just closed, writes them to
        ``secret_ballots`` in random order and erases the sealed copies; each ballot is
        entered in the audit trail as counted, in receipt order, at ``closed_at``. Returns how
        many ballots were counted. Called by ``VoteRoundRepository.close``."""
        sealed = self._sealed()
        ballots = [
            _from_sealed_text(text) for text in await sealed.open_all(VOTE, motion_id, round)
        ]
        if not ballots:
            return 0
        secrets.SystemRandom().shuffle(ballots)
        await self._run_many(
            "INSERT INTO secret_ballots (receipt, motion_id, round, choice) VALUES (?, ?, ?, ?)",
            [(receipt, motion_id, round, choice.value) for receipt, choice in ballots],
        )
        await sealed.erase(VOTE, motion_id, round)
        audit = AuditRepository(self._connection, self._keys)
        for receipt, choice in sorted(ballots):
            await audit.append(
                AuditKind.SECRET_BALLOT_COUNTED,
                motion_round_subject(motion_id, round),
                SYSTEM_ACTOR,
                {"receipt": receipt, "choice": choice.value},
                closed_at,
            )
        return len(ballots)

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
        """The counted ballots in receipt order, which is random and says nothing about the
        voters; empty while the round is open (its ballots are still sealed)."""
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
