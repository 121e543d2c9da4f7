"""Minutes of a live session (art. 45) as a report Document, and its votes as a CSV table.

The minutes hold presence at the start and at each vote, absences with their reasons, the
agenda, each vote's result with its numbers, roll-call records, the reports on secret votes
(art. 43) and procedural decisions such as repeated votes and new nominations. Practice votes
never appear. A pure function of the :class:`SessionRecord`.
"""

from __future__ import annotations

from bot.audit.trail import MinutesHeadState, minutes_head_lines, minutes_line
from bot.domain.models import Platform, VoteKind
from bot.domain.outcomes import ELECTION_STATUS_TEXTS, MOTION_REASON_TEXTS
from bot.i18n import Translator
from bot.live.elections import ElectionRoundResult
from bot.live.panels import reason_words
from bot.live.record import ElectionRecord, ItemRecord, SessionRecord
from bot.live.voting import RoundResult
from bot.live.wording.common import (
    choice_word,
    clock,
    majority_words,
    person_name,
    session_kind_word,
    session_mode_word,
    threshold_words,
    vote_kind_word,
    when,
)
from bot.reports.document import (
    Block,
    BulletList,
    Document,
    Heading,
    KeyValues,
    Paragraph,
    SignatureLines,
    Table,
)
from storage.repositories.live.sessions import AttendanceAnswer


def _how(platform: Platform, _: Translator) -> str:
    return _("in the hall") if platform is Platform.HALL else _("remotely (chat)")


def _facts(record: SessionRecord, _: Translator) -> KeyValues:
    session, info = record.session, record.info
    pairs = [
        (_("Body"), record.body.name),
        (
            _("Session"),
            f"{session_kind_word(session.kind, _)}, {session_mode_word(session.mode, _)}",
        ),
    ]
    if session.starts_at is not None:
        pairs.append((_("Convened for"), when(session.starts_at, _)))
    if info.convened_at is not None:
        pairs.append((_("Convened on"), when(info.convened_at, _)))
    if info.opened_at is not None:
        pairs.append((_("Opened"), when(info.opened_at, _)))
    if info.closed_at is not None:
        pairs.append((_("Closed"), when(info.closed_at, _)))
    if session.location:
        pairs.append((_("Hall"), session.location))
    if session.video_link:
        pairs.append((_("Video call"), session.video_link))
    pairs.append((_("Rules of procedure"), record.rule_set.title))
    chairs = ", ".join(p.full_name for p in record.chairs)
    if chairs:
        pairs.append((_("Chair"), chairs))
    clerks = ", ".join(p.full_name for p in record.clerks)
    if clerks:
        pairs.append((_("Clerk"), clerks))
    pairs.append((_("Members of the body"), str(len(record.members))))
    return KeyValues(pairs)


def _presence(record: SessionRecord, _: Translator) -> list[Block]:
    blocks: list[Block] = [Heading(_("Presence"), 2)]
    start = record.start
    present = start.present if start else {}
    rows = []
    for person in record.members:
        pid = person.id or 0
        answer, reason = record.answers.get(pid, (None, ""))
        if pid in present:
            state = _("present, {how}", how=_how(present[pid], _))
        elif answer is AttendanceAnswer.DECLINE:
            state = _("excused: {reason}", reason=reason or _("reason not given"))
        else:
            state = _("absent, no excuse given")
        rows.append([person_name(person), state])
    blocks.append(
        Table([_("Member"), _("At the start of the session")], rows, column_widths=[2, 3])
    )
    if start is not None:
        blocks.append(
            Paragraph(
                _(
                    "At the start {present} of {members} members were present; the session was "
                    "{verdict} (needed: {needed}).",
                    present=len(start.present),
                    members=len(record.members),
                    verdict=_("quorate") if start.quorate else _("NOT quorate"),
                    needed=start.needed,
                )
            )
        )
    absences = [
        f"{person_name(p)}: {record.answers[p.id or 0][1] or _('reason not given')}"
        for p in record.members
        if record.answers.get(p.id or 0, (None, ""))[0] is AttendanceAnswer.DECLINE
    ]
    if absences:
        blocks.append(Paragraph(_("Members who said in advance they could not come, and why:")))
        blocks.append(BulletList(absences))
    checks = [
        [
            str(c.checkpoint.checkpoint + 1),
            reason_words(c.checkpoint.reason, _),
            clock(c.checkpoint.opened_at, _),
            str(len(c.present)),
            _("yes") if c.quorate else _("no"),
        ]
        for c in record.checkpoints
    ]
    if checks:
        blocks.append(Heading(_("Presence checks"), 3))
        blocks.append(
            Table([_("Check"), _("When"), _("Time"), _("Members present"), _("Quorate")], checks)
        )
    return blocks


