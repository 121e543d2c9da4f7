"""Minutes (zapisnik) of a correspondence session, as a Document the renderers turn into an
editable DOCX draft, a PDF or Markdown, and as a CSV table of delivery and votes.

Art. 21(4) of the default rules asks the minutes to contain, besides the usual parts, each
member's confirmation of personal delivery and how many members voted, and says their approval
goes to the next regular session. So the document holds: the body and session, the rule set,
the proposed resolutions and materials, a table with each member's invitation, delivery
confirmation (time and platform) and vote on every resolution (time and platform), the counts,
the rule applied with its numbers, and the closing note. For a session still running the
figures are an interim state, marked as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.audit.trail import (
    MinutesHeadState,
    closing_head,
    minutes_head_lines,
    minutes_head_state,
)
from bot.correspondence.results import session_outcomes
from bot.correspondence.tally import SessionTally, load_tally
from bot.correspondence.wording import (
    BASIS_WORDS,
    adoption_sentence,
    choice_label,
    counts_line,
    motion_heading,
    platform_label,
    quorum_sentence,
    threshold_phrase,
    verdict_word,
)
from bot.domain.audit_chain import ChainHead
from bot.domain.correspondence_check import CATEGORY_LABELS
from bot.domain.lot import slovenian_sort_key
from bot.domain.models import (
    Body,
    DeliveryConfirmation,
    Material,
    Motion,
    Person,
    Session,
    Vote,
    VoteChoice,
)
from bot.domain.rules import CorrespondenceAdoption, RuleSet
from bot.i18n import Translator
from bot.reports.document import (
    BulletList,
    Document,
    Heading,
    KeyValues,
    Paragraph,
    SignatureLines,
    Table,
)
from bot.timeutil import LJUBLJANA, format_local
from storage.repositories import Repositories
from storage.repositories.correspondence.outcomes import StoredOutcome
from storage.repositories.correspondence.progress import CorrespondenceProgress, InvitationRecord


@dataclass(frozen=True, slots=True)
class MemberFacts:
    person: Person
    invitation: InvitationRecord | None  # None until the session opened and listed its members
    confirmation: DeliveryConfirmation | None  # recorded confirmation (by button or by voting)
    votes: dict[int, Vote]  # motion id -> vote

    @property
    def sent_at(self) -> datetime | None:
        return None if self.invitation is None else self.invitation.sent_at


@dataclass(frozen=True, slots=True)
class MinutesFacts:
    session: Session
    body: Body
    rule_set: RuleSet
    progress: CorrespondenceProgress | None
    motions: tuple[Motion, ...]
    materials: tuple[Material, ...]
    members: tuple[MemberFacts, ...]  # alphabetical by surname
    outcomes: dict[int, StoredOutcome]  # motion id -> outcome (stored, or interim)
    final: bool  # outcomes stored at closing; False: the session still runs
    produced_at: datetime
    zone: ZoneInfo = LJUBLJANA
    audit_head: ChainHead | None = None  # the audit trail as the session closed
    # The head recorded when the minutes were first made, and whether the trail still has it.
    audit_state: MinutesHeadState | None = None

    def moment(self, value: datetime | None, _: Translator) -> str:
        return format_local(value, _.language, self.zone) if value is not None else "—"


async def gather_minutes(
    repos: Repositories,
    session_id: int,
    rule_set_of: Callable[[Body], RuleSet],
    now: datetime,
    zone: ZoneInfo = LJUBLJANA,
) -> MinutesFacts:
    """Everything the minutes show, read in one go from ``repos``."""
    session = await repos.sessions.get(session_id)
    if session is None:
        raise LookupError(f"no session {session_id}")
    body = await repos.bodies.get(session.body_id)
    assert body is not None
    rule_set = rule_set_of(body)
    tally = await load_tally(repos, session_id, rule_set.correspondence)
    stored = {
        o.motion_id: o for o in await repos.correspondence.outcomes.list_for_session(session_id)
    }
    final = bool(stored)
    outcomes = stored or {o.motion_id: o for o in session_outcomes(tally, rule_set.name, now)}
    members = await _member_facts(repos, session_id, tally)
    audit_head = await closing_head(repos, session_id)
    return MinutesFacts(
        session=session,
        body=body,
        rule_set=rule_set,
        progress=await repos.correspondence.progress.get(session_id),
        motions=tuple(m.motion for m in tally.motions),
        materials=tuple(await repos.materials.list_for_session(session_id)),
        members=members,
        outcomes=outcomes,
        final=final,
        produced_at=now,
        zone=zone,
        audit_head=audit_head,
        audit_state=await minutes_head_state(repos, session_id, audit_head),
    )


async def _member_facts(
    repos: Repositories, session_id: int, tally: SessionTally
) -> tuple[MemberFacts, ...]:
    invitations = {
        invitation.person_id: invitation
        for invitation in await repos.correspondence.progress.invitations(session_id)
    }
    members = []
    for person_id in tally.member_ids:
        person = await repos.persons.get(person_id)
        assert person is not None
        votes = {}
        for motion in tally.motions:
            vote = motion.vote_of(person_id)
            if vote is not None and motion.motion.id is not None:
                votes[motion.motion.id] = vote
        members.append(MemberFacts(person, invitations.get(person_id),
                                   tally.confirmations.get(person_id), votes))  # fmt: skip
    members.sort(
        key=lambda m: (slovenian_sort_key(m.person.surname), slovenian_sort_key(m.person.name))
    )
    return tuple(members)


def _member_name(member: MemberFacts) -> str:
    return f"{member.person.surname} {member.person.name}"


def _confirmation_cells(facts: MinutesFacts, member: MemberFacts, _: Translator) -> list[str]:
    confirmation = member.confirmation
    if confirmation is None:
        return [_("not confirmed"), "—"]
    voted_first = any(
        vote.cast_at == confirmation.confirmed_at and vote.platform == confirmation.platform
        for vote in member.votes.values()
    )
    how = platform_label(confirmation.platform, _)
    if voted_first and facts.rule_set.correspondence.voting_counts_as_confirmation:
        how = _("{platform}, by voting", platform=how)
    return [facts.moment(confirmation.confirmed_at, _), how]


def _vote_cells(facts: MinutesFacts, vote: Vote | None, _: Translator) -> list[str]:
    if vote is None:
        return [_("did not vote"), "—", "—"]
    return [
        choice_label(vote.choice, _),
        facts.moment(vote.cast_at, _),
        platform_label(vote.platform, _),
    ]


def _rule_lines(facts: MinutesFacts, _: Translator) -> list[tuple[str, str]]:
    rules = facts.rule_set.correspondence
    quorum = f"{threshold_phrase(rules.quorum, _)} {_(BASIS_WORDS[rules.quorum.basis])}"
    if rules.quorum.label:
        quorum = f"{quorum} ({rules.quorum.label})"
    if rules.adoption is CorrespondenceAdoption.NO_VOTES_AGAINST:
        adoption = _("adopted if no member voted against")
    else:
        assert rules.adoption_threshold is not None
        threshold = rules.adoption_threshold
        adoption = _(
            "adopted if {rule} {basis} voted in favour",
            rule=threshold_phrase(threshold, _),
            basis=_(BASIS_WORDS[threshold.basis]),
        )
    return [
        (_("Rules"), facts.rule_set.title),
        (_("Source"), facts.rule_set.source),
        (_("Quorum"), _("confirmation of personal delivery by {rule}", rule=quorum)),
        (_("Adoption"), adoption),
        (
            _("A vote counts as confirmation"),
            _("Yes") if rules.voting_counts_as_confirmation else _("No"),
        ),
    ]


def build_minutes(facts: MinutesFacts, _: Translator) -> Document:
    session = facts.session
    title = _("Minutes of the correspondence session")
    subtitle = f"{facts.body.name}: {session.title}"
    doc = Document(title=title, subtitle=subtitle, language=_.language,
                   footer=f"{facts.body.name} · {session.title}")  # fmt: skip
    if not facts.final:
        doc.add(Paragraph(_("Interim state: the session is still running; figures as of {time}.",
                            time=facts.moment(facts.produced_at, _)), bold=True))  # fmt: skip
    progress = facts.progress
    sent = [m.sent_at for m in facts.members if m.sent_at is not None]
    doc.add(
        KeyValues(
            [
                (_("Body"), facts.body.name),
                (_("Session"), session.title),
                (_("Kind of session"), _("correspondence session")),
                (_("Invitation sent"), facts.moment(min(sent) if sent else None, _)),
                (_("Session runs until"), facts.moment(session.deadline, _)),
                (_("Closed"), facts.moment(progress.closed_at if progress else None, _)),
                (_("Members"), str(len(facts.members))),
            ]
        ),
        Heading(_("Rules applied"), 2),
        KeyValues(_rule_lines(facts, _)),
        Heading(_("Proposed resolutions"), 2),
    )
    for motion in facts.motions:
        doc.add(
            Paragraph(f"{motion_heading(motion, _)}: {motion.title}", bold=True),
            Paragraph(motion.resolution, italic=True),
            Paragraph(_("Category: {category}", category=_(CATEGORY_LABELS[motion.category]))),
        )
    doc.add(Heading(_("Materials"), 2))
    if facts.materials:
        doc.add(BulletList([f"{m.filename} ({m.size} B, SHA-256 {m.sha256[:16]}…)"
                            for m in facts.materials]))  # fmt: skip
    else:
        doc.add(Paragraph(_("No materials were attached.")))
    _delivery_section(doc, facts, _)
    for motion in facts.motions:
        _motion_section(doc, facts, motion, _)
    _findings(doc, facts, _)
    if facts.audit_state is not None:
        made = facts.moment(facts.audit_state.made_at, _)
        for line in minutes_head_lines(facts.audit_state, made, _):
            doc.add(Paragraph(line))
    doc.add(
        Paragraph(
            _("The approval of these minutes goes on the agenda of the next regular session.")
        ),
        SignatureLines([_("Minutes taken by"), _("Chair")]),
    )
    return doc


def _delivery_section(doc: Document, facts: MinutesFacts, _: Translator) -> None:
    doc.add(Heading(_("Invitation and confirmation of personal delivery"), 2))
    rows = []
    for member in facts.members:
        sent = member.sent_at
        sent_text = facts.moment(sent, _) if sent else _("not sent in the chat")
        rows.append([_member_name(member), sent_text, *_confirmation_cells(facts, member, _)])
    doc.add(
        Table(
            [_("Member"), _("Invitation sent"), _("Delivery confirmed"), _("How")],
            rows,
            column_widths=[3, 2.2, 2.2, 2.2],
        )
    )
    confirmed = sum(1 for member in facts.members if member.confirmation is not None)
    doc.add(Paragraph(_("Delivery confirmed by {count} of {members} members.",
                        count=confirmed, members=len(facts.members))))  # fmt: skip


def _motion_section(doc: Document, facts: MinutesFacts, motion: Motion, _: Translator) -> None:
    assert motion.id is not None
    doc.add(Heading(f"{motion_heading(motion, _)}: {motion.title}", 2))
    rows = [
        [_member_name(member), *_vote_cells(facts, member.votes.get(motion.id), _)]
        for member in facts.members
    ]
    doc.add(Table([_("Member"), _("Vote"), _("Time"), _("How")], rows,
                  column_widths=[3, 1.6, 2.2, 2.2]))  # fmt: skip
    outcome = facts.outcomes.get(motion.id)
    if outcome is None:
        doc.add(Paragraph(_("Nobody was invited, so there is no outcome.")))
        return
    abstention = facts.rule_set.correspondence.allow_abstention
    doc.add(
        Paragraph(counts_line(outcome, _, abstention=abstention)
                  + " · " + _("Did not vote: {count}", count=outcome.member_count - outcome.voted)),
        Paragraph(quorum_sentence(outcome, _)),
        Paragraph(f"{verdict_word(outcome, _)}. {adoption_sentence(outcome, _)}", bold=True),
    )  # fmt: skip


def _findings(doc: Document, facts: MinutesFacts, _: Translator) -> None:
    doc.add(Heading(_("Findings"), 2))
    voters = {member.person.id for member in facts.members if member.votes}
    items = [
        _("{count} of {members} members voted in this correspondence session.",
          count=len(voters), members=len(facts.members)),
    ]  # fmt: skip
    for motion in facts.motions:
        outcome = facts.outcomes.get(motion.id or 0)
        if outcome is not None:
            items.append(f"{motion_heading(motion, _)}: {verdict_word(outcome, _)}")
    doc.add(BulletList(items))


def delivery_and_votes_table(
    facts: MinutesFacts, _: Translator
) -> tuple[list[str], list[list[str]]]:
    """One row per member for CSV: invitation, confirmation and each vote with time and platform."""
    headers = [_("Member"), _("Invitation sent"), _("Delivery confirmed"), _("How")]
    for motion in facts.motions:
        heading = motion_heading(motion, _)
        headers += [f"{heading}: {_('Vote')}", f"{heading}: {_('Time')}", f"{heading}: {_('How')}"]
    rows = []
    for member in facts.members:
        sent = member.sent_at
        row = [
            _member_name(member),
            facts.moment(sent, _) if sent else _("not sent in the chat"),
            *_confirmation_cells(facts, member, _),
        ]
        for motion in facts.motions:
            row += _vote_cells(facts, member.votes.get(motion.id or 0), _)
        rows.append(row)
    return headers, rows


def vote_counts(outcome: StoredOutcome) -> dict[VoteChoice, int]:
    return {VoteChoice.ZA: outcome.za, VoteChoice.PROTI: outcome.proti,
            VoteChoice.VZDRZAN: outcome.vzdrzan}  # fmt: skip
