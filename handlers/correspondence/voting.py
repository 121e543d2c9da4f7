"""Members in a correspondence session: confirm receipt, vote with a confirmation step, /seje.

Buttons (payloads in ``bot.correspondence.payloads``):
``cs:c`` confirms receipt; ``cs:v`` asks "are you sure?" with ``cs:s`` (record) and ``cs:x``
(cancel). Every press is checked again in ``bot.correspondence.voting``; a refused
press gets the reason. The member is told exactly what was recorded, when and from where.
Clerks get their live tally edited after every change (a busy session's at most every two
seconds, bot/coalesce.py), and a notice when the quorum is reached.
"""

from __future__ import annotations

from html import escape

from bot.correspondence.invitations import (
    invitation_message,
    recorded_line,
    reshow,
    rules_of,
    vote_message,
)
from bot.correspondence.payloads import (
    PREFIX,
    Action,
    Payload,
    cancel_payload,
    parse_payload,
    sure_payload,
)
from bot.correspondence.tally import (
    SessionTally,
    clerk_ids,
    load_tally,
    message_ref,
    refresh_tallies,
    tally_html,
)
from bot.correspondence.voting import (
    Ballot,
    Refusal,
    RulesOf,
    ballot,
    cast_vote,
    confirm_delivery,
    decisive_time,
    quorum_just_reached,
)
from bot.correspondence.wording import (
    choice_label,
    motion_heading,
    platform_label,
    quoted,
    when,
)
from bot.domain.models import Body, Motion, Platform, Role, SessionStatus, VoteChoice
from bot.domain.rules import CorrespondenceRules
from bot.i18n import Translator
from bot.transport.events import Choice, OutgoingMessage
from bot.transport.security_log import RefusalKind
from handlers.context import HandlerContext
from handlers.routes import Routes
from storage.repositories.correspondence.messages import MessagePurpose

SESSIONS_COMMANDS = ("seje",)


def _rules_of(ctx: HandlerContext) -> RulesOf:
    def rules(body: Body) -> CorrespondenceRules:
        return rules_of(ctx.app, body)

    return rules


async def on_choice(ctx: HandlerContext, rest: str) -> None:
    payload = parse_payload(rest)
    if payload is None or ctx.person is None or ctx.person.id is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    if payload.action is Action.CONFIRM:
        await _confirm(ctx, payload)
    elif payload.action is Action.VOTE:
        await _ask_sure(ctx, payload)
    elif payload.action is Action.SURE:
        await _record_vote(ctx, payload)
    else:
        await _cancel(ctx, payload)


def _detail(payload: Payload) -> str:
    """What a refusal's log line may say: the action and its target, never the choice."""
    return f"action={payload.action.value} target={payload.target}"


def _refuse(ctx: HandlerContext, refusal: Refusal, payload: Payload) -> None:
    ctx.refuse(
        refusal.kind, refusal.text(ctx._), detail=f"{_detail(payload)} reason={refusal.code}"
    )


def _platform(ctx: HandlerContext) -> Platform:
    return Platform(ctx.event.platform)


async def _confirm(ctx: HandlerContext, payload: Payload) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    result = await confirm_delivery(
        ctx.repos, _rules_of(ctx), payload.target, ctx.person.id,
        decisive_time(ctx.event, ctx.now), _platform(ctx),
    )  # fmt: skip
    if isinstance(result, Refusal):
        _refuse(ctx, result, payload)
        return
    confirmation = result.confirmation
    session = await ctx.repos.sessions.get(payload.target)
    assert session is not None
    said = {
        "time": when(confirmation.confirmed_at, _),
        "platform": platform_label(confirmation.platform, _),
    }
    if not result.first:
        ctx.reply_text(_("You had already confirmed receipt on {time} ({platform}).", **said))
        return
    body = await ctx.repos.bodies.get(session.body_id)
    assert body is not None and session.id is not None
    rules = rules_of(ctx.app, body)
    invitation = invitation_message(
        session, body, await ctx.repos.motions.list_for_session(session.id),
        await ctx.repos.materials.list_for_session(session.id), rules, _,
        confirmation=confirmation,
    )  # fmt: skip
    for stored in await ctx.repos.correspondence.messages.list(
        session.id, MessagePurpose.INVITATION, person_id=ctx.person.id
    ):
        ctx.edit(message_ref(stored), invitation)
    ctx.reply_text(
        _("Thank you. Your receipt of the invitation to {title} is recorded: {time} ({platform}).",
          title=quoted(session.title), **said)
    )  # fmt: skip
    await _after_change(ctx, session.id, rules)