def _agenda(record: SessionRecord, _: Translator) -> list[Block]:
    lines = []
    for item in record.agenda:
        line = f"{item.number}. {item.title}"
        if item.motion is not None and item.motion.resolution:
            line += " — " + _("proposed resolution: {text}", text=item.motion.resolution)
        lines.append(line)
    return [Heading(_("Agenda"), 2), BulletList(lines)]


def _absent_at(result_present: list[int], record: SessionRecord) -> str:
    return ", ".join(person_name(p) for p in record.members if (p.id or 0) not in result_present)


def _round_blocks(result: RoundResult, record: SessionRecord, _: Translator) -> list[Block]:
    live_round = result.round
    blocks: list[Block] = [
        Heading(
            _(
                "Vote {round} ({kind}), opened at {opened}, closed at {closed}",
                round=live_round.round,
                kind=vote_kind_word(live_round.vote_kind, _),
                opened=clock(live_round.opened_at, _),
                closed=clock(live_round.closed_at, _) if live_round.closed_at else "—",
            ),
            3,
        )
    ]
    if live_round.repeat_reason:
        blocks.append(
            Paragraph(
                _(
                    "Procedural decision: the vote was repeated on an objection: {reason}",
                    reason=live_round.repeat_reason,
                ),
                italic=True,
            )
        )
    absent = _absent_at(result.present_ids, record)
    blocks.append(
        Paragraph(
            _(
                "Present at the vote: {present} of {members} members. Not present: {absent}",
                present=len(result.present_ids),
                members=len(record.members),
                absent=absent or "—",
            )
        )
    )
    majority = majority_words(record.rule_set, result.motion.majority, _)
    if result.secret is not None:
        report = result.secret.report
        blocks.append(Paragraph(_("Report on the secret vote"), bold=True))
        blocks.append(
            KeyValues(
                [
                    (
                        _("Session"),
                        f"{record.session.title}, {when(record.session.starts_at, _) if record.session.starts_at else ''}",
                    ),
                    (_("Subject of the vote"), result.motion.resolution),
                    (_("Ballots distributed"), str(report.distributed)),
                    (_("Ballots cast"), str(report.cast)),
                    (_("Invalid ballots"), str(report.invalid)),
                    (_("Valid ballots"), str(report.valid)),
                    (_("FOR"), str(report.za)),
                    (_("AGAINST"), str(report.proti)),
                    (
                        _("Required majority"),
                        f"{majority} ({report.majority.needed} / {report.majority.base})",
                    ),
                    (
                        _("Finding"),
                        _("The proposal was carried with the required majority.")
                        if result.secret.adopted
                        else _("The proposal was not carried."),
                    ),
                ]
            )
        )
        blocks.append(
            Paragraph(
                _(
                    "Ballot receipts with their choices, as published after the vote: {list}",
                    list="; ".join(f"{r} {choice_word(c, _)}" for r, c in result.secret.receipts)
                    or "—",
                )
            )
        )
        blocks.append(
            SignatureLines([_("Chair of the voting commission"), _("Member"), _("Member")])
        )
        return blocks
    outcome = result.outcome
    assert outcome is not None
    rows = [
        [_("FOR"), str(outcome.za)],
        [_("AGAINST"), str(outcome.proti)],
    ]
    if outcome.vzdrzan:
        rows.append([_("ABSTAINED"), str(outcome.vzdrzan)])
    rows.append(
        [_("Required majority"), f"{majority}: {outcome.majority.needed} / {outcome.majority.base}"]
    )
    blocks.append(Table([_("Result"), _("Votes")], rows, column_widths=[2, 3]))
    verdict = (
        _("The resolution is ADOPTED.") if outcome.adopted else _("The resolution is NOT adopted.")
    )
    blocks.append(Paragraph(f"{verdict} {_(MOTION_REASON_TEXTS[outcome.reason])}", bold=True))
    if result.roll_call:
        blocks.append(Paragraph(_("Roll-call record"), bold=True))
        blocks.append(
            Table(
                [_("Member"), _("Vote")],
                [[person_name(line.person), line.describe(_)] for line in result.roll_call],
            )
        )
    return blocks


