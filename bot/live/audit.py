"""What the audit trail records of a live session's results (docs/AUDIT.md).

Outcomes are appended once a round is closed, never while a secret round is open; they carry
the verdict and the published numbers, never a receipt or who chose what.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.audit_chain import (
    SYSTEM_ACTOR,
    AuditKind,
    DetailValue,
    election_round_subject,
    motion_round_subject,
)
from bot.domain.outcomes import ElectionStatus
from bot.live.elections import ElectionRoundResult
from bot.live.voting import RoundResult
from storage.repositories import Repositories


def motion_facts(result: RoundResult) -> dict[str, DetailValue]:
    facts: dict[str, DetailValue] = {"present": len(result.present_ids)}
    if result.secret is not None:
        report = result.secret.report
        facts.update(
            result="adopted" if result.secret.adopted else "rejected",
            distributed=report.distributed,
            cast=report.cast,
            invalid=report.invalid,
            za=report.za,
            proti=report.proti,
            needed=report.majority.needed,
            quorate=result.secret.quorum.quorate,
        )
        return facts
    outcome = result.outcome
    assert outcome is not None
    if outcome.adopted:
        verdict = "adopted"
    elif not outcome.quorate:
        verdict = "not_quorate"
    else:
        verdict = "rejected"
    facts.update(
        result=verdict,
        za=outcome.za,
        proti=outcome.proti,
        vzdrzan=outcome.vzdrzan,
        needed=outcome.majority.needed,
        got=outcome.majority.got,
    )
    return facts


def election_facts(result: ElectionRoundResult) -> dict[str, DetailValue]:
    facts: dict[str, DetailValue] = {
        "stage": result.round.stage,
        "distributed": result.counts.check.got,
        "voters": result.voters,
    }
    outcome = result.outcome
    if outcome is None:
        facts["result"] = "void"
        return facts
    facts["result"] = {
        ElectionStatus.ELECTED: "elected",
        ElectionStatus.RUNOFF: "runoff",
        ElectionStatus.NEW_NOMINATION: "new_nomination",
    }[outcome.status]
    facts["needed"] = outcome.needed
    facts["invalid"] = outcome.invalid_ballots
    for tally in outcome.tallies:
        facts[f"candidate_{tally.candidate_id}"] = tally.votes
    return facts


async def record_motion_outcome(
    repos: Repositories, result: RoundResult, at: datetime, actor: str = SYSTEM_ACTOR
) -> None:
    if result.practice:
        return  # a practice vote never counts, so it has no outcome
    await repos.audit.append(
        AuditKind.OUTCOME,
        motion_round_subject(result.motion.id or 0, result.round.round),
        actor,
        motion_facts(result),
        at,
    )


async def record_election_outcome(
    repos: Repositories, result: ElectionRoundResult, at: datetime, actor: str = SYSTEM_ACTOR
) -> None:
    await repos.audit.append(
        AuditKind.OUTCOME,
        election_round_subject(result.election.id or 0, result.round.round),
        actor,
        election_facts(result),
        at,
    )
