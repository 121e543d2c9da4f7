"""A member confirms delivery and votes in a correspondence session (art. 21(2)-(3)).

Nothing a button carries is trusted. Before anything is recorded, the database must show that
the person is an active voting member of the session's body and on the list the invitation went
to, that the motion belongs to this correspondence session, that the session is open and its
vote round not closed, that the action came before the deadline, and that the choice is one the
body's rule set allows (VZDRŽAN only where abstention exists). A member votes once per round:
storage's unique key decides, and a second attempt is told what was recorded first and when.

Which moment decides. Where the platform stamps the member's action itself, that stamp decides
against the deadline: every Matrix event (messages and poll answers carry the homeserver's
``origin_server_ts``) and Telegram text messages (``date``). A Telegram button press (callback
query) carries no date at all, so the moment the bot received it stands in, read from the
bot's own clock. Votes arriving a little after the deadline but stamped before it still count,
which is why the session is closed only a short grace period after its deadline.

A vote counts as a confirmation of delivery where the rule set says so (art. 21(2)); the
confirmation is then recorded with the vote's time and platform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.correspondence.invitations import allowed_choices
from bot.correspondence.tally import SessionTally, load_tally, quorum_needed
from bot.correspondence.wording import when
from bot.domain.models import (
    Body,
    DeliveryConfirmation,
    Motion,
    Platform,
    Session,
    SessionKind,
    SessionStatus,
    Vote,
    VoteChoice,
)
from bot.domain.rules import CorrespondenceRules
from bot.i18n import N_, Translator
from bot.transport.events import IncomingEvent
from bot.transport.security_log import RefusalKind
from storage.errors import DuplicateVote
from storage.records import VoteRound
from storage.repositories import Repositories
from storage.repositories.correspondence.progress import Milestone

RulesOf = Callable[[Body], CorrespondenceRules]


def platform_stamped(event: IncomingEvent) -> bool:
    """Whether the event carries the platform's own time of the member's action."""
    return not (event.choice is not None and event.platform is Platform.TELEGRAM)


def decisive_time(event: IncomingEvent, received_at: datetime) -> datetime:
    """The moment judged against the deadline (see the module docstring)."""
    return event.timestamp if platform_stamped(event) else received_at


class Refused(StrEnum):
    UNKNOWN = "unknown"
    NOT_INVITED = "not_invited"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    DEADLINE_PASSED = "deadline_passed"
    CHOICE_NOT_ALLOWED = "choice_not_allowed"


REFUSAL_TEXTS = {
    Refused.UNKNOWN: N_("This correspondence session or resolution does not exist any more."),
    Refused.NOT_INVITED: N_(
        "You are not among the voting members this session's invitation went to, so you "
        "cannot confirm or vote. If this is a mistake, contact your municipal administration."
    ),
    Refused.NOT_OPEN: N_("This session has not started yet; wait for the invitation."),
    Refused.CLOSED: N_("This correspondence session is closed; nothing more can be recorded."),
    Refused.DEADLINE_PASSED: N_(
        "The session ran until {deadline}; your action came on {time}, after the deadline, "
        "so nothing was recorded."
    ),
    Refused.CHOICE_NOT_ALLOWED: N_(
        "The rules of this body do not allow this choice in a correspondence session."
    ),
}


# How each refusal is logged on sejabot.security (bot/transport/security_log.py).
REFUSAL_KINDS = {
    Refused.UNKNOWN: RefusalKind.NOT_ENTITLED,
    Refused.NOT_INVITED: RefusalKind.NOT_ENTITLED,
    Refused.NOT_OPEN: RefusalKind.ROUND_CLOSED,
    Refused.CLOSED: RefusalKind.ROUND_CLOSED,
    Refused.DEADLINE_PASSED: RefusalKind.DEADLINE_PASSED,
    Refused.CHOICE_NOT_ALLOWED: RefusalKind.FORGED_CHOICE,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    code: Refused
    deadline: datetime | None = None
    action_time: datetime | None = None

    @property
    def kind(self) -> RefusalKind:
        return REFUSAL_KINDS[self.code]

    def text(self, _: Translator) -> str:
        params: dict[str, object] = {}
        if self.code is Refused.DEADLINE_PASSED:
            assert self.deadline is not None and self.action_time is not None
            params = {"deadline": when(self.deadline, _), "time": when(self.action_time, _)}
        return _(REFUSAL_TEXTS[self.code], **params)


@dataclass(frozen=True, slots=True)
class MemberSession:
    session: Session
    body: Body
    rules: CorrespondenceRules


@dataclass(frozen=True, slots=True)
class Ballot:
    """A motion the member may vote on now, or (``earlier`` set) has already voted on."""

    member_session: MemberSession
    motion: Motion
    vote_round: VoteRound
    earlier: Vote | None = None

    @property
    def session(self) -> Session:
        return self.member_session.session


async def member_session(
    repos: Repositories, rules_of: RulesOf, session_id: int, person_id: int
) -> MemberSession | Refusal:
    """The correspondence session, if the person is an active voting member invited to it."""
    session = await repos.sessions.get(session_id)
    if session is None or session.kind is not SessionKind.CORRESPONDENCE:
        return Refusal(Refused.UNKNOWN)
    if session.status in (SessionStatus.DRAFT, SessionStatus.CONVENED):
        return Refusal(Refused.NOT_OPEN)  # its members are listed when it opens
    body = await repos.bodies.get(session.body_id)
    if body is None:
        return Refusal(Refused.UNKNOWN)
    membership = await repos.memberships.get(person_id, session.body_id)
    invited = await repos.correspondence.progress.invitation(session_id, person_id)
    if membership is None or not membership.active or not membership.role.votes or not invited:
        return Refusal(Refused.NOT_INVITED)
    return MemberSession(session, body, rules_of(body))


def _still_open(session: Session, action_time: datetime) -> Refusal | None:
    if session.status is SessionStatus.CLOSED:
        return Refusal(Refused.CLOSED)
    if session.status is not SessionStatus.OPEN:
        return Refusal(Refused.NOT_OPEN)
    assert session.deadline is not None
    if action_time > session.deadline:
        return Refusal(Refused.DEADLINE_PASSED, session.deadline, action_time)
    return None


async def ballot(
    repos: Repositories,
    rules_of: RulesOf,
    motion_id: int,
    person_id: int,
    action_time: datetime,
    choice: VoteChoice | None = None,
) -> Ballot | Refusal:
    """What the member may do about ``motion_id`` at ``action_time``."""
    motion = await repos.motions.get(motion_id)
    if motion is None:
        return Refusal(Refused.UNKNOWN)
    found = await member_session(repos, rules_of, motion.session_id, person_id)
    if isinstance(found, Refusal):
        return found
    vote_round = await repos.rounds.latest(motion_id)
    if vote_round is None:
        return _still_open(found.session, action_time) or Refusal(Refused.NOT_OPEN)
    earlier = await repos.votes.get(motion_id, vote_round.round, person_id)
    if earlier is not None:
        return Ballot(found, motion, vote_round, earlier)
    refusal = _still_open(found.session, action_time)
    if refusal is not None:
        return refusal
    if not vote_round.is_open:
        return Refusal(Refused.CLOSED)
    if choice is not None and choice not in allowed_choices(found.rules):
        return Refusal(Refused.CHOICE_NOT_ALLOWED)
    return Ballot(found, motion, vote_round)


@dataclass(frozen=True, slots=True)
class Confirmed:
    confirmation: DeliveryConfirmation
    first: bool  # False: confirmed earlier; ``confirmation`` is that first one


async def confirm_delivery(
    repos: Repositories,
    rules_of: RulesOf,
    session_id: int,
    person_id: int,
    action_time: datetime,
    platform: Platform,
) -> Confirmed | Refusal:
    found = await member_session(repos, rules_of, session_id, person_id)
    if isinstance(found, Refusal):
        return found
    earlier = await repos.deliveries.get(session_id, person_id)
    if earlier is not None:
        return Confirmed(earlier, first=False)
    refusal = _still_open(found.session, action_time)
    if refusal is not None:
        return refusal
    stored = await repos.deliveries.confirm(
        DeliveryConfirmation(session_id, person_id, action_time, platform)
    )
    return Confirmed(stored, first=True)


@dataclass(frozen=True, slots=True)
class Cast:
    vote: Vote
    first: bool  # False: the member had voted before; ``vote`` is that earlier vote


async def cast_vote(
    repos: Repositories,
    open_ballot: Ballot,
    person_id: int,
    choice: VoteChoice,
    action_time: datetime,
    platform: Platform,
) -> Cast:
    """Record the vote (and, where the rules say so, the delivery it implies)."""
    motion_id = open_ballot.motion.id
    assert motion_id is not None
    round_number = open_ballot.vote_round.round
    try:
        vote = await repos.votes.cast(
            Vote(motion_id, round_number, person_id, choice, action_time, platform)
        )
    except DuplicateVote:
        earlier = await repos.votes.get(motion_id, round_number, person_id)
        assert earlier is not None
        return Cast(earlier, first=False)
    if open_ballot.member_session.rules.voting_counts_as_confirmation:
        session_id = open_ballot.session.id
        assert session_id is not None
        await repos.deliveries.record(
            DeliveryConfirmation(session_id, person_id, action_time, platform)
        )
    return Cast(vote, first=True)


async def _quorum_possible(
    repos: Repositories, session_id: int, rules: CorrespondenceRules
) -> bool:
    """Whether enough members have confirmed (or voted) for the quorum to be reached: one
    count, never below the tally's, instead of the whole tally at every vote before it."""
    listed = len(await repos.correspondence.progress.invitations(session_id))
    confirmed = await repos.deliveries.count_confirmed(
        session_id, with_voters=rules.voting_counts_as_confirmation
    )
    return listed > 0 and confirmed >= quorum_needed(rules, listed)


async def quorum_just_reached(
    repos: Repositories, session_id: int, rules: CorrespondenceRules, now: datetime
) -> SessionTally | None:
    """The tally if this transaction brought the quorum and claimed the clerks' notice."""
    progress = await repos.correspondence.progress.get(session_id)
    if progress is None or progress.quorum_reported_at is not None:
        return None  # told before: no need to count again at every vote
    if progress.opened_at is not None and not await _quorum_possible(repos, session_id, rules):
        return None
    tally = await load_tally(repos, session_id, rules)
    if not tally.quorum_reached:
        return None
    if not await repos.correspondence.progress.claim(session_id, Milestone.QUORUM_REPORTED, now):
        return None
    return tally
