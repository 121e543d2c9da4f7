"""The rows of the tables whose facts the audit trail records, read for verification.

``sejabot audit verify`` sets them against the log (bot/domain/audit_facts.py). Each row comes
with its key and exactly the values the log records, in the form the log writes them (times as
stored, booleans as booleans, an election ballot's marks as ``"3,5"``, a survey response's
answers and an absence's reason as digests). Read once per verification, table by table.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.audit_facts import (
    FactRow,
    FactTable,
    FactValue,
    RowKey,
    answers_digest,
    marks_text,
    reason_digest,
)
from storage.engine import Row
from storage.repositories.base import Repository

Built = tuple[RowKey, dict[str, FactValue]]


class AuditFactsRepository(Repository):
    __slots__ = ()

    async def rows(self) -> list[FactRow]:
        """Every row of every checked table (a council's whole history is a few thousand)."""
        found: list[FactRow] = []
        for table, sql, build in _SIMPLE:
            found.extend(
                FactRow(table, key, values) for key, values in map(build, await self._all(sql))
            )
        found.extend(await self._election_ballots())
        found.extend(await self._survey_responses())
        return found

    async def _election_ballots(self) -> Iterator[FactRow]:
        marks: dict[str, list[int]] = {}
        for row in await self._all("SELECT receipt, candidate_id FROM election_ballot_marks"):
            marks.setdefault(row["receipt"], []).append(row["candidate_id"])
        ballots = await self._all("SELECT receipt, election_id, round, valid FROM election_ballots")
        return (
            FactRow(
                FactTable.ELECTION_BALLOTS,
                (row["election_id"], row["round"], row["receipt"]),
                {"valid": bool(row["valid"]), "marks": marks_text(marks.get(row["receipt"], ()))},
            )
            for row in ballots
        )

    async def _survey_responses(self) -> Iterator[FactRow]:
        answers: dict[int, list[tuple[str, str]]] = {}
        for row in await self._all(
            "SELECT response_id, question_key, value FROM survey_answers "
            "ORDER BY response_id, position"
        ):
            answers.setdefault(row["response_id"], []).append((row["question_key"], row["value"]))
        responses = await self._all(
            "SELECT id, survey_id, organisation_id, person_id, submitted_at FROM survey_responses"
        )
        return (
            FactRow(
                FactTable.SURVEY_RESPONSES,
                (row["survey_id"], row["organisation_id"]),
                {
                    "person": row["person_id"],
                    "submitted_at": row["submitted_at"],
                    "answers_digest": answers_digest(answers.get(row["id"], [])),
                },
            )
            for row in responses
        )


def _delivery(row: Row) -> Built:
    return (row["session_id"], row["person_id"]), {
        "confirmed_at": row["confirmed_at"],
        "platform": row["platform"],
    }


def _vote_round(row: Row) -> Built:
    return (row["motion_id"], row["round"]), {
        "vote_kind": row["vote_kind"],
        "opened_at": row["opened_at"],
        "closes_at": row["closes_at"],
        "closed_at": row["closed_at"],
    }


def _vote(row: Row) -> Built:
    return (row["motion_id"], row["round"], row["person_id"]), {
        "choice": row["choice"],
        "platform": row["platform"],
        "cast_at": row["cast_at"],
    }


def _participation(row: Row) -> Built:
    return (row[0], row[1], row[2]), {}


def _secret_ballot(row: Row) -> Built:
    return (row["motion_id"], row["round"], row["receipt"]), {"choice": row["choice"]}


def _election_round(row: Row) -> Built:
    return (row["election_id"], row["round"]), {
        "opened_at": row["opened_at"],
        "closes_at": row["closes_at"],
        "closed_at": row["closed_at"],
    }


def _attendance(row: Row) -> Built:
    return (row["session_id"], row["checkpoint"], row["person_id"]), {
        "status": row["status"],
        "platform": row["platform"],
        "reason_digest": reason_digest(row["reason"] or ""),
        "recorded_at": row["recorded_at"],
    }


def _outcome(row: Row) -> Built:
    return (row["motion_id"],), {
        "round": row["round"],
        "reason": row["reason"],
        "referred": bool(row["referred"]),
        "confirmed": row["confirmed"],
        "za": row["za"],
        "proti": row["proti"],
        "vzdrzan": row["vzdrzan"],
    }


_SIMPLE = (
    (
        FactTable.DELIVERY_CONFIRMATIONS,
        "SELECT session_id, person_id, confirmed_at, platform FROM delivery_confirmations",
        _delivery,
    ),
    (
        FactTable.VOTE_ROUNDS,
        "SELECT motion_id, round, vote_kind, opened_at, closes_at, closed_at FROM vote_rounds",
        _vote_round,
    ),
    (
        FactTable.VOTES,
        "SELECT motion_id, round, person_id, choice, platform, cast_at FROM votes",
        _vote,
    ),
    (
        FactTable.SECRET_PARTICIPATION,
        "SELECT motion_id, round, person_id FROM secret_participation",
        _participation,
    ),
    (
        FactTable.SECRET_BALLOTS,
        "SELECT receipt, motion_id, round, choice FROM secret_ballots",
        _secret_ballot,
    ),
    (
        FactTable.ELECTION_ROUNDS,
        "SELECT election_id, round, opened_at, closes_at, closed_at FROM election_rounds",
        _election_round,
    ),
    (
        FactTable.ELECTION_PARTICIPATION,
        "SELECT election_id, round, person_id FROM election_participation",
        _participation,
    ),
    (
        FactTable.ATTENDANCE,
        (
            "SELECT session_id, checkpoint, person_id, status, reason, recorded_at, platform "
            "FROM attendance"
        ),
        _attendance,
    ),
    (
        FactTable.CORRESPONDENCE_OUTCOMES,
        (
            "SELECT motion_id, round, reason, referred, confirmed, za, proti, vzdrzan "
            "FROM correspondence_outcomes"
        ),
        _outcome,
    ),
)
