"""What the chair does at a live session (the clerk may act for the chair): open the session,
establish presence, open and close votes and elections with a set time, repeat a vote on an
objection, hold a practice vote, close the session. Results are announced to everyone."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from bot.domain.models import SessionStatus, VoteKind
from bot.i18n import N_
from bot.live import payloads
from bot.live.agenda import AgendaItem, load_agenda
from bot.live.convening_file import parse_candidate
from bot.live.effects import Effects
from bot.live.elections import ElectionRefusal, new_nomination
from bot.live.session_actions import (
    SessionRefusal,
    close_session,
    new_presence_check,
    open_session,
)
from bot.live.vote_actions import (
    finish_election_round,
    finish_round,
    rule_set_of,
    start_election,
    start_practice,
    start_vote,
)
from bot.live.voting import OpenRefusal, any_open_round
from bot.live.wording.common import clock, when
from bot.transport.events import Choice, OutgoingMessage
from handlers.context import HandlerContext
from handlers.live.common import (
    PRESIDING_ROLES,
    ChairDuty,
    actor_of,
    apply,
    body_ids_with,
    command,
    live_sessions_of,
    may_preside,
    offer_sessions,
    parse_minutes,
    presided_session,
    refuse_not_presiding,
    session_title,
)
from handlers.routes import Routes
from storage.repositories.live.presence import CheckpointReason
from storage.repositories.live.rounds import ClosedBy

OPEN_REFUSALS = {
    OpenRefusal.SESSION_NOT_OPEN: N_("The session is not open."),
    OpenRefusal.ANOTHER_VOTE_OPEN: N_("Another vote is still open; close it first with {close}."),
    OpenRefusal.NOT_VOTABLE: N_(
        "This item has no proposed resolution, so there is nothing to vote on."
    ),
    OpenRefusal.ALREADY_VOTED: N_(
        "This item was already voted on. To vote again after an objection, use {repeat} with the "
        "item number and the reason."
    ),
    OpenRefusal.NOTHING_TO_REPEAT: N_("This item has no closed vote to repeat."),
    OpenRefusal.ROLL_CALL_NOT_REPEATED: N_("A roll-call vote is never repeated."),
    OpenRefusal.REPEAT_LIMIT: N_(
        "The same matter may be voted on at most {limit} times; the vote cannot be repeated again."
    ),
    ElectionRefusal.DECIDED: N_("Every post of this election is filled."),
    ElectionRefusal.NEEDS_NOMINATION: N_(
        "This election needs a new nomination first: {nominate} with the item number and the "
        "candidates."
    ),
}
SESSION_REFUSALS = {
    SessionRefusal.NO_SUCH_SESSION: N_("There is no such session."),
    SessionRefusal.NOT_CONVENED: N_(
        "This session is not convened, or it is already open or closed."
    ),
    SessionRefusal.TOO_EARLY: N_("The session is convened for {start}; open it on that day."),
    SessionRefusal.NOT_OPEN: N_("The session is not open."),
    SessionRefusal.VOTE_OPEN: N_("A vote is still open; close it first with {close}."),
}
DURATIONS = (1, 2, 5, 0)  # minutes; 0 = until the chair closes the vote


def _open_refusal(
    ctx: HandlerContext, refusal: OpenRefusal | ElectionRefusal, limit: int = 2
) -> None:
    ctx.reply_text(
        ctx._(
            OPEN_REFUSALS[refusal],
            close=command(ctx, "zapri_glasovanje"),
            repeat=command(ctx, "ponovi"),
            nominate=command(ctx, "kandidati"),
            limit=limit,
        )
    )


async def _session_refusal(ctx: HandlerContext, refusal: SessionRefusal, session_id: int) -> None:
    session = await ctx.repos.sessions.get(session_id)
    start = when(session.starts_at, ctx._) if session and session.starts_at else ""
    ctx.reply_text(
        ctx._(SESSION_REFUSALS[refusal], start=start, close=command(ctx, "zapri_glasovanje"))
    )


# --- opening and presence -----------------------------------------------------------------


async def open_session_command(ctx: HandlerContext) -> None:
    if not body_ids_with(ctx, PRESIDING_ROLES):
        refuse_not_presiding(ctx, ChairDuty.OPEN_SESSION)
        return
    sessions = await live_sessions_of(ctx, PRESIDING_ROLES, (SessionStatus.CONVENED,))
    wanted = ctx.event.args[0] if ctx.event.args else ""
    if wanted.isdecimal():
        sessions = [s for s in sessions if s.id == int(wanted)]
    if not sessions:
        ctx.reply_text(ctx._("There is no convened session for you to open."))
        return
    if len(sessions) > 1:
        await offer_sessions(
            ctx, sessions, payloads.OPEN_SESSION, ctx._("Which session do you open?")
        )
        return
    await _open(ctx, sessions[0].id or 0)


async def open_session_button(ctx: HandlerContext, rest: str) -> None:
    if not rest.isdecimal():
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    await _open(ctx, int(rest))


async def _open(ctx: HandlerContext, session_id: int) -> None:
    session = await ctx.repos.sessions.get(session_id)
    if session is None or not await may_preside(ctx, session):
        refuse_not_presiding(ctx, ChairDuty.OPEN_SESSION)
        return
    refusal, effects = await open_session(ctx.repos, session_id, ctx.now, actor_of(ctx))
    if refusal is not None:
        await _session_refusal(ctx, refusal, session_id)
        return
    ctx.reply_text(
        ctx._(
            "{session} is open ({time}). The members are asked to confirm their presence; you "
            "see the quorum live in the next message.",
            session=f"<b>{escape(await session_title(ctx, session))}</b>",
            time=clock(ctx.now, ctx._),
        )
    )
    apply(ctx, effects)


async def presence_command(ctx: HandlerContext) -> None:
    session = await presided_session(ctx, ChairDuty.PRESENCE)
    if session is None:
        return
    after_break = bool(ctx.event.args) and ctx.event.args[0].lower().startswith("odmor")
    reason = CheckpointReason.BREAK if after_break else CheckpointReason.REQUEST
    refusal, effects = await new_presence_check(ctx.repos, session.id or 0, reason, ctx.now)
    if refusal is not None:
        await _session_refusal(ctx, refusal, session.id or 0)
        return
    ctx.reply_text(ctx._("Presence is being established again; the members are asked to confirm."))
    apply(ctx, effects)


# --- votes ------------------------------------------------------------------------------------


def _item_label(item: AgendaItem) -> str:
    return f"{item.number}. {item.title}"[:60]


async def vote_command(ctx: HandlerContext) -> None:
    """/glasovanje [item] [minutes]: without arguments, the items to choose from."""
    session = await presided_session(ctx, ChairDuty.OPEN_VOTE)
    if session is None:
        return
    agenda = await load_agenda(ctx.repos, session.id or 0)
    args = ctx.event.args
    if not args:
        votable = [item for item in agenda if item.votable]
        if not votable:
            ctx.reply_text(ctx._("No item of this session's agenda is voted on."))
            return
        rows = tuple(
            (Choice(_item_label(item), f"{payloads.VOTE_ITEM}:{session.id}:{item.number}"),)
            for item in votable[:19]
        )
        question = ctx._("Which item is voted on?")
        ctx.reply(OutgoingMessage(html=question, choices=rows, poll_question=question))
        return
    item = next((i for i in agenda if args[0].isdecimal() and i.number == int(args[0])), None)
    if item is None:
        ctx.reply_text(ctx._("The agenda has no item {number}.", number=escape(args[0])))
        return
    if len(args) < 2:
        _ask_duration(ctx, session.id or 0, item)
        return
    duration = parse_minutes(args[1])
    if isinstance(duration, str):
        ctx.reply_text(
            ctx._(
                "Write the length of the vote in minutes, for example {example}.",
                example=f"{command(ctx, 'glasovanje')} {item.number} 2",
            )
        )
        return
    await _start(ctx, session.id or 0, item, duration)


def _ask_duration(ctx: HandlerContext, session_id: int, item: AgendaItem) -> None:
    _ = ctx._
    buttons = tuple(
        Choice(
            _("{minutes} min", minutes=minutes) if minutes else _("Until I close it"),
            f"{payloads.VOTE_TIME}:{session_id}:{item.number}:{minutes}",
        )
        for minutes in DURATIONS
    )
    question = _("How long is the vote on item {number} open?", number=item.number)
    ctx.reply(OutgoingMessage(html=question, choices=(buttons,), poll_question=question))


async def vote_item_button(ctx: HandlerContext, rest: str) -> None:
    numbers = payloads.split_ints(rest, 2)
    if numbers is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    session = await ctx.repos.sessions.get(numbers[0])
    if session is None or not await may_preside(ctx, session):
        refuse_not_presiding(ctx, ChairDuty.OPEN_VOTE)
        return
    item = next(
        (i for i in await load_agenda(ctx.repos, numbers[0]) if i.number == numbers[1]), None
    )
    if item is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    _ask_duration(ctx, numbers[0], item)


async def vote_time_button(ctx: HandlerContext, rest: str) -> None:
    numbers = payloads.split_ints(rest, 3)
    if numbers is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    session_id, number, minutes = numbers
    session = await ctx.repos.sessions.get(session_id)
    if session is None or not await may_preside(ctx, session):
        refuse_not_presiding(ctx, ChairDuty.OPEN_VOTE)
        return
    item = next((i for i in await load_agenda(ctx.repos, session_id) if i.number == number), None)
    if item is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    await _start(ctx, session_id, item, timedelta(minutes=minutes) if minutes else None)


async def _start(
    ctx: HandlerContext,
    session_id: int,
    item: AgendaItem,
    duration: timedelta | None,
    repeat_reason: str | None = None,
) -> None:
    _ = ctx._
    rule_set = await rule_set_of(ctx.repos, ctx.app, session_id)
    if item.election is not None:
        election_outcome, effects = await start_election(
            ctx.repos, ctx.app, session_id, item.election, ctx.now, duration, actor_of(ctx)
        )
        if election_outcome.refusal is not None:
            _open_refusal(ctx, election_outcome.refusal)
            return
        round_closes = election_outcome.round.closes_at if election_outcome.round else None
        new_check = election_outcome.new_checkpoint
    else:
        assert item.motion is not None
        outcome, effects = await start_vote(
            ctx.repos,
            ctx.app,
            session_id,
            item.motion,
            ctx.now,
            duration,
            repeat_reason,
            actor_of(ctx),
        )
        if outcome.refusal is not None:
            _open_refusal(ctx, outcome.refusal, rule_set.live.max_votes_on_same_matter)
            return
        round_closes = outcome.round.closes_at if outcome.round else None
        new_check = outcome.new_checkpoint
    until = (
        _("until {time}", time=clock(round_closes, _)) if round_closes else _("until you close it")
    )
    lines = [
        _(
            'The vote on item {number} "{title}" is open {until}.',
            number=item.number,
            title=escape(item.title),
            until=until,
        )
    ]
    if new_check:
        lines.append(_("Presence is established again for this vote: members confirm, then vote."))
    lines.append(_("Close it with {close}.", close=command(ctx, "zapri_glasovanje")))
    ctx.reply_text("\n".join(lines))
    apply(ctx, effects)


async def close_vote_command(ctx: HandlerContext) -> None:
    """Closes the open vote: of the open session, or a practice vote before the session opens."""
    sessions = await live_sessions_of(
        ctx, PRESIDING_ROLES, (SessionStatus.OPEN, SessionStatus.CONVENED)
    )
    session = None
    for candidate in sessions:
        if await any_open_round(ctx.repos, candidate.id or 0):
            session = candidate
            break
    if session is None:
        if not body_ids_with(ctx, PRESIDING_ROLES):
            refuse_not_presiding(ctx, ChairDuty.CLOSE_VOTE)
        else:
            ctx.reply_text(ctx._("No vote is open."))
        return
    effects = Effects()
    closed = 0
    for live_round in await ctx.repos.live.rounds.open_rounds(session.id):
        effects.merge(
            await finish_round(
                ctx.repos, ctx.app, live_round, ctx.now, ClosedBy.CHAIR, actor_of(ctx)
            )
        )
        closed += 1
    for election_round in await ctx.repos.live.elections.open_rounds(session.id):
        effects.merge(
            await finish_election_round(
                ctx.repos, ctx.app, election_round, ctx.now, ClosedBy.CHAIR, actor_of(ctx)
            )
        )
        closed += 1
    if not closed:
        ctx.reply_text(ctx._("No vote is open."))
        return
    ctx.reply_text(ctx._("The vote is closed; the result goes to everyone."))
    apply(ctx, effects)


async def repeat_command(ctx: HandlerContext) -> None:
    """/ponovi <item> <reason>: a repeated vote on an objection (art. 44)."""
    session = await presided_session(ctx, ChairDuty.REPEAT_VOTE)
    if session is None:
        return
    args = ctx.event.args
    example = f"{command(ctx, 'ponovi')} 3 " + ctx._("the count was disputed")
    if len(args) < 2 or not args[0].isdecimal():
        ctx.reply_text(
            ctx._(
                "Write the item number and the objection, for example: {example}",
                example=escape(example),
            )
        )
        return
    item = next(
        (i for i in await load_agenda(ctx.repos, session.id or 0) if i.number == int(args[0])), None
    )
    if item is None or item.motion is None:
        ctx.reply_text(
            ctx._("The agenda has no item {number} with a vote to repeat.", number=escape(args[0]))
        )
        return
    reason = " ".join(args[1:])
    duration: timedelta | None = None
    if args[-1].isdecimal() and len(args) > 2:
        parsed = parse_minutes(args[-1])
        duration = parsed if isinstance(parsed, timedelta) else None
        reason = " ".join(args[1:-1])
    await _start(ctx, session.id or 0, item, duration, repeat_reason=reason)


async def practice_command(ctx: HandlerContext) -> None:
    """/poskusno [tajno] [minutes]: a practice vote for the whole roll, never counted."""
    if not body_ids_with(ctx, PRESIDING_ROLES):
        refuse_not_presiding(ctx, ChairDuty.PRACTICE_VOTE)
        return
    sessions = await live_sessions_of(
        ctx, PRESIDING_ROLES, (SessionStatus.OPEN, SessionStatus.CONVENED)
    )
    if not sessions:
        ctx.reply_text(ctx._("A practice vote needs a convened or open session; there is none."))
        return
    session = sessions[0]
    args = [a.lower() for a in ctx.event.args]
    kind = (
        VoteKind.SECRET
        if any(a.startswith("tajn") or a == "secret" for a in args)
        else VoteKind.PUBLIC
    )
    minutes = next((a for a in args if a.isdecimal()), "2")
    parsed = parse_minutes(minutes)
    duration = parsed if isinstance(parsed, timedelta) else None
    if await any_open_round(ctx.repos, session.id or 0):
        ctx.reply_text(
            ctx._(
                "Another vote is still open; close it first with {close}.",
                close=command(ctx, "zapri_glasovanje"),
            )
        )
        return
    live_round, effects = await start_practice(
        ctx.repos, ctx.app, session.id or 0, kind, ctx.now, duration, ctx._, actor_of(ctx)
    )
    until = (
        ctx._("until {time}", time=clock(live_round.closes_at, ctx._))
        if live_round.closes_at
        else ctx._("until you close it")
    )
    ctx.reply_text(
        ctx._(
            "A practice vote went to every member; it is open {until} and never counts.",
            until=until,
        )
    )
    apply(ctx, effects)


async def nominate_command(ctx: HandlerContext) -> None:
    """/kandidati <item> Surname, Name; Surname, Name: a new nomination (art. 90(3))."""
    session = await presided_session(ctx, ChairDuty.NOMINATION)
    if session is None:
        return
    args = ctx.event.args
    text = " ".join(args[1:])
    candidates = [
        c for c in (parse_candidate(part) for part in text.replace("\n", ";").split(";")) if c
    ]
    example = f"{command(ctx, 'kandidati')} 5 Novak, Ana; Kos, Peter"
    if not args or not args[0].isdecimal() or not candidates:
        ctx.reply_text(
            ctx._(
                "Write the item number and the candidates, for example: {example}",
                example=escape(example),
            )
        )
        return
    item = next(
        (i for i in await load_agenda(ctx.repos, session.id or 0) if i.number == int(args[0])), None
    )
    if item is None or item.election is None:
        ctx.reply_text(
            ctx._("The agenda has no election as item {number}.", number=escape(args[0]))
        )
        return
    rule_set = await rule_set_of(ctx.repos, ctx.app, session.id or 0)
    created = await new_nomination(ctx.repos, rule_set, item.election, candidates)
    if created is ElectionRefusal.DECIDED:
        ctx.reply_text(ctx._("Every post of this election is filled."))
        return
    if created is None or isinstance(created, ElectionRefusal):
        ctx.reply_text(
            ctx._("This election has not ended undecided, so there is no new nomination yet.")
        )
        return
    agenda = await load_agenda(ctx.repos, session.id or 0)
    number = next((i.number for i in agenda if i.election and i.election.id == created.id), None)
    ctx.reply_text(
        ctx._(
            "New nomination recorded as item {number} with {count} candidates. Open the vote with {command}.",
            number=number,
            count=len(created.candidates),
            command=f"{command(ctx, 'volitve')} {number}",
        )
    )


async def close_session_command(ctx: HandlerContext) -> None:
    session = await presided_session(ctx, ChairDuty.CLOSE_SESSION)
    if session is None:
        return
    refusal, effects = await close_session(ctx.repos, session.id or 0, ctx.now, actor_of(ctx))
    if refusal is not None:
        await _session_refusal(ctx, refusal, session.id or 0)
        return
    ctx.reply_text(ctx._("The session is closed. The draft minutes follow as DOCX and PDF."))
    apply(ctx, effects)


def register(routes: Routes) -> None:
    routes.command(("odpri_sejo",), open_session_command)
    routes.command(("navzocnost",), presence_command)
    routes.command(("glasovanje", "volitve"), vote_command)
    routes.command(("zapri_glasovanje",), close_vote_command)
    routes.command(("ponovi",), repeat_command)
    routes.command(("poskusno",), practice_command)
    routes.command(("kandidati",), nominate_command)
    routes.command(("zakljuci_sejo",), close_session_command)
    routes.payload(payloads.OPEN_SESSION, open_session_button)
    routes.payload(payloads.VOTE_ITEM, vote_item_button)
    routes.payload(payloads.VOTE_TIME, vote_time_button)
