"""Announcing results with their numbers (art. 40(6), 41(3), 43): to everyone, right away.

A public vote shows the members present, ZA and PROTI, the majority needed and the verdict; a
roll-call vote adds each member's vote in alphabetical order; a secret vote shows exactly the
figures of art. 43 and the list of receipts with their choices; an election shows each
candidate's votes and who is elected or goes to the second round.
"""

from __future__ import annotations

from html import escape

from bot.audit.trail import result_head_line
from bot.domain.audit_chain import ChainHead
from bot.domain.outcomes import ELECTION_STATUS_TEXTS, MOTION_REASON_TEXTS, ElectionStatus
from bot.domain.rules import RuleSet
from bot.i18n import Translator
from bot.live.elections import ElectionRoundResult
from bot.live.voting import RoundResult
from bot.live.wording.common import (
    choice_word,
    clock,
    majority_words,
    person_name,
    threshold_words,
    vote_kind_word,
)


def _heading(result: RoundResult, number: int | None, _: Translator) -> str:
    if result.practice:
        return _(
            "Result of the PRACTICE vote (it does not count): {title}",
            title=escape(result.motion.title),
        )
    return _(
        "Result of the vote on item {number}: {title}",
        number=number,
        title=escape(result.motion.title),
    )


def _verdict(adopted: bool, _: Translator) -> str:
    return _("The resolution is ADOPTED.") if adopted else _("The resolution is NOT adopted.")


def motion_result_lines(
    result: RoundResult,
    number: int | None,
    rule_set: RuleSet,
    _: Translator,
    head: ChainHead | None = None,
) -> list[str]:
    """The result as announced; ``head``, the audit trail's head in the transaction that closed
    the vote, ends it, so any member's copy can later be checked against the trail."""
    lines = _motion_result_lines(result, number, rule_set, _)
    if head is not None:
        lines.append(escape(result_head_line(head, _)))
    return lines


def _motion_result_lines(
    result: RoundResult, number: int | None, rule_set: RuleSet, _: Translator
) -> list[str]:
    live_round = result.round
    lines = [f"<b>{_heading(result, number, _)}</b>"]
    closed = clock(live_round.closed_at, _) if live_round.closed_at else ""
    lines.append(
        _(
            "Vote {round}, {kind}, closed at {time}",
            round=live_round.round,
            kind=vote_kind_word(live_round.vote_kind, _),
            time=closed,
        )
    )
    if live_round.repeat_reason:
        lines.append(
            _("Repeated on an objection: {reason}", reason=escape(live_round.repeat_reason))
        )
    if result.secret is not None:
        lines.extend(secret_report_lines(result, rule_set, _))
        return lines
    outcome = result.outcome
    assert outcome is not None
    lines.append(
        _(
            "Present: {present} of {members} members ({quorum}; needed {needed})",
            present=outcome.present,
            members=outcome.member_count,
            quorum=_("quorate") if outcome.quorate else _("NOT quorate"),
            needed=outcome.quorum.needed,
        )
    )
    counts = _("FOR: {za} · AGAINST: {proti}", za=outcome.za, proti=outcome.proti)
    if outcome.vzdrzan:
        counts += " · " + _("ABSTAINED: {count}", count=outcome.vzdrzan)
    lines.append(counts)
    lines.append(
        _(
            "Required majority: {majority} — at least {needed} votes FOR of {base}.",
            majority=escape(majority_words(rule_set, result.motion.majority, _)),
            needed=outcome.majority.needed,
            base=outcome.majority.base,
        )
    )
    lines.append(f"<b>{_verdict(outcome.adopted, _)}</b> {_(MOTION_REASON_TEXTS[outcome.reason])}")
    if result.roll_call:
        lines.append(_("Roll-call record:"))
        lines.extend(
            f"• {escape(person_name(line.person))}: {line.describe(_)}" for line in result.roll_call
        )
    return lines


