"""Storage-level records: rows that have no counterpart among the domain dataclasses.

Like bot/domain/models.py they are frozen dataclasses without I/O; timestamps are UTC-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Platform, VoteChoice, VoteKind


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    """One row of ``schema_version``."""

    version: int
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    """A chat account through which a person talks to the bot."""

    person_id: int
    platform: Platform
    external_id: str  # Telegram user id or Matrix user id (@name:server)
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class LinkingCode:
    """A single-use code that links a chat account to a person; only its hash is stored."""

    id: int | None
    code_hash: str
    person_id: int
    organisation_id: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class RedeemOutcome(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class RedeemResult:
    """What redeeming a code did; ``code`` is set whenever the code exists."""

    outcome: RedeemOutcome
    code: LinkingCode | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is RedeemOutcome.OK


@dataclass(frozen=True, slots=True)
class VoteRound:
    """One vote on a motion; a repeated vote (art. 40(5), 44) is the next round."""

    motion_id: int
    round: int
    vote_kind: VoteKind
    opened_at: datetime
    closes_at: datetime | None = None  # deadline of a correspondence vote, if any
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class SecretBallot:
    """A secret ballot as stored: it names no voter and carries no time."""

    motion_id: int
    round: int
    receipt: str
    choice: VoteChoice


@dataclass(frozen=True, slots=True)
class ElectionRound:
    election_id: int
    round: int
    opened_at: datetime
    closes_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Survey:
    """A questionnaire; ``definition`` is the YAML document the secretariat uploaded."""

    id: int | None
    title: str
    definition: str
    deadline: datetime | None = None
    status: SurveyStatus = SurveyStatus.DRAFT
    body_id: int | None = None  # the body whose secretariat sends it
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """One value given to one question; a multiple-choice question may have several."""

    question_key: str
    value: str


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    """An organisation's answer to a survey: the latest submission stands."""

    id: int | None
    survey_id: int
    organisation_id: int
    person_id: int | None
    submitted_at: datetime
    answers: tuple[SurveyAnswer, ...] = field(default=())

    def values(self, question_key: str) -> tuple[str, ...]:
        return tuple(a.value for a in self.answers if a.question_key == question_key)

    def value(self, question_key: str) -> str | None:
        values = self.values(question_key)
        return values[0] if values else None
