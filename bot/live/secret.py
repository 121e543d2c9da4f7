"""Secret votes on motions (art. 42-43) with a receipt for every voter.

Whether a member voted and what was voted are written to two tables that share nothing but the
round (see storage/README.md); nothing here keeps, returns together with a person or logs a
choice. The voter alone is told the receipt; after the round closes the receipts are published
with their choices, so everyone can check that their ballot was counted as cast.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.domain.models import VoteChoice
from bot.domain.outcomes import QuorumOutcome, SecretVoteReport, live_quorum, secret_vote_report
from bot.domain.rules import RuleSet
from storage.errors import DuplicateReceipt
from storage.repositories import Repositories
from storage.repositories.secret_ballots import new_receipt

RECEIPT_ATTEMPTS = 5  # an 80-bit receipt repeats practically never; retry a few times anyway


@dataclass(frozen=True, slots=True)
class SecretResult:
    """Art. 43(2): ballots distributed, cast, invalid, valid, ZA, PROTI, majority reached."""

    report: SecretVoteReport
    quorum: QuorumOutcome  # art. 88(3): the members who took a ballot count as present
    receipts: tuple[tuple[str, VoteChoice], ...]  # published after closing, in receipt order

    @property
    def adopted(self) -> bool:
        return self.quorum.quorate and self.report.majority_reached


async def cast_secret_ballot(
    repos: Repositories,
    motion_id: int,
    round_number: int,
    person_id: int,
    choice: VoteChoice,
    at: datetime,
) -> str:
    """Records that the member voted and, apart from it, the ballot; returns the receipt.

    Raises ``DuplicateVote`` if the member already voted in this round.
    """
    for _attempt in range(RECEIPT_ATTEMPTS):
        receipt = new_receipt()
        try:
            await repos.secret_ballots.cast(
                motion_id, round_number, person_id, choice, receipt, at=at
            )
        except DuplicateReceipt:
            continue
        return receipt
    raise RuntimeError("no unused receipt found")


async def secret_result(
    repos: Repositories,
    rule_set: RuleSet,
    majority_name: str,
    motion_id: int,
    round_number: int,
    member_count: int,
    distributed_to: Collection[int],
) -> SecretResult:
    """The figures of the report on a closed secret round.

    ``distributed_to`` are the members who got a ballot (present at the round's check); a voter
    is counted among them in any case, since voting means having taken a ballot.
    """
    ballots = await repos.secret_ballots.ballots(motion_id, round_number)
    participants = await repos.secret_ballots.participants(motion_id, round_number)
    distributed = len(set(distributed_to) | set(participants))
    za = sum(1 for ballot in ballots if ballot.choice is VoteChoice.ZA)
    proti = sum(1 for ballot in ballots if ballot.choice is VoteChoice.PROTI)
    # An electronic ballot offers only ZA and PROTI, so no ballot cast is invalid.
    report = secret_vote_report(
        rule_set.majority(majority_name),
        member_count,
        distributed=distributed,
        cast=len(ballots),
        invalid=0,
        za=za,
        proti=proti,
    )
    quorum = live_quorum(rule_set.live, member_count, distributed)
    receipts = tuple((ballot.receipt, ballot.choice) for ballot in ballots)
    return SecretResult(report, quorum, receipts)