def secret_report_lines(result: RoundResult, rule_set: RuleSet, _: Translator) -> list[str]:
    """Art. 43(2): ballots distributed, cast, invalid, valid; ZA, PROTI; majority reached."""
    secret = result.secret
    assert secret is not None
    report = secret.report
    lines = [
        _("Ballots distributed: {count}", count=report.distributed),
        _("Ballots cast: {count}", count=report.cast),
        _("Invalid ballots: {count}", count=report.invalid),
        _("Valid ballots: {count}", count=report.valid),
        _("FOR: {za} · AGAINST: {proti}", za=report.za, proti=report.proti),
        _(
            "Required majority: {majority} — at least {needed} votes FOR of {base}.",
            majority=escape(majority_words(rule_set, result.motion.majority, _)),
            needed=report.majority.needed,
            base=report.majority.base,
        ),
    ]
    if not secret.quorum.quorate:
        lines.append(
            _(
                "Too few ballots were taken for the vote to count: {taken}, needed {needed}.",
                taken=secret.quorum.check.got,
                needed=secret.quorum.check.needed,
            )
        )
    if secret.adopted:
        lines.append("<b>" + _("The proposal was carried with the required majority.") + "</b>")
    else:
        lines.append("<b>" + _("The proposal was not carried.") + "</b>")
    return lines


def receipt_lines(result: RoundResult, _: Translator) -> list[str]:
    if result.secret is None:
        return []
    lines = [_("Receipts of the ballots with their choices (find yours):")]
    lines.extend(
        f"<code>{receipt}</code> {choice_word(choice, _)}"
        for receipt, choice in result.secret.receipts
    )
    return lines


def motion_result_text(
    result: RoundResult, number: int | None, rule_set: RuleSet, _: Translator
) -> str:
    return "\n".join(motion_result_lines(result, number, rule_set, _))


def election_result_lines(
    result: ElectionRoundResult,
    number: int | None,
    rule_set: RuleSet,
    _: Translator,
    head: ChainHead | None = None,
) -> list[str]:
    """As ``motion_result_lines``, for an election round."""
    lines = _election_result_lines(result, number, rule_set, _)
    if head is not None:
        lines.append(escape(result_head_line(head, _)))
    return lines


def _election_result_lines(
    result: ElectionRoundResult, number: int | None, rule_set: RuleSet, _: Translator
) -> list[str]:
    election = result.election
    live_round = result.round
    stage = _("second round") if live_round.stage == 2 else _("first round")
    lines = [
        "<b>"
        + _(
            "Result of the election on item {number}: {title} ({stage})",
            number=number,
            title=escape(election.title),
            stage=stage,
        )
        + "</b>"
    ]
    taken = result.counts.check.got
    outcome = result.outcome
    lines.append(_("Ballots distributed: {count}", count=taken))
    lines.append(_("Ballots cast: {count}", count=result.voters))
    if outcome is None:
        lines.append(
            _(
                "Too few ballots were taken for the vote to count: {taken}, needed {needed}. "
                "The round is held again.",
                taken=taken,
                needed=result.counts.check.needed,
            )
        )
        return lines
    lines.append(_("Invalid ballots: {count}", count=outcome.invalid_ballots))
    lines.append(_("Valid ballots: {count}", count=outcome.valid_ballots))
    lines.append(
        _(
            "Required majority: {majority} — at least {needed} votes of {base}.",
            majority=escape(threshold_words(rule_set.elections.majority, _)),
            needed=outcome.needed,
            base=outcome.base,
        )
    )
    for tally in outcome.tallies:
        candidate = result.candidate(tally.candidate_id)
        lines.append(f"• {escape(candidate.surname)} {escape(candidate.name)}: {tally.votes}")
    if outcome.elected:
        names = ", ".join(
            escape(f"{result.candidate(cid).surname} {result.candidate(cid).name}")
            for cid in outcome.elected
        )
        lines.append("<b>" + _("Elected: {names}", names=names) + "</b>")
    if outcome.status is ElectionStatus.RUNOFF:
        names = ", ".join(
            escape(f"{result.candidate(cid).surname} {result.candidate(cid).name}")
            for cid in outcome.runoff
        )
        lines.append(_("Second round between: {names}", names=names))
    for lot in outcome.lots:
        drawn = ", ".join(
            escape(f"{result.candidate(cid).surname} {result.candidate(cid).name}")
            for cid in lot.drawn
            if isinstance(cid, int)
        )
        lines.append(_("Drawn by lot (seed {seed}): {names}", seed=lot.seed, names=drawn))
    lines.append(_(ELECTION_STATUS_TEXTS[outcome.status]))
    return lines


def election_receipt_lines(result: ElectionRoundResult, _: Translator) -> list[str]:
    lines = [_("Receipts of the ballots with their choices (find yours):")]
    for receipt, valid, marks in result.receipts:
        names = ", ".join(
            f"{result.candidate(cid).surname} {result.candidate(cid).name}" for cid in marks
        ) or _("nobody")
        shown = escape(names) if valid else _("invalid ({names})", names=escape(names))
        lines.append(f"<code>{receipt}</code> {shown}")
    return lines