def _item_blocks(item_record: ItemRecord, record: SessionRecord, _: Translator) -> list[Block]:
    item = item_record.item
    blocks: list[Block] = [Heading(f"{item.number}. {item.title}", 2)]
    motion = item.motion
    if motion is None or not motion.resolution:
        blocks.append(Paragraph(_("Item without a vote.")))
        return blocks
    blocks.append(Paragraph(_("Proposed resolution: {text}", text=motion.resolution)))
    blocks.append(
        Paragraph(
            _(
                "{kind}; required majority: {majority}",
                kind=vote_kind_word(motion.vote_kind, _).capitalize(),
                majority=majority_words(record.rule_set, motion.majority, _),
            )
        )
    )
    if not item_record.rounds:
        blocks.append(Paragraph(_("Not voted on."), italic=True))
    for result in item_record.rounds:
        blocks.extend(_round_blocks(result, record, _))
    if item_record.rounds:
        final = item_record.rounds[-1]
        text = (
            _("Resolution adopted: {text}", text=motion.resolution)
            if final.adopted
            else _("The resolution was not adopted.")
        )
        blocks.append(Paragraph(text, bold=True))
    return blocks


def _election_round_blocks(
    result: ElectionRoundResult, record: SessionRecord, _: Translator
) -> list[Block]:
    live_round = result.round
    blocks: list[Block] = [
        Heading(
            _(
                "{stage}, opened at {opened}, closed at {closed}",
                stage=_("Second round") if live_round.stage == 2 else _("First round"),
                opened=clock(live_round.opened_at, _),
                closed=clock(live_round.closed_at, _) if live_round.closed_at else "—",
            ),
            3,
        ),
        Paragraph(
            _(
                "Ballot order: {names}",
                names=", ".join(
                    f"{n}. {c.surname} {c.name}" for n, c in enumerate(result.ballot, start=1)
                ),
            )
        ),
        Paragraph(
            _(
                "Present at the vote: {present} of {members} members. Not present: {absent}",
                present=len(result.present_ids),
                members=len(record.members),
                absent=_absent_at(result.present_ids, record) or "—",
            )
        ),
    ]
    outcome = result.outcome
    pairs = [
        (_("Ballots distributed"), str(result.counts.check.got)),
        (_("Ballots cast"), str(result.voters)),
    ]
    if outcome is None:
        blocks.append(KeyValues(pairs))
        blocks.append(
            Paragraph(
                _(
                    "Too few ballots were taken for the vote to count: {taken}, needed {needed}. "
                    "The round is held again.",
                    taken=result.counts.check.got,
                    needed=result.counts.check.needed,
                ),
                bold=True,
            )
        )
        return blocks
    pairs.extend(
        [
            (_("Invalid ballots"), str(outcome.invalid_ballots)),
            (_("Valid ballots"), str(outcome.valid_ballots)),
            (
                _("Required majority"),
                f"{threshold_words(record.rule_set.elections.majority, _)} ({outcome.needed} / {outcome.base})",
            ),
        ]
    )
    blocks.append(KeyValues(pairs))
    blocks.append(
        Table(
            [_("Candidate"), _("Votes"), _("Majority reached")],
            [
                [
                    f"{result.candidate(t.candidate_id).surname} {result.candidate(t.candidate_id).name}",
                    str(t.votes),
                    _("yes") if t.reached_majority else _("no"),
                ]
                for t in outcome.tallies
            ],
        )
    )
    if outcome.elected:
        names = ", ".join(
            f"{result.candidate(c).surname} {result.candidate(c).name}" for c in outcome.elected
        )
        blocks.append(Paragraph(_("Elected: {names}", names=names), bold=True))
    if outcome.runoff:
        names = ", ".join(
            f"{result.candidate(c).surname} {result.candidate(c).name}" for c in outcome.runoff
        )
        blocks.append(Paragraph(_("Second round between: {names}", names=names)))
    for lot in outcome.lots:
        names = ", ".join(
            f"{result.candidate(c).surname} {result.candidate(c).name}"
            for c in lot.drawn
            if isinstance(c, int)
        )
        blocks.append(
            Paragraph(_("Drawn by lot (seed {seed}): {names}", seed=lot.seed, names=names))
        )
    blocks.append(Paragraph(_(ELECTION_STATUS_TEXTS[outcome.status]), bold=True))
    receipts = "; ".join(
        f"{receipt} "
        + (
            ", ".join(f"{result.candidate(c).surname} {result.candidate(c).name}" for c in marks)
            or _("nobody")
            if valid
            else _("invalid")
        )
        for receipt, valid, marks in result.receipts
    )
    blocks.append(
        Paragraph(
            _(
                "Ballot receipts with their choices, as published after the vote: {list}",
                list=receipts or "—",
            )
        )
    )
    blocks.append(SignatureLines([_("Chair of the voting commission"), _("Member"), _("Member")]))
    return blocks


