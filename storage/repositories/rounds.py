"""Vote rounds of a motion: each vote, and each repetition of it, is a numbered round."""

from __future__ import annotations

from datetime import datetime

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, motion_round_subject
from bot.domain.models import VoteKind
from storage.columns import optional_parse_utc, optional_utc_text, parse_utc, utc_text
from storage.engine import Row
from storage.errors import UnknownVoteRound
from storage.records import VoteRound
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository
from storage.repositories.secret_ballots import SecretBallotRepository

COLUMNS = "motion_id, round, vote_kind, opened_at, closes_at, closed_at"


def round_from_row(row: Row) -> VoteRound:
    return VoteRound(
        motion_id=row["motion_id"],
        round=row["round"],
        vote_kind=VoteKind(row["vote_kind"]),
        opened_at=parse_utc(row["opened_at"]),
        closes_at=optional_parse_utc(row["closes_at"]),
        closed_at=optional_parse_utc(row["closed_at"]),
    )


class VoteRoundRepository(Repository):
    __slots__ = ()

    async def open(
        self,
        motion_id: int,
        vote_kind: VoteKind,
        opened_at: datetime,
        closes_at: datetime | None = None,
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> VoteRound:
        """Opens the motion's next round (1 for the first vote) and records it in the audit
        trail; ``actor`` is who opened it (``person:7``), ``system`` by default."""
        row = await self._one(
            "INSERT INTO vote_rounds (motion_id, round, vote_kind, opened_at, closes_at) "
            "SELECT ?, COALESCE(MAX(round), 0) + 1, ?, ?, ? FROM vote_rounds WHERE motion_id = ? "
            f"RETURNING {COLUMNS}",
            (
                motion_id,
                vote_kind.value,
                utc_text(opened_at),
                optional_utc_text(closes_at),
                motion_id,
            ),
        )
        assert row is not None
        opened = round_from_row(row)
        await AuditRepository(self._connection, self._keys).append(
            AuditKind.VOTE_ROUND_OPENED,
            motion_round_subject(motion_id, opened.round),
            actor,
            {"vote_kind": vote_kind.value, "closes_at": optional_utc_text(closes_at)},
            opened_at,
        )
        return opened

    async def get(self, motion_id: int, round: int) -> VoteRound | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM vote_rounds WHERE motion_id = ? AND round = ?",
            (motion_id, round),
            round_from_row,
        )

    async def latest(self, motion_id: int) -> VoteRound | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM vote_rounds WHERE motion_id = ? ORDER BY round DESC LIMIT 1",
            (motion_id,),
            round_from_row,
        )

    async def list_for_motion(self, motion_id: int) -> list[VoteRound]:
        return await self._list(
            f"SELECT {COLUMNS} FROM vote_rounds WHERE motion_id = ? ORDER BY round",
            (motion_id,),
            round_from_row,
        )

    async def list_open(self) -> list[VoteRound]:
        """Rounds not yet closed, soonest deadline first (rounds without one last)."""
        return await self._list(
            f"SELECT {COLUMNS} FROM vote_rounds WHERE closed_at IS NULL "
            "ORDER BY closes_at IS NULL, closes_at, motion_id, round",
            (),
            round_from_row,
        )

    async def close(
        self, motion_id: int, round: int, closed_at: datetime, *, actor: str = SYSTEM_ACTOR
    ) -> VoteRound:
        """Closes the round; closing a closed round keeps its first closing time (and its one
        audit entry). A secret round's sealed ballots are opened and counted here."""
        changed = await self._run(
            "UPDATE vote_rounds SET closed_at = ? "
            "WHERE motion_id = ? AND round = ? AND closed_at IS NULL",
            (utc_text(closed_at), motion_id, round),
        )
        closed = await self.get(motion_id, round)
        if closed is None:
            raise UnknownVoteRound("motion", motion_id, round)
        if changed:
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.VOTE_ROUND_CLOSED,
                motion_round_subject(motion_id, round),
                actor,
                {},
                closed_at,
            )
            if closed.vote_kind is VoteKind.SECRET:
                await SecretBallotRepository(self._connection, self._keys).unseal_round(
                    motion_id, round, closed_at
                )
        return closed
