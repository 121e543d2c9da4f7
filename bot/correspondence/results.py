"""The outcome of each motion from a session's count, with the body's rule set.

Pure: ``bot.domain.outcomes.correspondence_outcome`` decides, and the verdict is kept together
with the rule that was applied (thresholds, numbers needed, numbers reached), as the minutes
must show them. Used at closing (stored) and for interim reports of a running session.
"""

from __future__ import annotations

from datetime import datetime

from bot.correspondence.tally import MotionTally, SessionTally
from bot.domain.outcomes import correspondence_outcome
from storage.repositories.correspondence.outcomes import StoredOutcome


def outcome_record(
    tally: SessionTally, motion: MotionTally, rule_set: str, decided_at: datetime
) -> StoredOutcome:
    """The motion's outcome; the session must have at least one member on its list."""
    motion_id = motion.motion.id
    session_id = tally.session.id
    assert motion_id is not None and session_id is not None
    rules = tally.rules
    outcome = correspondence_outcome(
        rules,
        tally.member_count,
        tally.confirmed_ids,
        {vote.person_id: vote.choice for vote in motion.votes},
    )
    return StoredOutcome(
        motion_id=motion_id,
        session_id=session_id,
        round=motion.vote_round.round if motion.vote_round is not None else 1,
        decided_at=decided_at,
        rule_set=rule_set,
        quorate=outcome.quorate,
        adopted=outcome.adopted,
        referred=outcome.referred_to_next_session,
        reason=outcome.reason,
        member_count=outcome.member_count,
        confirmed=outcome.confirmed,
        voted=outcome.voted,
        za=outcome.za,
        proti=outcome.proti,
        vzdrzan=outcome.vzdrzan,
        quorum_needed=outcome.quorum.needed,
        quorum_base=outcome.quorum.base,
        quorum=rules.quorum,
        adoption_rule=rules.adoption,
        adoption_needed=outcome.adoption.needed,
        adoption_got=outcome.adoption.got,
        adoption_base=outcome.adoption.base,
        adoption=outcome.adoption.threshold,
    )


def session_outcomes(
    tally: SessionTally, rule_set: str, decided_at: datetime
) -> list[StoredOutcome]:
    """Every motion's outcome; none when nobody was on the session's list."""
    if tally.member_count < 1:
        return []
    return [outcome_record(tally, motion, rule_set, decided_at) for motion in tally.motions]
