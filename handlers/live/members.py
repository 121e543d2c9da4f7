"""What members do at a live session: answer the invitation, confirm presence, vote.

Every vote goes through a confirmation step (choose, then confirm), and the member is told what
was recorded and when, or clearly why not (closed, too late, presence not confirmed).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from html import escape
from typing import NamedTuple

from bot.domain.models import (
    Candidate,
    Election,
    Motion,
    Platform,
    SessionStatus,
    VoteChoice,
    VoteKind,
)
from bot.domain.outcomes import ballot_is_valid
from bot.domain.rules import RuleSet
from bot.live import payloads
from bot.live.agenda import item_for_election, item_for_motion, load_agenda
from bot.live.attendance import AnswerRefusal, record_answer, record_reason
from bot.live.effects import Effects
from bot.live.elections import (
    ballot_candidates,
    cast_election_ballot,
    first_letter,
    marks_from_mask,
)
from bot.live.session_actions import member_present
from bot.live.vote_actions import rule_set_of
from bot.live.voting import CastRefusal, cast_vote
from bot.live.wording.common import choice_word, clock, session_name, when
from bot.live.wording.votes import (
    ballot_message,
    confirm_message,
    election_ballot,
    election_confirm,
    election_heading,
    election_recorded,
    recorded_message,
    refusal_text,
    secret_ballot_terms,
    spent_ballot,
    vote_heading,
)
from bot.transport.events import OutgoingMessage
from bot.transport.security_log import RefusalKind
from handlers.context import HandlerContext
from handlers.live.common import action_time, apply
from handlers.routes import Routes
from storage.repositories.live.elections import LiveElectionRound
from storage.repositories.live.rounds import LiveRound
from storage.repositories.live.sessions import AttendanceAnswer

PRESENT_WORDS = frozenset({"prisoten", "prisotna", "prisotni", "navzoc", "navzoca", "present"})


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.strip().casefold().rstrip(".!"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --- the invitation ---------------------------------------------------------------------------


async def answer_invitation(ctx: HandlerContext, rest: str) -> None:
    _ = ctx._
    session_id, _sep, word = rest.partition(":")
    if not session_id.isdecimal() or word not in ("attend", "decline") or ctx.person is None:
        ctx.reply_text(_("This button is no longer valid."))
        return
    answer = AttendanceAnswer(word)
    outcome = await record_answer(ctx.repos, int(session_id), ctx.person.id or 0, answer, ctx.now)
    if outcome.refusal is AnswerRefusal.CLOSED:
        ctx.refuse(
            RefusalKind.ROUND_CLOSED,
            _("This session has already ended."),
            detail=f"session={session_id}",
        )
        return
    if outcome.refusal is not None:
        ctx.refuse(
            RefusalKind.NOT_ENTITLED,
            _("You are not invited to this session as a member."),
            detail=f"session={session_id}",
        )
        return
    session = await ctx.repos.sessions.get(int(session_id))
    body = await ctx.repos.bodies.get(session.body_id) if session else None
    title = escape(session_name(session, body.name if body else "", _)) if session else ""
    if answer is AttendanceAnswer.ATTEND:
        ctx.reply_text(
            _(
                "Thank you. Recorded at {time}: you will attend {session}.",
                time=when(ctx.now, _),
                session=f"<b>{title}</b>",
            )
        )
    else:
        ctx.reply_text(
            _(
                "Recorded at {time}: you cannot come to {session}. Please write the reason in "
                "one message (for example: illness, business trip). It goes to the chair and "
                "into the minutes.",
                time=when(ctx.now, _),
                session=f"<b>{title}</b>",
            )
        )
    apply(ctx, _panel_refresh(int(session_id)))


def _panel_refresh(session_id: int) -> Effects:
    effects = Effects()
    effects.panels.add(session_id)
    return effects


async def reason_given(ctx: HandlerContext) -> bool:
    """The next text after "I cannot come" is the reason."""
    if ctx.person is None or not ctx.event.text or ctx.event.file is not None:
        return False
    stored = await record_reason(ctx.repos, ctx.person, ctx.event.text, ctx.now)
    if stored is None:
        return False
    invitation, effects = stored
    ctx.reply_text(
        ctx._(
            "Thank you. Your reason is recorded and the chair is told: {reason}",
            reason=f"<i>{escape(invitation.reason)}</i>",
        )
    )
    apply(ctx, effects)
    return True


# --- presence ---------------------------------------------------------------------------------


async def _confirm_presence(ctx: HandlerContext, session_ids: list[int]) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    confirmed = False
    for session_id in session_ids:
        confirmation, effects = await member_present(
            ctx.repos,
            ctx.app,
            session_id,
            ctx.person.id,
            action_time(ctx),
            Platform(ctx.event.platform),
        )
        if confirmation.refusal is not None or confirmation.recorded is None:
            continue
        confirmed = True
        if confirmation.already:
            ctx.reply_text(
                _(
                    "Your presence was already recorded at {time}.",
                    time=clock(confirmation.recorded.recorded_at, _),
                )
            )
        else:
            ctx.reply_text(
                _("Presence confirmed at {time}.", time=clock(confirmation.recorded.recorded_at, _))
            )
        apply(ctx, effects)
    if not confirmed:
        ctx.reply_text(
            _("No session you are a member of is open now, so there is no presence to confirm.")
        )


async def present_button(ctx: HandlerContext, rest: str) -> None:
    if not rest.isdecimal() or ctx.person is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    session = await ctx.repos.sessions.get(int(rest))
    if session is None or session.status is not SessionStatus.OPEN:
        ctx.reply_text(ctx._("This session is not open now."))
        return
    await _confirm_presence(ctx, [int(rest)])


async def _open_roll_sessions(ctx: HandlerContext) -> list[int]:
    """Open sessions on whose roll the person is."""
    assert ctx.person is not None
    found = []
    for membership in ctx.memberships:
        for session in await ctx.repos.sessions.list_for_body(membership.body_id):
            if (
                session.status is SessionStatus.OPEN
                and session.id is not None
                and ctx.person.id in await ctx.repos.live.sessions.roll(session.id)
            ):
                found.append(session.id)
    return found


async def _present_everywhere(ctx: HandlerContext) -> None:
    if ctx.person is None or ctx.person.id is None:
        return
    open_ids = await _open_roll_sessions(ctx)
    if not open_ids:
        ctx.reply_text(
            ctx._("No session you are a member of is open now, so there is no presence to confirm.")
        )
        return
    await _confirm_presence(ctx, open_ids)


async def present_typed(ctx: HandlerContext) -> bool:
    """A member writes "Prisoten" (or "Prisotna", "navzoč", "present")."""
    if ctx.person is None or _folded(ctx.event.text) not in PRESENT_WORDS:
        return False
    await _present_everywhere(ctx)
    return True


# --- votes on motions -------------------------------------------------------------------------


class VoteContext(NamedTuple):
    motion: Motion
    round: LiveRound
    choice: VoteChoice | None
    number: int | None  # the item's number on the agenda; None for a practice vote


async def _vote_context(ctx: HandlerContext, rest: str) -> VoteContext | None:
    """The motion, round and choice a ballot button names, or None if it names nothing."""
    fields = rest.split(":")
    numbers = payloads.split_ints(rest, 2)
    if numbers is None:
        return None
    motion_id, round_number = numbers
    live_round = await ctx.repos.live.rounds.get(motion_id, round_number)
    motion = await ctx.repos.motions.get(motion_id)
    if live_round is None or motion is None:
        return None
    choice = None
    if len(fields) > 2:
        try:
            choice = VoteChoice(fields[2])
        except ValueError:
            return None
    item = item_for_motion(await load_agenda(ctx.repos, live_round.session_id), motion_id)
    return VoteContext(motion, live_round, choice, item.number if item else None)


# Refusals that are attempts the operator should see (docs: bot/transport/security_log.py); a member not
# yet present, or a choice the rules do not offer, is an ordinary answer, not logged.
LOGGED_REFUSALS = {
    CastRefusal.CLOSED: RefusalKind.ROUND_CLOSED,
    CastRefusal.LATE: RefusalKind.DEADLINE_PASSED,
    CastRefusal.ALREADY_VOTED: RefusalKind.DOUBLE_VOTE,
    CastRefusal.NOT_ON_ROLL: RefusalKind.NOT_ENTITLED,
}


def _round_detail(live_round: LiveRound | LiveElectionRound | None) -> str:
    """Which round, for the security log; never the choice."""
    if isinstance(live_round, LiveRound):
        return f"motion={live_round.motion_id} round={live_round.round}"
    if isinstance(live_round, LiveElectionRound):
        return f"election={live_round.election_id} round={live_round.round}"
    return ""


def _refuse(
    ctx: HandlerContext,
    refusal: CastRefusal,
    live_round: LiveRound | LiveElectionRound | None,
    at: datetime,
    text: str = "",
) -> None:
    text = text or refusal_text(
        refusal,
        ctx._,
        closed=live_round.closed_at if live_round and live_round.closed_at else ctx.now,
        closes=live_round.closes_at if live_round and live_round.closes_at else ctx.now,
        at=at,
    )
    kind = LOGGED_REFUSALS.get(refusal)
    if kind is None:
        ctx.reply_text(text)
    else:
        ctx.refuse(kind, text, detail=_round_detail(live_round))


async def ballot_choice(ctx: HandlerContext, rest: str) -> None:
    """ZA or PROTI pressed on a ballot: the ballot turns into the confirmation question."""
    found = await _vote_context(ctx, rest)
    if found is None or found.choice is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    motion, live_round, choice, number = found.motion, found.round, found.choice, found.number
    if not live_round.is_open:
        _refuse(ctx, CastRefusal.CLOSED, live_round, action_time(ctx))
        return
    terms = None
    if motion.vote_kind is VoteKind.SECRET:
        rule_set = await rule_set_of(ctx.repos, ctx.app, live_round.session_id)
        if not _secret_allowed_here(ctx, rule_set, live_round):
            return
        terms = secret_ballot_terms(rule_set, ctx._)
    message = confirm_message(motion, number, live_round.round, choice, ctx._, terms=terms)
    if ctx.event.choice is not None and ctx.event.choice.message is not None:
        ctx.edit(ctx.event.choice.message, message)
    else:
        ctx.reply(message)


async def ballot_back(ctx: HandlerContext, rest: str) -> None:
    found = await _vote_context(ctx, rest)
    if found is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    motion, live_round, _choice, number = found
    rule_set = await rule_set_of(ctx.repos, ctx.app, live_round.session_id)
    message = ballot_message(
        motion,
        number,
        live_round.round,
        rule_set,
        live_round.closes_at,
        live_round.repeat_reason,
        ctx._,
    )
    if ctx.event.choice is not None and ctx.event.choice.message is not None:
        ctx.edit(ctx.event.choice.message, message)
    else:
        ctx.reply(message)


async def ballot_confirm(ctx: HandlerContext, rest: str) -> None:
    """The confirmed vote: recorded, and the member told exactly what and when."""
    found = await _vote_context(ctx, rest)
    if found is None or found.choice is None or ctx.person is None or ctx.person.id is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    motion, live_round, choice, number = found.motion, found.round, found.choice, found.number
    at = action_time(ctx)
    rule_set = await rule_set_of(ctx.repos, ctx.app, live_round.session_id)
    if motion.vote_kind is VoteKind.SECRET and not _secret_allowed_here(ctx, rule_set, live_round):
        return
    outcome = await cast_vote(
        ctx.repos,
        rule_set,
        motion.id or 0,
        live_round.round,
        ctx.person.id,
        choice,
        at,
        Platform(ctx.event.platform),
    )
    if not outcome.recorded:
        assert outcome.refusal is not None
        if outcome.refusal is CastRefusal.ALREADY_VOTED and outcome.earlier is not None:
            earlier = ctx._(
                "You already voted {choice} at {time}; each member votes once.",
                choice=f"<b>{choice_word(outcome.earlier.choice, ctx._)}</b>",
                time=clock(outcome.earlier.cast_at, ctx._),
            )
            _refuse(ctx, outcome.refusal, outcome.round, at, earlier)
        else:
            _refuse(ctx, outcome.refusal, outcome.round, at)
        return
    _spend_ballot(ctx, vote_heading(number, motion.title, ctx._), at)
    ctx.reply(recorded_message(motion, number, choice, at, outcome.receipt, ctx._))
    apply(ctx, _panel_refresh(live_round.session_id))


def _secret_allowed_here(
    ctx: HandlerContext, rule_set: RuleSet, live_round: LiveRound | LiveElectionRound
) -> bool:
    """Whether the rules let a secret ballot be used on this platform; if not, the member is
    told why and where to vote (the ballot itself was never sent here, see
    bot/transport/secrecy.py)."""
    platform = Platform(ctx.event.platform)
    terms = secret_ballot_terms(rule_set, ctx._)
    if terms.allows(platform):
        return True
    ctx.refuse(RefusalKind.NOT_ENTITLED, terms.not_allowed, detail=_round_detail(live_round))
    return False


def _spend_ballot(ctx: HandlerContext, heading: str, at: datetime) -> None:
    """The ballot loses its buttons; what was recorded follows as a message of its own, so it
    reads the same on every platform (a Matrix poll cannot change into a text)."""
    if ctx.event.choice is not None and ctx.event.choice.message is not None:
        ctx.edit(ctx.event.choice.message, spent_ballot(heading, at, ctx._))


# --- election ballots -------------------------------------------------------------------------


class ElectionContext(NamedTuple):
    election: Election
    round: LiveElectionRound
    ballot: list[Candidate]  # in ballot order
    mask: int  # the marks as a bit mask over the ballot's positions
    marks: set[int]  # the marked candidates' ids
    number: int | None


async def _election_context(ctx: HandlerContext, rest: str) -> ElectionContext | None:
    fields = rest.split(":")
    numbers = payloads.split_ints(rest, 2)
    if numbers is None or len(fields) < 3:
        return None
    try:
        mask = int(fields[2], 16)
    except ValueError:
        return None
    election_id, round_number = numbers
    election = await ctx.repos.elections.get(election_id)
    live_round = await ctx.repos.live.elections.get_round(election_id, round_number)
    if election is None or live_round is None:
        return None
    ballot = await ballot_candidates(ctx.repos, election, round_number)
    marks = marks_from_mask(ballot, mask)
    if marks is None:
        return None
    item = item_for_election(await load_agenda(ctx.repos, live_round.session_id), election_id)
    return ElectionContext(election, live_round, ballot, mask, marks, item.number if item else None)


def _show(ctx: HandlerContext, message: OutgoingMessage) -> None:
    if ctx.event.choice is not None and ctx.event.choice.message is not None:
        ctx.edit(ctx.event.choice.message, message)
    else:
        ctx.reply(message)


async def election_show(ctx: HandlerContext, rest: str) -> None:
    found = await _election_context(ctx, rest)
    if found is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    election, live_round, ballot, mask, _marks, number = found
    if not live_round.is_open:
        _refuse(ctx, CastRefusal.CLOSED, live_round, action_time(ctx))
        return
    rule_set = await rule_set_of(ctx.repos, ctx.app, live_round.session_id)
    if not _secret_allowed_here(ctx, rule_set, live_round):
        return
    letter = (
        first_letter(election)
        if live_round.stage == 1 and rule_set.elections.alphabet_start_by_lot
        else ""
    )
    _show(
        ctx,
        election_ballot(
            election,
            number,
            live_round.round,
            live_round.stage,
            ballot,
            mask,
            live_round.closes_at,
            letter,
            ctx._,
            terms=secret_ballot_terms(rule_set, ctx._),
        ),
    )


async def election_ask(ctx: HandlerContext, rest: str) -> None:
    found = await _election_context(ctx, rest)
    if found is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    election, live_round, ballot, mask, marks, number = found
    if not live_round.is_open:
        _refuse(ctx, CastRefusal.CLOSED, live_round, action_time(ctx))
        return
    rule_set = await rule_set_of(ctx.repos, ctx.app, live_round.session_id)
    if not _secret_allowed_here(ctx, rule_set, live_round):
        return
    posts = election.posts if live_round.stage == 1 else 1
    marked = [c for c in ballot if c.id in marks]
    valid = ballot_is_valid(posts, list(marks), [c.id for c in ballot if c.id is not None])
    _show(
        ctx,
        election_confirm(
            election,
            number,
            live_round.round,
            live_round.stage,
            marked,
            mask,
            valid,
            ctx._,
            ballot=ballot,
            terms=secret_ballot_terms(rule_set, ctx._),
        ),
    )


async def election_cast(ctx: HandlerContext, rest: str) -> None:
    found = await _election_context(ctx, rest)
    if found is None or ctx.person is None or ctx.person.id is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    election, live_round, ballot, _mask, marks, number = found
    at = action_time(ctx)
    rule_set = await rule_set_of(ctx.repos, ctx.app, live_round.session_id)
    if not _secret_allowed_here(ctx, rule_set, live_round):
        return
    outcome = await cast_election_ballot(
        ctx.repos, election, live_round.round, ctx.person.id, marks, at
    )
    if not outcome.recorded:
        assert outcome.refusal is not None
        _refuse(ctx, outcome.refusal, live_round, at)
        return
    marked = [c for c in ballot if c.id in marks]
    _spend_ballot(ctx, election_heading(number, election, live_round.stage, ctx._), at)
    ctx.reply(
        election_recorded(
            election,
            number,
            live_round.stage,
            marked,
            outcome.valid,
            at,
            outcome.receipt,
            ctx._,
            ballot=ballot,
        )
    )
    apply(ctx, _panel_refresh(live_round.session_id))


def register(routes: Routes) -> None:
    routes.payload(payloads.ATTENDANCE, answer_invitation)
    routes.payload(payloads.PRESENT, present_button)
    routes.payload(payloads.BALLOT, ballot_choice)
    routes.payload(payloads.BACK, ballot_back)
    routes.payload(payloads.CONFIRM, ballot_confirm)
    routes.payload(payloads.ELECTION_SHOW, election_show)
    routes.payload(payloads.ELECTION_ASK, election_ask)
    routes.payload(payloads.ELECTION_CAST, election_cast)
    routes.command(("prisoten", "prisotna", "navzoc"), _present_command)
    routes.conversation(present_typed)
    routes.conversation(reason_given)


async def _present_command(ctx: HandlerContext) -> None:
    """/prisoten works like writing "Prisoten"."""
    await _present_everywhere(ctx)
