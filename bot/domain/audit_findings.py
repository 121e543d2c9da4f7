"""What checking the fact tables against the audit log can find: which table, which row, how
it differs. A leaf of the domain, so the chain's verification result can carry the findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

FactValue = str | int | bool | None
RowKey = tuple[int | str, ...]


class FactTable(StrEnum):
    """The tables checked, named as in the schema, so a finding names the table to look at."""

    DELIVERY_CONFIRMATIONS = "delivery_confirmations"
    VOTE_ROUNDS = "vote_rounds"
    VOTES = "votes"
    SECRET_PARTICIPATION = "secret_participation"
    SECRET_BALLOTS = "secret_ballots"
    ELECTION_ROUNDS = "election_rounds"
    ELECTION_PARTICIPATION = "election_participation"
    ELECTION_BALLOTS = "election_ballots"
    ELECTION_BALLOT_MARKS = "election_ballot_marks"
    ATTENDANCE = "attendance"
    SURVEY_RESPONSES = "survey_responses"
    SURVEY_ANSWERS = "survey_answers"
    CORRESPONDENCE_OUTCOMES = "correspondence_outcomes"
    MINUTES_HEADS = "minutes_heads"  # a minutes' head the trail no longer has, or unsigned
    OUTCOME_ENTRIES = "audit_log"  # an outcome entry that disagrees with the ballots it counts


# The field of a table whose value lives in another table: a finding names that one.
FIELD_TABLES = {
    (FactTable.ELECTION_BALLOTS, "marks"): FactTable.ELECTION_BALLOT_MARKS,
    (FactTable.SURVEY_RESPONSES, "answers_digest"): FactTable.SURVEY_ANSWERS,
}


class Mismatch(StrEnum):
    INSERTED = "inserted"  # a row the log never recorded
    DELETED = "deleted"  # a row the log recorded is gone
    CHANGED = "changed"  # a row whose value differs from the one recorded


@dataclass(frozen=True, slots=True)
class Discrepancy:
    table: FactTable
    key: RowKey
    mismatch: Mismatch
    field: str | None = None
    found: FactValue = None  # in the table
    recorded: FactValue = None  # in the log
    seq: int | None = None  # the entry that recorded the row (or the value)