async def _ask_sure(ctx: HandlerContext, payload: Payload) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None and payload.choice is not None
    found = await ballot(ctx.repos, _rules_of(ctx), payload.target, ctx.person.id,
                         decisive_time(ctx.event, ctx.now), payload.choice)  # fmt: skip
    if isinstance(found, Refusal):
        _refuse(ctx, found, payload)
        return
    if found.earlier is not None:
        ctx.refuse(RefusalKind.DOUBLE_VOTE, _already_voted(found, _), detail=_detail(payload))
        return
    motion = found.motion
    assert motion.id is not None
    label = choice_label(payload.choice, _)
    ctx.reply(
        OutgoingMessage(
            html=_sure_question(motion, payload.choice, _),
            choices=((Choice(_("Yes, I vote {choice}", choice=label),
                             sure_payload(motion.id, payload.choice)),
                      Choice(_("Cancel"), cancel_payload(motion.id, payload.choice))),),
            poll_question=_("Do you confirm your vote {choice}?", choice=label),
        )
    )  # fmt: skip


def _sure_question(motion: Motion, choice: VoteChoice, _: Translator) -> str:
    return _("Do you vote <b>{choice}</b> on {heading} {title}? A vote cannot be changed "
             "afterwards.", choice=choice_label(choice, _),
             heading=escape(motion_heading(motion, _)), title=quoted(motion.title))  # fmt: skip


async def _spend_question(
    ctx: HandlerContext, payload: Payload, motion: Motion | None = None
) -> None:
    """The answered "are you sure?" keeps its question and loses its buttons (Matrix: the
    poll ends); what happened is said in a reply of its own."""
    choice = ctx.event.choice
    motion = motion or await ctx.repos.motions.get(payload.target)
    if choice is None or choice.message is None or motion is None or payload.choice is None:
        return
    ctx.edit(choice.message, OutgoingMessage(html=_sure_question(motion, payload.choice, ctx._)))


def _already_voted(found: Ballot, _: Translator) -> str:
    assert found.earlier is not None
    return _(
        "You have already voted on {heading} {title}. {recorded} A vote cannot be changed.",
        heading=escape(motion_heading(found.motion, _)),
        title=quoted(found.motion.title),
        recorded=recorded_line(found.earlier, _),
    )


async def _record_vote(ctx: HandlerContext, payload: Payload) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None and payload.choice is not None
    action_time = decisive_time(ctx.event, ctx.now)
    found = await ballot(ctx.repos, _rules_of(ctx), payload.target, ctx.person.id,
                         action_time, payload.choice)  # fmt: skip
    await _spend_question(ctx, payload, None if isinstance(found, Refusal) else found.motion)
    if isinstance(found, Refusal):
        _refuse(ctx, found, payload)
        return
    if found.earlier is not None:
        ctx.refuse(RefusalKind.DOUBLE_VOTE, _already_voted(found, _), detail=_detail(payload))
        return
    cast = await cast_vote(ctx.repos, found, ctx.person.id, payload.choice, action_time,
                           _platform(ctx))  # fmt: skip
    motion = found.motion
    session = found.session
    assert session.id is not None
    if not cast.first:  # another chat of the same member won the race
        ctx.refuse(RefusalKind.DOUBLE_VOTE, _already_voted(Ballot(found.member_session, motion, found.vote_round,
                                             cast.vote), _), detail=_detail(payload))  # fmt: skip
        return
    recorded = _("Recorded: you voted <b>{choice}</b> on {heading} {title}, on {time} ({platform}).",
                 choice=choice_label(cast.vote.choice, _),
                 heading=escape(motion_heading(motion, _)), title=quoted(motion.title),
                 time=when(cast.vote.cast_at, _),
                 platform=platform_label(cast.vote.platform, _))  # fmt: skip
    rules = found.member_session.rules
    updated = vote_message(session, motion, rules, _, recorded=cast.vote)
    for stored in await ctx.repos.correspondence.messages.list(
        session.id, MessagePurpose.VOTE, person_id=ctx.person.id, motion_id=motion.id
    ):
        ctx.edit(message_ref(stored), updated)
    ctx.reply_text(recorded)
    await _after_change(ctx, session.id, rules)