def _election_blocks(
    election_record: ElectionRecord, record: SessionRecord, _: Translator
) -> list[Block]:
    item = election_record.item
    election = item.election
    assert election is not None
    blocks: list[Block] = [Heading(f"{item.number}. {item.title}", 2)]
    blocks.append(
        Paragraph(
            _.plural(
                "Election by secret ballot for {count} post.",
                "Election by secret ballot for {count} posts.",
                election.posts,
            )
        )
    )
    blocks.append(
        Paragraph(
            _(
                "Candidates: {names}",
                names=", ".join(f"{c.surname} {c.name}".strip() for c in election.candidates),
            )
        )
    )
    if election_record.replaces_title:
        blocks.append(
            Paragraph(
                _(
                    'Procedural decision: a new nomination after the election "{title}" left posts unfilled.',
                    title=election_record.replaces_title,
                ),
                italic=True,
            )
        )
    if election_record.letter:
        blocks.append(
            Paragraph(
                _(
                    "First letter of the ballot order drawn by lot: {letter} (recorded seed {seed}).",
                    letter=election_record.letter,
                    seed=election_record.seed,
                )
            )
        )
    if not election_record.rounds:
        blocks.append(Paragraph(_("Not voted on."), italic=True))
    for result in election_record.rounds:
        blocks.extend(_election_round_blocks(result, record, _))
    return blocks


def _procedural(record: SessionRecord, _: Translator) -> list[Block]:
    decisions = []
    if record.info.urgent:
        decisions.append(
            _(
                "Convened urgently, at shorter notice, because: {reason}",
                reason=record.info.urgency_reason,
            )
        )
    for item_record in record.items:
        for result in item_record.rounds:
            if result.round.repeat_reason:
                decisions.append(
                    _(
                        "Item {number}: vote {round} repeated the earlier vote on an objection: {reason}",
                        number=item_record.item.number,
                        round=result.round.round,
                        reason=result.round.repeat_reason,
                    )
                )
    for election_record in record.elections:
        if election_record.replaces_title:
            decisions.append(
                _(
                    "Item {number}: new nomination for unfilled posts.",
                    number=election_record.item.number,
                )
            )
        for election_result in election_record.rounds:
            if election_result.outcome is None:
                decisions.append(
                    _(
                        "Item {number}: a round was held again for lack of ballots taken.",
                        number=election_record.item.number,
                    )
                )
    if not decisions:
        return []
    return [Heading(_("Procedural decisions"), 2), BulletList(decisions)]


