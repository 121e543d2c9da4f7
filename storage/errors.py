"""Errors the storage layer raises for conditions callers are expected to handle.

They carry identifiers, not sentences: services turn them into translated text for the person
who caused them (for example "you have already voted").
"""

from __future__ import annotations

from bot.domain.models import Platform, VoteKind


class StorageError(Exception):
    """Base class of the storage layer's own errors."""


class DatabaseUnavailable(StorageError):
    """The engine could not open the database (a missing folder, no permission, not a
    database); the engine's own error is the cause."""


class DatabaseBusy(StorageError):
    """Another writer held the database longer than the engine waits (its busy timeout): the
    transaction did not begin, nothing was written; trying again later is safe."""


class ConstraintViolation(StorageError):
    """A statement broke a rule of the schema and changed nothing. Raised by the engine's
    adapter in place of its driver's error (kept as ``__cause__``); the subclasses name the
    kind of rule, this class itself any other (a trigger that refuses, as the audit log's)."""


class UniqueViolation(ConstraintViolation):
    """A UNIQUE or PRIMARY KEY constraint: the row exists already."""


class ForeignKeyViolation(ConstraintViolation):
    """A reference to a row that does not exist, or a delete of a row still referred to."""


class CheckViolation(ConstraintViolation):
    """A CHECK constraint: a value outside what the column allows."""


class NotNullViolation(ConstraintViolation):
    """A NOT NULL column left empty."""


class NotFound(StorageError):
    """An update named a row that does not exist."""

    def __init__(self, table: str, key: object) -> None:
        super().__init__(f"{table}: no row with key {key!r}")
        self.table = table
        self.key = key


class DuplicateVote(StorageError):
    """A member tried to vote twice in the same round of the same motion or election."""

    def __init__(self, subject: str, subject_id: int, round: int, person_id: int) -> None:
        super().__init__(
            f"person {person_id} already voted in round {round} of {subject} {subject_id}"
        )
        self.subject = subject  # "motion" or "election"
        self.subject_id = subject_id
        self.round = round
        self.person_id = person_id


class DuplicateReceipt(StorageError):
    """A secret ballot's receipt collided with an existing one; draw a new receipt and retry."""


class VoteRoundClosed(StorageError):
    """A secret ballot arrived for a round already closed: its sealed copy would never be
    opened, so it is refused (the features check this first and tell the member)."""

    def __init__(self, subject: str, subject_id: int, round: int) -> None:
        super().__init__(f"{subject} {subject_id} round {round} is closed")
        self.subject = subject
        self.subject_id = subject_id
        self.round = round


class UnknownCandidate(StorageError):
    """An election ballot marked someone who is not a candidate of that election."""

    def __init__(self, election_id: int, candidate_ids: object) -> None:
        super().__init__(f"not candidates of election {election_id}: {candidate_ids}")
        self.election_id = election_id


class UnknownVoteRound(StorageError):
    """A vote named a round that was never opened."""

    def __init__(self, subject: str, subject_id: int, round: int) -> None:
        super().__init__(f"{subject} {subject_id} has no round {round}")
        self.subject = subject
        self.subject_id = subject_id
        self.round = round


class VoteKindMismatch(StorageError):
    """A named vote was offered for a secret round, or a secret ballot for a public one.

    Refused in storage so that a secret vote can never land in the table that names voters.
    """

    def __init__(self, motion_id: int, round: int, round_kind: VoteKind) -> None:
        super().__init__(f"round {round} of motion {motion_id} is a {round_kind.value} vote")
        self.motion_id = motion_id
        self.round = round
        self.round_kind = round_kind


class DuplicateEmail(StorageError):
    """Another person already uses this e-mail address (compared case-insensitively)."""

    def __init__(self, email: str) -> None:
        super().__init__(f"another person already has the e-mail address {email!r}")
        self.email = email


class AccountAlreadyLinked(StorageError):
    """The chat account is linked to a different person."""

    def __init__(self, platform: Platform, external_id: str, person_id: int) -> None:
        super().__init__(f"{platform.value} account {external_id!r} belongs to person {person_id}")
        self.platform = platform
        self.external_id = external_id
        self.person_id = person_id
