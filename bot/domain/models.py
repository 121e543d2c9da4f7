"""Domain records: plain frozen dataclasses with no I/O and no transport imports.

Every module above this one (services, storage, handlers) speaks in these types.
Identifiers are database integers; ``None`` means "not stored yet".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class BodyKind(StrEnum):
    COUNCIL = "council"  # občinski svet
    COMMITTEE = "committee"  # odbor
    COMMISSION = "commission"  # komisija
    PRESIDENCY = "presidency"  # predsedstvo združenja


class Role(StrEnum):
    MEMBER = "member"  # član sveta: confirms receipt, states presence, votes
    # župan / predsedujoči: convenes and opens votes; the mayor is not a council member and does
    # not vote (ZLS), so the chair is not counted among the members.
    CHAIR = "chair"
    CLERK = "clerk"  # prepares sessions, receives tallies and minutes; does not vote
    SECRETARIAT = "secretariat"  # association secretariat: sends surveys
    RESPONDENT = "respondent"  # answers a survey for an organisation

    @property
    def votes(self) -> bool:
        return self is Role.MEMBER


class Platform(StrEnum):
    TELEGRAM = "telegram"
    MATRIX = "matrix"
    CLI = "cli"
    HALL = "hall"  # marked by the clerk for a member present in the session hall


class SessionKind(StrEnum):
    REGULAR = "regular"  # redna
    EXTRAORDINARY = "extraordinary"  # izredna
    CORRESPONDENCE = "correspondence"  # dopisna
    CEREMONIAL = "ceremonial"  # slavnostna


class SessionMode(StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"
    HYBRID = "hybrid"


class SessionStatus(StrEnum):
    DRAFT = "draft"
    CONVENED = "convened"  # invitations sent
    OPEN = "open"
    CLOSED = "closed"


class MotionCategory(StrEnum):
    """What a motion decides; rule sets forbid some categories in correspondence sessions."""

    GENERAL = "general"
    BUDGET = "budget"  # proračun
    FINAL_ACCOUNT = "final_account"  # zaključni račun
    TAXES_AND_LEVIES = "taxes_and_levies"  # davki in dajatve
    FINANCIAL_OBLIGATION = "financial_obligation"  # finančne obveznosti občine
    RULES_OF_PROCEDURE = "rules_of_procedure"  # poslovnik
    APPOINTMENT = "appointment"  # volitve in imenovanja


class VoteChoice(StrEnum):
    ZA = "za"
    PROTI = "proti"
    VZDRZAN = "vzdrzan"


class VoteKind(StrEnum):
    PUBLIC = "public"  # javno
    ROLL_CALL = "roll_call"  # poimensko
    SECRET = "secret"  # tajno


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"  # told the mayor in advance, with a reason (art. 16)


@dataclass(frozen=True, slots=True)
class Body:
    id: int | None
    slug: str
    name: str
    kind: BodyKind
    rule_set: str  # name of the rule-set preset (config/rules/<name>.toml)


@dataclass(frozen=True, slots=True)
class Organisation:
    """A respondent organisation of an association survey, e.g. a municipality."""

    id: int | None
    name: str


@dataclass(frozen=True, slots=True)
class Person:
    """One human being; linked chat accounts belong to the person, so they remain one voter."""

    id: int | None
    name: str
    surname: str
    email: str
    phone: str = ""
    telegram_username: str = ""
    matrix_id: str = ""
    language: str = "sl"

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.surname}"


@dataclass(frozen=True, slots=True)
class Membership:
    """A person's seat in a body, with the role they hold there."""

    id: int | None
    person_id: int
    body_id: int
    role: Role
    organisation_id: int | None = None  # respondents answer for an organisation
    active: bool = True


@dataclass(frozen=True, slots=True)
class Material:
    id: int | None
    session_id: int
    filename: str
    media_type: str
    sha256: str
    size: int
    motion_id: int | None = None


@dataclass(frozen=True, slots=True)
class Session:
    id: int | None
    body_id: int
    kind: SessionKind
    title: str
    mode: SessionMode = SessionMode.REMOTE
    number: str = ""  # the body's own session number, e.g. "5. dopisna seja"
    starts_at: datetime | None = None  # UTC; live sessions
    deadline: datetime | None = None  # UTC; correspondence sessions run until this moment
    location: str = ""  # hall
    video_link: str = ""
    status: SessionStatus = SessionStatus.DRAFT
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Motion:
    """An agenda item with the proposed resolution (predlog sklepa) to vote on."""

    id: int | None
    session_id: int
    position: int
    title: str
    resolution: str
    category: MotionCategory = MotionCategory.GENERAL
    vote_kind: VoteKind = VoteKind.PUBLIC
    majority: str = ""  # name of a majority rule in the body's rule set; "" = the default


@dataclass(frozen=True, slots=True)
class DeliveryConfirmation:
    session_id: int
    person_id: int
    confirmed_at: datetime
    platform: Platform


@dataclass(frozen=True, slots=True)
class Attendance:
    session_id: int
    person_id: int
    status: AttendanceStatus
    recorded_at: datetime
    platform: Platform
    reason: str = ""
    checkpoint: int = 0  # 0 = start of the session; later checkpoints before votes and after breaks


@dataclass(frozen=True, slots=True)
class Vote:
    """A public or roll-call vote; secret ballots are stored apart and never name the voter."""

    motion_id: int
    round: int
    person_id: int
    choice: VoteChoice
    cast_at: datetime
    platform: Platform


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int | None
    election_id: int
    name: str
    surname: str

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.surname}"


@dataclass(frozen=True, slots=True)
class Election:
    id: int | None
    session_id: int
    title: str
    posts: int = 1
    vote_kind: VoteKind = VoteKind.SECRET
    lot_seed: str = ""  # recorded so the drawn letter and any tie-break can be re-derived
    candidates: tuple[Candidate, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ElectionBallot:
    """Votes for candidates in one round, as the counting sees them (never tied to a voter)."""

    candidate_ids: frozenset[int]
    valid: bool = True
