"""Counting a correspondence session and the clerks' live tally, one message edited in place.

The count is always read fresh from the database (the source of truth), so a tally edited late
still shows the latest state. Each clerk's delivery report (to whom the invitation went, who
cannot be reached and why, who is still being sent it) is edited from the same reading as the
tally, so the two never disagree, until every member is settled. Confirmations are counted over the members the invitation was
listed for; under art. 21(2) a member who voted counts as having confirmed delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from html import escape
from typing import TYPE_CHECKING

from bot.correspondence.create import voting_member_ids
from bot.correspondence.wording import choice_label, motion_heading, quoted, when
from bot.domain.lot import slovenian_sort_key
from bot.domain.models import (
    Body,
    DeliveryConfirmation,
    Motion,
    Person,
    Platform,
    Role,
    Session,
    SessionStatus,
    Vote,
    VoteChoice,
)
from bot.domain.outcomes import required_count
from bot.domain.rules import CorrespondenceRules
from bot.i18n import Translator
from bot.transport.events import ChatRef, MessageRef, OutgoingMessage
from storage.records import VoteRound
from storage.repositories import Repositories
from storage.repositories.correspondence.messages import MessagePurpose, SessionMessage
from storage.repositories.correspondence.progress import InvitationRecord

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# Attempts at a member's invitation before the clerk is told to deliver it in person.
MAX_SEND_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class MotionTally:
    motion: Motion
    vote_round: VoteRound | None
    votes: tuple[Vote, ...]

    def count(self, choice: VoteChoice) -> int:
        return sum(1 for vote in self.votes if vote.choice is choice)

    @property
    def voted(self) -> int:
        return len(self.votes)

    def vote_of(self, person_id: int) -> Vote | None:
        return next((vote for vote in self.votes if vote.person_id == person_id), None)


def quorum_needed(rules: CorrespondenceRules, member_count: int) -> int:
    """Confirmations needed of ``member_count`` listed members (never fewer than one)."""
    return max(required_count(rules.quorum, member_count), 1)


@dataclass(frozen=True, slots=True)
class SessionTally:
    session: Session
    body: Body
    rules: CorrespondenceRules
    member_ids: tuple[int, ...]  # the members the invitation was listed for
    sent_ids: frozenset[int]  # ... and to whom it went out
    confirmations: dict[int, DeliveryConfirmation]  # confirmed personally (or by voting)
    motions: tuple[MotionTally, ...]
    invitations: tuple[InvitationRecord, ...] = ()  # how sending each member's went
    linked_ids: frozenset[int] = frozenset()  # members with a linked chat account

    @property
    def member_count(self) -> int:
        return len(self.member_ids)

    @property
    def voter_ids(self) -> frozenset[int]:
        return frozenset(vote.person_id for motion in self.motions for vote in motion.votes)

    @property
    def confirmed_ids(self) -> frozenset[int]:
        confirmed = set(self.confirmations)
        if self.rules.voting_counts_as_confirmation:
            confirmed |= self.voter_ids
        return frozenset(confirmed)

    @property
    def confirmed(self) -> int:
        return len(self.confirmed_ids)

    @property
    def quorum_needed(self) -> int:
        return quorum_needed(self.rules, self.member_count)

    @property
    def quorum_reached(self) -> bool:
        return self.member_count > 0 and self.confirmed >= self.quorum_needed

    @property
    def missing_for_quorum(self) -> int:
        return max(self.quorum_needed - self.confirmed, 0)

    def pending_for(self, person_id: int) -> tuple[bool, tuple[MotionTally, ...]]:
        """Whether the member still has to confirm delivery, and the motions not yet voted on."""
        unconfirmed = person_id not in self.confirmed_ids
        unvoted = tuple(m for m in self.motions if m.vote_of(person_id) is None)
        return unconfirmed, unvoted


async def load_tally(
    repos: Repositories, session_id: int, rules: CorrespondenceRules
) -> SessionTally:
    session = await repos.sessions.get(session_id)
    if session is None:
        raise LookupError(f"no session {session_id}")
    body = await repos.bodies.get(session.body_id)
    assert body is not None
    invitations = await repos.correspondence.progress.invitations(session_id)
    member_ids = tuple(invitation.person_id for invitation in invitations)
    progress = await repos.correspondence.progress.get(session_id)
    if progress is None or progress.opened_at is None:
        # Not opened yet: the members who would be invited now.
        member_ids = tuple(await voting_member_ids(repos, session.body_id))
    listed = set(member_ids)
    confirmations = {
        confirmation.person_id: confirmation
        for confirmation in await repos.deliveries.list_for_session(session_id)
        if confirmation.person_id in listed
    }
    motions = []
    for motion in await repos.motions.list_for_session(session_id):
        assert motion.id is not None
        vote_round = await repos.rounds.latest(motion.id)
        votes: Iterable[Vote] = ()
        if vote_round is not None:
            votes = await repos.votes.list_for_motion(motion.id, vote_round.round)
        motions.append(
            MotionTally(motion, vote_round, tuple(v for v in votes if v.person_id in listed))
        )
    linked = {
        person_id for person_id in member_ids if await repos.accounts.list_for_person(person_id)
    }
    return SessionTally(
        session=session,
        body=body,
        rules=rules,
        member_ids=member_ids,
        sent_ids=frozenset(i.person_id for i in invitations if i.sent_at is not None),
        confirmations=confirmations,
        motions=tuple(motions),
        invitations=tuple(invitations),
        linked_ids=frozenset(linked),
    )


def tally_html(tally: SessionTally, _: Translator, now: datetime, *, closed: bool) -> str:
    session = tally.session
    assert session.deadline is not None
    members = tally.member_count
    lines = [
        "<b>" + _("Correspondence session: {title}", title=escape(session.title)) + "</b>",
        escape(tally.body.name),
        _("Runs until {deadline}.", deadline=when(session.deadline, _)),
        _("Invitation sent: {sent} of {members}", sent=len(tally.sent_ids), members=members),
        _(
            "Delivery confirmed: {confirmed} of {members} (quorum needs {needed})",
            confirmed=tally.confirmed,
            members=members,
            needed=tally.quorum_needed,
        )
        + (" ✓" if tally.quorum_reached else ""),
    ]
    abstention = tally.rules.allow_abstention
    for motion in tally.motions:
        lines.append("")
        lines.append(
            f"<b>{escape(motion_heading(motion.motion, _))}</b>: {quoted(motion.motion.title)}"
        )
        parts = [
            _("Voted: {count}", count=motion.voted),
            f"{choice_label(VoteChoice.ZA, _)}: {motion.count(VoteChoice.ZA)}",
            f"{choice_label(VoteChoice.PROTI, _)}: {motion.count(VoteChoice.PROTI)}",
        ]
        if abstention:
            parts.append(
                f"{choice_label(VoteChoice.VZDRZAN, _)}: {motion.count(VoteChoice.VZDRZAN)}"
            )
        lines.append(" · ".join(parts))
    lines.append("")
    if closed:
        lines.append("<i>" + _("The session is closed; final state.") + "</i>")
    else:
        lines.append("<i>" + _("State at {time}.", time=when(now, _)) + "</i>")
    return "\n".join(lines)


async def clerk_ids(repos: Repositories, body_id: int) -> list[int]:
    return [
        membership.person_id
        for membership in await repos.memberships.list_for_body(body_id, active_only=True)
        if membership.role is Role.CLERK
    ]


async def post_tallies(app: App, session_id: int, rules: CorrespondenceRules) -> None:
    """Send each clerk of the body the live tally and remember the messages to edit."""
    tally = await load_tally(app.db.read, session_id, rules)
    now = app.now()
    refs: list[tuple[int, MessageRef]] = []
    for clerk_id in await clerk_ids(app.db.read, tally.session.body_id):
        person = await app.db.read.persons.get(clerk_id)
        if person is None:
            continue
        _ = Translator(person.language)
        message = OutgoingMessage(html=tally_html(tally, _, now, closed=False))
        for ref in await app.messenger.send_to_person(clerk_id, message):
            refs.append((clerk_id, ref))
    async with app.db.transaction() as repos:
        for clerk_id, ref in refs:
            await repos.correspondence.messages.add(
                SessionMessage(
                    id=None,
                    session_id=session_id,
                    person_id=clerk_id,
                    purpose=MessagePurpose.TALLY,
                    platform=Platform(ref.chat.platform),
                    chat_id=ref.chat.chat_id,
                    message_id=ref.message_id,
                    sent_at=now,
                )
            )


def message_ref(stored: SessionMessage) -> MessageRef:
    return MessageRef(ChatRef(stored.platform, stored.chat_id), stored.message_id)


async def refresh_tallies(
    app: App, session_id: int, rules: CorrespondenceRules, *, final: bool = False
) -> None:
    """Edit every clerk's tally message to the current count (final once the session is
    closed). One refresh of a session at a time: requests meanwhile are folded into one more,
    which reads the newest count, so an older count is never shown last. A busy session's
    tally is edited at most once per ``TALLY_REFRESH_SECONDS`` (bot/app.py), the last
    change included; the ``final`` one, at closing, at once."""
    await app.tally_refreshes.run(
        ("correspondence", session_id),
        lambda: _refresh_tallies_now(app, session_id, rules),
        now=final,
    )


async def _refresh_tallies_now(app: App, session_id: int, rules: CorrespondenceRules) -> None:
    read = app.db.read
    stored = await read.correspondence.messages.list(session_id, MessagePurpose.TALLY)
    reports = await read.correspondence.messages.reports(session_id)
    if not stored and not reports:
        return
    tally = await load_tally(read, session_id, rules)
    # The report and the tally from one reading: they never disagree.
    await refresh_reports(app, tally, reports)
    closed = tally.session.status is SessionStatus.CLOSED
    now = app.now()
    translators: dict[int, Translator] = {}
    for message in stored:
        if message.person_id not in translators:
            person = await read.persons.get(message.person_id)
            translators[message.person_id] = Translator(person.language if person else None)
        _ = translators[message.person_id]
        await app.messenger.edit(
            message_ref(message), OutgoingMessage(html=tally_html(tally, _, now, closed=closed))
        )


async def post_reports(app: App, session_id: int) -> None:
    """Send each clerk the delivery report and remember the messages to edit."""
    session = await app.db.read.sessions.get(session_id)
    assert session is not None
    body = await app.db.read.bodies.get(session.body_id)
    assert body is not None
    rules = app.rule_set(body.rule_set).correspondence
    tally = await load_tally(app.db.read, session_id, rules)
    now = app.now()
    refs: list[tuple[int, MessageRef]] = []
    for clerk_id in await clerk_ids(app.db.read, session.body_id):
        person = await app.db.read.persons.get(clerk_id)
        if person is None:
            continue
        html = await report_html(app.db.read, tally, Translator(person.language), now)
        for ref in await app.messenger.send_to_person(clerk_id, OutgoingMessage(html=html)):
            refs.append((clerk_id, ref))
            _shown[_key(ref)] = _without_time(html)
    async with app.db.transaction() as repos:
        for clerk_id, ref in refs:
            await repos.correspondence.messages.add_report(
                SessionMessage(
                    id=None, session_id=session_id, person_id=clerk_id,
                    purpose=MessagePurpose.REPORT, platform=Platform(ref.chat.platform),
                    chat_id=ref.chat.chat_id, message_id=ref.message_id, sent_at=now,
                )
            )  # fmt: skip


class Reach(StrEnum):
    """Where a member's invitation stands, for the clerk's delivery report."""

    REACHED = "reached"
    SENDING = "sending"  # being sent, or tried again at the next pass
    NO_ACCOUNT = "no_account"
    REFUSED = "refused"  # the platform refused it for good
    FAILED = "failed"  # every attempt failed


def reach_of(tally: SessionTally, invitation: InvitationRecord) -> Reach:
    if invitation.sent_at is not None:
        return Reach.REACHED
    if invitation.refusal:
        return Reach.REFUSED
    if invitation.person_id not in tally.linked_ids:
        return Reach.NO_ACCOUNT
    if invitation.attempts >= MAX_SEND_ATTEMPTS:
        return Reach.FAILED
    return Reach.SENDING


def settled(tally: SessionTally) -> bool:
    """No member's invitation is still on its way."""
    return all(reach_of(tally, invitation) is not Reach.SENDING for invitation in tally.invitations)