def build_minutes(
    record: SessionRecord, _: Translator, audit_state: MinutesHeadState | None = None
) -> Document:
    """The minutes; ``audit_state`` is the head they were first made with (default: the head
    when ``record`` was read, for interim minutes) and whether the trail still has it."""
    doc = Document(
        title=_("Minutes of {session}", session=record.session.title),
        subtitle=record.body.name,
        footer=_("Minutes prepared by Sejabot on {moment}", moment=when(record.generated_at, _)),
        language=_.language,
    )
    doc.add(_facts(record, _))
    doc.add(*_presence(record, _))
    doc.add(*_agenda(record, _))
    elections_by_number = {e.item.number: e for e in record.elections}
    items_by_number = {i.item.number: i for i in record.items}
    for item in record.agenda:
        if item.number in items_by_number:
            doc.add(*_item_blocks(items_by_number[item.number], record, _))
        elif item.number in elections_by_number:
            doc.add(*_election_blocks(elections_by_number[item.number], record, _))
    doc.add(*_procedural(record, _))
    # The chain's head, published with the minutes, lets anyone verify the trail later.
    if audit_state is None:
        doc.add(Paragraph(minutes_line(record.audit_head, _), italic=True))
    else:
        made = when(audit_state.made_at, _) if audit_state.made_at is not None else ""
        for line in minutes_head_lines(audit_state, made, _):
            doc.add(Paragraph(line, italic=True))
    doc.add(SignatureLines([_("Minutes taken by"), _("Chair")]))
    return doc


def votes_table(record: SessionRecord, _: Translator) -> tuple[list[str], list[list[str]]]:
    """Every vote of the session as one row, for a spreadsheet."""
    headers = [
        _("Item"),
        _("Title"),
        _("Vote"),
        _("Kind"),
        _("Closed at"),
        _("Present"),
        _("FOR"),
        _("AGAINST"),
        _("Ballots cast"),
        _("Invalid ballots"),
        _("Required majority"),
        _("Result"),
    ]
    rows: list[list[str]] = []
    for item_record in record.items:
        for result in item_record.rounds:
            closed = when(result.round.closed_at, _) if result.round.closed_at else ""
            majority = majority_words(record.rule_set, result.motion.majority, _)
            verdict = _("adopted") if result.adopted else _("not adopted")
            if result.secret is not None:
                report = result.secret.report
                counts = [
                    str(report.distributed),
                    str(report.za),
                    str(report.proti),
                    str(report.cast),
                    str(report.invalid),
                ]
            else:
                outcome = result.outcome
                assert outcome is not None
                counts = [
                    str(outcome.present),
                    str(outcome.za),
                    str(outcome.proti),
                    str(outcome.za + outcome.proti + outcome.vzdrzan),
                    "0",
                ]
            rows.append(
                [
                    str(item_record.item.number),
                    item_record.item.title,
                    str(result.round.round),
                    vote_kind_word(result.round.vote_kind, _),
                    closed,
                    *counts,
                    majority,
                    verdict,
                ]
            )
    for election_record in record.elections:
        for election_round in election_record.rounds:
            closed = (
                when(election_round.round.closed_at, _) if election_round.round.closed_at else ""
            )
            tally = election_round.outcome
            if tally is None:
                verdict = _("void: too few ballots taken")
            elif tally.elected:
                verdict = _(
                    "elected: {names}",
                    names=", ".join(
                        f"{election_round.candidate(c).surname} {election_round.candidate(c).name}"
                        for c in tally.elected
                    ),
                )
            else:
                verdict = _(ELECTION_STATUS_TEXTS[tally.status])
            rows.append(
                [
                    str(election_record.item.number),
                    election_record.item.title,
                    str(election_round.round.round),
                    vote_kind_word(VoteKind.SECRET, _),
                    closed,
                    str(election_round.counts.check.got),
                    "",
                    "",
                    str(election_round.voters),
                    str(tally.invalid_ballots if tally else ""),
                    threshold_words(record.rule_set.elections.majority, _),
                    verdict,
                ]
            )
    return headers, rows
