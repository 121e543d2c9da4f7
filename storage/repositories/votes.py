"""Public and roll-call votes: each row names the member and the choice (art. 41)."""

from __future__ import annotations

from bot.domain.audit_chain import AuditKind, motion_round_subject, person_actor
from bot.domain.models import Platform, Vote, VoteChoice
from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.errors import DuplicateVote, UniqueViolation, UnknownVoteRound, VoteKindMismatch
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository
from storage.repositories.rounds import VoteRoundRepository

COLUMNS = "motion_id, round, person_id, choice, cast_at, platform"


def vote_from_row(row: Row) -> Vote:
    return Vote(
        motion_id=row["motion_id"],
        round=row["round"],
        person_id=row["person_id"],
        choice=VoteChoice(row["choice"]),
        cast_at=parse_utc(row["cast_at"]),
        platform=Platform(row["platform"]),
    )


class VoteRepository(Repository):
    __slots__ = ()

    async def cast(self, vote: Vote) -> Vote:
        """Stores the vote. Raises ``DuplicateVote`` if the member already voted in this round,
        ``UnknownVoteRound`` if the round was never opened, and ``VoteKindMismatch`` if the
        round is secret (a secret vote must never be stored with the voter's name).

        The audit trail records the vote with its choice: a public vote is public."""
        try:
            # Inserting through a SELECT on the round makes the kind check part of the write.
            inserted = await self._run(
                "INSERT INTO votes (motion_id, round, person_id, choice, cast_at, platform) "
                "SELECT motion_id, round, ?, ?, ?, ? FROM vote_rounds "
                "WHERE motion_id = ? AND round = ? AND vote_kind <> 'secret'",
                (
                    vote.person_id,
                    vote.choice.value,
                    utc_text(vote.cast_at),
                    vote.platform.value,
                    vote.motion_id,
                    vote.round,
                ),
            )
        except UniqueViolation as error:
            raise DuplicateVote("motion", vote.motion_id, vote.round, vote.person_id) from error
        if inserted == 0:
            vote_round = await VoteRoundRepository(self._connection, self._keys).get(
                vote.motion_id, vote.round
            )
            if vote_round is None:
                raise UnknownVoteRound("motion", vote.motion_id, vote.round)
            raise VoteKindMismatch(vote.motion_id, vote.round, vote_round.vote_kind)
        await AuditRepository(self._connection, self._keys).append(
            AuditKind.VOTE_CAST,
            motion_round_subject(vote.motion_id, vote.round),
            person_actor(vote.person_id),
            {"choice": vote.choice.value, "platform": vote.platform.value},
            vote.cast_at,
        )
        return vote

    async def get(self, motion_id: int, round: int, person_id: int) -> Vote | None:
        row = await self._one(
            f"SELECT {COLUMNS} FROM votes WHERE motion_id = ? AND round = ? AND person_id = ?",
            (motion_id, round, person_id),
        )
        return None if row is None else vote_from_row(row)

    async def list_for_motion(self, motion_id: int, round: int) -> list[Vote]:
        """In the order they were cast."""
        rows = await self._all(
            f"SELECT {COLUMNS} FROM votes WHERE motion_id = ? AND round = ? "
            "ORDER BY cast_at, person_id",
            (motion_id, round),
        )
        return [vote_from_row(row) for row in rows]
