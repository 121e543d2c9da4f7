"""Outcomes of correspondence votes as computed at the deadline, with the rule and its numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from bot.domain.outcomes import MotionReason
from bot.domain.rules import Basis, Comparison, CorrespondenceAdoption, Threshold
from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """One motion's result: the verdict, the counts, and each requirement with its numbers."""

    motion_id: int
    session_id: int
    round: int
    decided_at: datetime
    rule_set: str
    quorate: bool
    adopted: bool
    referred: bool  # to an extraordinary or the next regular session
    reason: MotionReason
    member_count: int
    confirmed: int
    voted: int
    za: int
    proti: int
    vzdrzan: int
    quorum_needed: int
    quorum_base: int
    quorum: Threshold
    adoption_rule: CorrespondenceAdoption
    adoption_needed: int
    adoption_got: int
    adoption_base: int
    adoption: Threshold | None = None  # the threshold of a majority rule; None otherwise

    @property
    def quorum_got(self) -> int:
        return self.confirmed


COLUMNS = (
    "motion_id, session_id, round, decided_at, rule_set, quorate, adopted, referred, reason, "
    "member_count, confirmed, voted, za, proti, vzdrzan, quorum_needed, quorum_base, "
    "quorum_basis, quorum_fraction, quorum_comparison, quorum_label, adoption_rule, "
    "adoption_needed, adoption_got, adoption_base, adoption_basis, adoption_fraction, "
    "adoption_comparison, adoption_label"
)


def _threshold(basis: str, fraction: str, comparison: str, label: str) -> Threshold:
    return Threshold(Basis(basis), Fraction(fraction), Comparison(comparison), label)


def outcome_from_row(row: Row) -> StoredOutcome:
    adoption = None
    if row["adoption_basis"] is not None:
        adoption = _threshold(
            row["adoption_basis"],
            row["adoption_fraction"],
            row["adoption_comparison"],
            row["adoption_label"],
        )
    return StoredOutcome(
        motion_id=row["motion_id"],
        session_id=row["session_id"],
        round=row["round"],
        decided_at=parse_utc(row["decided_at"]),
        rule_set=row["rule_set"],
        quorate=bool(row["quorate"]),
        adopted=bool(row["adopted"]),
        referred=bool(row["referred"]),
        reason=MotionReason(row["reason"]),
        member_count=row["member_count"],
        confirmed=row["confirmed"],
        voted=row["voted"],
        za=row["za"],
        proti=row["proti"],
        vzdrzan=row["vzdrzan"],
        quorum_needed=row["quorum_needed"],
        quorum_base=row["quorum_base"],
        quorum=_threshold(
            row["quorum_basis"],
            row["quorum_fraction"],
            row["quorum_comparison"],
            row["quorum_label"],
        ),
        adoption_rule=CorrespondenceAdoption(row["adoption_rule"]),
        adoption_needed=row["adoption_needed"],
        adoption_got=row["adoption_got"],
        adoption_base=row["adoption_base"],
        adoption=adoption,
    )


def _fraction_text(fraction: Fraction) -> str:
    return f"{fraction.numerator}/{fraction.denominator}"


class CorrespondenceOutcomeRepository(Repository):
    __slots__ = ()

    async def add(self, outcome: StoredOutcome) -> StoredOutcome:
        """Store a motion's outcome; a motion is decided once (a second add raises)."""
        adoption = outcome.adoption
        row = await self._one(
            f"INSERT INTO correspondence_outcomes ({COLUMNS}) VALUES "
            f"({', '.join('?' * 29)}) RETURNING {COLUMNS}",
            (
                outcome.motion_id,
                outcome.session_id,
                outcome.round,
                utc_text(outcome.decided_at),
                outcome.rule_set,
                outcome.quorate,
                outcome.adopted,
                outcome.referred,
                outcome.reason.value,
                outcome.member_count,
                outcome.confirmed,
                outcome.voted,
                outcome.za,
                outcome.proti,
                outcome.vzdrzan,
                outcome.quorum_needed,
                outcome.quorum_base,
                outcome.quorum.basis.value,
                _fraction_text(outcome.quorum.fraction),
                outcome.quorum.comparison.value,
                outcome.quorum.label,
                outcome.adoption_rule.value,
                outcome.adoption_needed,
                outcome.adoption_got,
                outcome.adoption_base,
                None if adoption is None else adoption.basis.value,
                None if adoption is None else _fraction_text(adoption.fraction),
                None if adoption is None else adoption.comparison.value,
                "" if adoption is None else adoption.label,
            ),
        )
        assert row is not None
        return outcome_from_row(row)

    async def get(self, motion_id: int) -> StoredOutcome | None:
        row = await self._one(
            f"SELECT {COLUMNS} FROM correspondence_outcomes WHERE motion_id = ?", (motion_id,)
        )
        return None if row is None else outcome_from_row(row)

    async def list_for_session(self, session_id: int) -> list[StoredOutcome]:
        rows = await self._all(
            f"SELECT o.{COLUMNS.replace(', ', ', o.')} FROM correspondence_outcomes o "
            "JOIN motions m ON m.id = o.motion_id WHERE o.session_id = ? "
            "ORDER BY m.position, m.id",
            (session_id,),
        )
        return [outcome_from_row(row) for row in rows]