async def _cancel(ctx: HandlerContext, payload: Payload) -> None:
    _ = ctx._
    await _spend_question(ctx, payload)
    ctx.reply_text(_("Cancelled: no vote was cast. You can vote with the buttons under the "
                     "proposed resolution."))  # fmt: skip


async def _after_change(ctx: HandlerContext, session_id: int, rules: CorrespondenceRules) -> None:
    """After commit: the clerks' tallies, and the quorum notice the first time it is reached."""
    reached = await quorum_just_reached(ctx.repos, session_id, rules, ctx.now)
    app = ctx.app

    async def refresh() -> None:
        await refresh_tallies(app, session_id, rules)

    ctx.after_commit.append(refresh)
    if reached is not None:

        async def announce() -> None:
            await _announce_quorum(ctx, reached)

        ctx.after_commit.append(announce)


async def _announce_quorum(ctx: HandlerContext, tally: SessionTally) -> None:
    app = ctx.app
    for clerk_id in await clerk_ids(app.db.read, tally.session.body_id):
        clerk = await app.db.read.persons.get(clerk_id)
        if clerk is None:
            continue
        _ = Translator(clerk.language)
        text = _("Correspondence session {title}: the quorum is reached. Delivery confirmed by "
                 "{confirmed} of {members} members (needed: {needed}).",
                 title=quoted(tally.session.title), confirmed=tally.confirmed,
                 members=tally.member_count, needed=tally.quorum_needed)  # fmt: skip
        await app.messenger.send_to_person(clerk_id, OutgoingMessage(html=text))


async def show_sessions(ctx: HandlerContext) -> None:
    """``/seje``: a member's open sessions shown again; a clerk's running sessions' tallies."""
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    person_id = ctx.person.id
    repos = ctx.repos
    open_ids = []
    for session_id in await repos.correspondence.progress.running():
        session = await repos.sessions.get(session_id)
        if session is None or session.status is not SessionStatus.OPEN:
            continue
        invited = await repos.correspondence.progress.invitation(session_id, person_id)
        membership = await repos.memberships.get(person_id, session.body_id)
        if invited and membership is not None and membership.active and membership.role.votes:
            open_ids.append(session_id)
    clerk_lines = await _clerk_overview(ctx)
    if clerk_lines:
        ctx.reply_text("\n\n".join(clerk_lines))
    if not open_ids:
        if not clerk_lines:
            ctx.reply_text(_("You have no open correspondence sessions."))
        return
    ctx.reply_text(_("Your open correspondence sessions are shown below."))
    app = ctx.app

    async def show() -> None:
        for session_id in open_ids:
            await reshow(app, session_id, person_id)

    ctx.after_commit.append(show)


async def _clerk_overview(ctx: HandlerContext) -> list[str]:
    clerk_bodies = {m.body_id for m in ctx.memberships if m.role is Role.CLERK}
    if not clerk_bodies:
        return []
    blocks = []
    for session_id in await ctx.repos.correspondence.progress.running():
        session = await ctx.repos.sessions.get(session_id)
        if session is None or session.body_id not in clerk_bodies:
            continue
        body = await ctx.repos.bodies.get(session.body_id)
        assert body is not None
        tally = await load_tally(ctx.repos, session_id, rules_of(ctx.app, body))
        blocks.append(tally_html(tally, ctx._, ctx.now, closed=False))
    return blocks


async def help_lines(ctx: HandlerContext) -> list[str]:
    """/pomoc: the correspondence commands this person may use now."""
    _ = ctx._
    prefix = "!" if ctx.event.platform == Platform.MATRIX else "/"
    roles = ctx.roles
    lines = []
    if any(role.votes for role in roles):
        lines.append(_("• Confirm receipt and vote with the buttons under an invitation to a "
                       "correspondence session; {prefix}seje shows your open sessions again.",
                       prefix=prefix))  # fmt: skip
    if Role.CLERK in roles:
        lines.append(_("• {prefix}nova_dopisna — prepare and send a correspondence session "
                       "({prefix}preklici_dopisno cancels the draft).", prefix=prefix))  # fmt: skip
        lines.append(_("• {prefix}seje — the live tally of your bodies' running correspondence "
                       "sessions.", prefix=prefix))  # fmt: skip
    return lines


def register(routes: Routes) -> None:
    routes.payload(PREFIX, on_choice)
    routes.command(SESSIONS_COMMANDS, show_sessions)
    routes.help_lines(help_lines)