async def report_html(
    repos: Repositories, tally: SessionTally, _: Translator, now: datetime
) -> str:
    """Per member: reached, still being sent, or not reachable (no linked account, or the
    platform refused it, with the reason) and to be delivered in person. Its count of members
    reached is the tally's "Invitation sent"."""
    groups: dict[Reach, list[tuple[Person, InvitationRecord]]] = {reach: [] for reach in Reach}
    for invitation in tally.invitations:
        person = await repos.persons.get(invitation.person_id)
        if person is not None:
            groups[reach_of(tally, invitation)].append((person, invitation))
    for members in groups.values():
        members.sort(
            key=lambda item: (slovenian_sort_key(item[0].surname), slovenian_sort_key(item[0].name))
        )

    def names(reach: Reach) -> str:
        return ", ".join(escape(person.full_name) for person, _i in groups[reach])

    lines = [
        "<b>" + _("Delivery of the invitation") + "</b>",
        _(
            "The invitation to the correspondence session {title} went to {sent} of "
            "{members} members.",
            title=quoted(tally.session.title),
            sent=len(tally.sent_ids),
            members=tally.member_count,
        ),
    ]
    if groups[Reach.REACHED]:
        lines.append(
            _(
                "Reached ({count}): {names}.",
                count=len(groups[Reach.REACHED]),
                names=names(Reach.REACHED),
            )
        )
    if groups[Reach.SENDING]:
        lines.append(
            _(
                "Still being sent ({count}): {names}.",
                count=len(groups[Reach.SENDING]),
                names=names(Reach.SENDING),
            )
        )
    if groups[Reach.NO_ACCOUNT]:
        lines.append(
            _(
                "No linked account ({count}); deliver the invitation to them in person: {names}.",
                count=len(groups[Reach.NO_ACCOUNT]),
                names=names(Reach.NO_ACCOUNT),
            )
        )
    for reach, heading in (
        (Reach.REFUSED, _("Refused by the chat platform ({count}); deliver the invitation to them in person:", count=len(groups[Reach.REFUSED]))),
        (Reach.FAILED, _("Sending failed ({count}); deliver the invitation to them in person:", count=len(groups[Reach.FAILED]))),
    ):  # fmt: skip
        if groups[reach]:
            lines.append(heading)
            for person, invitation in groups[reach]:
                reason = invitation.refusal or invitation.failure or "?"
                lines.append(f"• {escape(person.full_name)}: {escape(reason[:200])}")
    lines.append("")
    if settled(tally):
        lines.append(
            "<i>"
            + _("Sending is finished for every member (state at {time}).", time=when(now, _))
            + "</i>"
        )
    else:
        lines.append(
            "<i>"
            + _(
                "This report is updated until every member is settled; state at {time}.",
                time=when(now, _),
            )
            + "</i>"
        )
    return "\n".join(lines)


# What each report message shows now (without its time), so an unchanged report is not edited
# again at every vote; after a restart the first refresh edits it once.
_shown: dict[tuple[str, str, str], str] = {}


def _key(ref: MessageRef) -> tuple[str, str, str]:
    return (str(ref.chat.platform), ref.chat.chat_id, ref.message_id)


def _without_time(html: str) -> str:
    return html.rsplit("\n", 1)[0]


async def refresh_reports(app: App, tally: SessionTally, reports: list[SessionMessage]) -> None:
    """Edit each clerk's delivery report where its content changed."""
    now = app.now()
    for stored in reports:
        person = await app.db.read.persons.get(stored.person_id)
        _ = Translator(person.language if person else None)
        html = await report_html(app.db.read, tally, _, now)
        ref = message_ref(stored)
        if _shown.get(_key(ref)) == _without_time(html):
            continue
        if await app.messenger.edit(ref, OutgoingMessage(html=html)) is not None:
            _shown[_key(ref)] = _without_time(html)
