"""The clerk convenes a live session in the chat (/sklic), step by step or by sending a filled
convening file (.toml), then sends materials, reviews and sends the invitations.

Each answer is stored at once in the draft, so a mistake costs one message and a restart costs
nothing. Before sending, the draft is checked like a file: the notice period of the rule set
(art. 18, 20) is enforced and the message says why a date is refused.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import Any

from bot.domain.models import (
    Motion,
    MotionCategory,
    Role,
    SessionKind,
    SessionMode,
    SessionStatus,
    VoteKind,
)
from bot.domain.rules import RuleSet
from bot.live import payloads
from bot.live.agenda import load_agenda
from bot.live.convening import (
    MAX_CANDIDATES,
    ElectionSpec,
    add_election,
    body_matches,
    check_agenda,
    notice_problem,
)
from bot.live.convening_file import parse_candidate, parse_convening
from bot.live.drafts import (
    create_draft,
    draft_from_file,
    draft_problems,
    send_draft,
    set_urgency,
)
from bot.live.outbox import send_invitations
from bot.live.wording.common import majority_words, vote_kind_word
from bot.live.wording.invitations import agenda_lines, session_facts
from bot.timeutil import TimeInputError, parse_local_datetime
from bot.transport.events import Choice, OutgoingMessage
from bot.transport.security_log import RefusalKind, input_kind
from handlers.context import HandlerContext
from handlers.live.common import command
from handlers.routes import Routes
from storage.repositories.live.drafts import LiveDraft

MAX_TEXT = 2000
MAX_MATERIAL_BYTES = 20 * 1024 * 1024
TOML_LIMIT = 256 * 1024

# Steps that wait for typed text (the others wait for a button).
TEXT_STEPS = (
    "title",
    "start",
    "hall",
    "link",
    "item_title",
    "item_resolution",
    "election_title",
    "election_posts",
    "election_candidates",
    "urgency_reason",
)


def _buttons(*rows: tuple[tuple[str, str], ...]) -> tuple[tuple[Choice, ...], ...]:
    return tuple(
        tuple(Choice(label, f"{payloads.DRAFT}:{value}") for label, value in row) for row in rows
    )


def _ask(ctx: HandlerContext, text: str, *rows: tuple[tuple[str, str], ...]) -> None:
    first_line = text.split("\n", 1)[0]
    ctx.reply(OutgoingMessage(html=text, choices=_buttons(*rows), poll_question=first_line))


def _clerk_bodies(ctx: HandlerContext) -> list[int]:
    return sorted({m.body_id for m in ctx.memberships if m.role is Role.CLERK})


async def _rule_set(ctx: HandlerContext, body_id: int) -> RuleSet:
    body = await ctx.repos.bodies.get(body_id)
    return ctx.app.rule_set(body.rule_set if body else ctx.app.settings.default_rule_set)


async def _save(ctx: HandlerContext, draft: LiveDraft, **changes: Any) -> LiveDraft:
    """Stores the draft's next step (and pending values) at once: a restart loses nothing."""
    return await ctx.repos.live.drafts.save(replace(draft, **changes))


async def prompt(ctx: HandlerContext, draft: LiveDraft) -> None:
    """Asks the question of the draft's current step."""
    _ = ctx._
    cancel = ((_("Cancel the draft"), "cancel:0"),)
    step = draft.step
    if step == "kind":
        _ask(
            ctx,
            _("New session. What kind of session is it?")
            + "\n"
            + _("You may also send a filled convening file (.toml) instead of answering."),
            ((_("Regular"), "kind:regular"), (_("Extraordinary"), "kind:extraordinary")),
            cancel,
        )
    elif step == "mode":
        _ask(
            ctx,
            _("How is the session held?"),
            ((_("Remotely"), "mode:remote"), (_("Hybrid (hall and video call)"), "mode:hybrid")),
            cancel,
        )
    elif step == "title":
        ctx.reply_text(_('Write the title of the session, for example "12. redna seja".'))
    elif step == "start":
        ctx.reply_text(
            _('Write the date and hour the session starts, for example "10. 12. 2026 ob 17.00".')
        )
    elif step == "hall":
        ctx.reply_text(
            _('Write the hall where the session is held, for example "Sejna soba Občine".')
        )
    elif step == "link":
        ctx.reply_text(_("Write the link of the video call (Zoom, Teams or Webex)."))
    elif step == "item_title":
        count = len(await load_agenda(ctx.repos, draft.session_id))
        text = _("Agenda item {number}: write its title.", number=count + 1)
        rows: list[tuple[tuple[str, str], ...]] = [
            ((_("Add an election instead"), "add:election"),)
        ]
        if count:
            rows.append(((_("The agenda is complete"), "done:agenda"),))
        _ask(ctx, text, *rows, cancel)
    elif step == "item_resolution":
        ctx.reply_text(
            _('Write the proposed resolution of this item, or "-" if the item is not voted on.')
        )
    elif step == "item_majority":
        session = await ctx.repos.sessions.get(draft.session_id)
        rule_set = await _rule_set(ctx, session.body_id if session else 0)
        names = sorted(rule_set.majorities)
        rows = [
            ((majority_words(rule_set, name, _)[:60], f"maj:{index}"),)
            for index, name in enumerate(names)
        ]
        _ask(ctx, _("Which majority does the resolution need?"), *rows)
    elif step == "item_vote":
        _ask(
            ctx,
            _("How is it voted on?"),
            tuple(
                (vote_kind_word(kind, _).capitalize(), f"vote:{kind.value}") for kind in VoteKind
            ),
        )
    elif step == "election_title":
        ctx.reply_text(
            _(
                'Write the title of the election, for example "Volitve predsednika nadzornega odbora".'
            )
        )
    elif step == "election_posts":
        _ask(
            ctx,
            _("How many posts are filled? Press a number or write it."),
            tuple((str(n), f"posts:{n}") for n in (1, 2, 3, 5)),
        )
    elif step == "election_candidates":
        ctx.reply_text(
            _(
                "Write the candidates separated by semicolons, surname first, for example "
                '"Novak, Ana; Kos, Peter" (at most {limit}).',
                limit=MAX_CANDIDATES,
            )
        )
    elif step == "materials":
        _ask(
            ctx,
            _(
                'Send the materials as files now (PDF, Word ...). When all are sent, press "Review".'
            ),
            ((_("Review"), "review:0"),),
            cancel,
        )
    elif step == "urgency_reason":
        ctx.reply_text(
            _(
                "Write why the session is urgent; the reason goes into the invitation and the minutes."
            )
        )
    else:
        await review(ctx, draft)


def _refuse_not_clerk(ctx: HandlerContext) -> None:
    """Convening by someone who is the clerk of no body (the secretariat of an association):
    told who convenes, and logged."""
    ctx.refuse(
        RefusalKind.NOT_PRESIDING,
        ctx._("Only the clerk of a council convenes its sessions."),
        detail=input_kind(ctx.event),
    )


async def start_convening(ctx: HandlerContext) -> None:
    """/sklic: a new draft, or the current one resumed."""
    if ctx.person is None or ctx.person.id is None:
        return
    bodies = _clerk_bodies(ctx)
    if not bodies:
        _refuse_not_clerk(ctx)
        return
    draft = await ctx.repos.live.drafts.get(ctx.person.id)
    if draft is not None:
        ctx.reply_text(ctx._("You have a session in preparation; let us continue."))
        await prompt(ctx, draft)
        return
    if len(bodies) > 1:
        rows = []
        for body_id in bodies:
            body = await ctx.repos.bodies.get(body_id)
            rows.append(((body.name[:60] if body else str(body_id), f"body:{body_id}"),))
        _ask(ctx, ctx._("For which body do you convene a session?"), *rows)
        return
    draft = await create_draft(ctx.repos, bodies[0], ctx.person.id, ctx.now, "kind")
    await prompt(ctx, draft)


async def draft_button(ctx: HandlerContext, rest: str) -> None:
    if ctx.person is None or ctx.person.id is None:
        return
    action, _sep, value = rest.partition(":")
    _ = ctx._
    if not _clerk_bodies(ctx):  # a clerk no longer: the seat went after the buttons came
        _refuse_not_clerk(ctx)
        return
    if action == "body":
        if not value.isdecimal() or int(value) not in _clerk_bodies(ctx):
            ctx.reply_text(_("This button is no longer valid."))
            return
        if await ctx.repos.live.drafts.get(ctx.person.id) is None:
            created = await create_draft(ctx.repos, int(value), ctx.person.id, ctx.now, "kind")
            await prompt(ctx, created)
        return
    draft = await ctx.repos.live.drafts.get(ctx.person.id)
    if draft is None:
        ctx.reply_text(
            _(
                "There is no session in preparation; start one with {command}.",
                command=command(ctx, "sklic"),
            )
        )
        return
    session = await ctx.repos.sessions.get(draft.session_id)
    if session is None:
        return
    if action == "cancel":
        await ctx.repos.live.drafts.delete(ctx.person.id)
        ctx.reply_text(_("The draft is cancelled; no invitation was sent."))
        return
    if action == "kind" and value in ("regular", "extraordinary"):
        await ctx.repos.sessions.update(_replace(session, kind=SessionKind(value)))
        await prompt(ctx, await _save(ctx, draft, step="mode"))
    elif action == "mode" and value in ("remote", "hybrid"):
        await ctx.repos.sessions.update(_replace(session, mode=SessionMode(value)))
        await prompt(ctx, await _save(ctx, draft, step="title"))
    elif action == "add" and value == "election":
        await prompt(ctx, await _save(ctx, draft, step="election_title"))
    elif action == "add" and value == "item":
        await prompt(ctx, await _save(ctx, draft, step="item_title"))
    elif action == "done":
        await prompt(ctx, await _save(ctx, draft, step="materials"))
    elif action == "maj" and draft.motion_id is not None and value.isdecimal():
        rule_set = await _rule_set(ctx, session.body_id)
        names = sorted(rule_set.majorities)
        if int(value) >= len(names):
            ctx.reply_text(_("This button is no longer valid."))
            return
        await _update_motion(ctx, draft.motion_id, majority=names[int(value)])
        await prompt(ctx, await _save(ctx, draft, step="item_vote"))
    elif action == "vote" and draft.motion_id is not None and value in {k.value for k in VoteKind}:
        await _update_motion(ctx, draft.motion_id, vote_kind=VoteKind(value))
        await prompt(ctx, await _save(ctx, draft, step="item_title", motion_id=None))
    elif action == "posts" and value.isdecimal():
        await prompt(
            ctx,
            await _save(ctx, draft, step="election_candidates", pending_posts=max(int(value), 1)),
        )
    elif action == "review":
        await review(ctx, await _save(ctx, draft, step="review"))
    elif action == "urgent":
        await prompt(ctx, await _save(ctx, draft, step="urgency_reason"))
    elif action == "send":
        await _send(ctx, draft)
    else:
        ctx.reply_text(_("This button is no longer valid."))


def _replace(record: Any, **changes: Any) -> Any:
    return replace(record, **changes)


async def _update_motion(ctx: HandlerContext, motion_id: int, **changes: object) -> None:
    motion = await ctx.repos.motions.get(motion_id)
    if motion is not None:
        await ctx.repos.live.rounds.update_motion(_replace(motion, **changes))


async def draft_text(ctx: HandlerContext) -> bool:
    """A typed answer (or a file) for the clerk's draft in progress."""
    if ctx.person is None or ctx.person.id is None or Role.CLERK not in ctx.roles:
        return False
    event = ctx.event
    if event.file is not None and event.file.filename.lower().endswith(".toml"):
        await convening_file(ctx)
        return True
    draft = await ctx.repos.live.drafts.get(ctx.person.id)
    if draft is None:
        return False
    if event.file is not None:
        if draft.step != "materials":
            return False
        await _material(ctx, draft)
        return True
    if draft.step not in TEXT_STEPS or not event.text:
        return False
    await _text_answer(ctx, draft, event.text.strip()[:MAX_TEXT])
    return True


async def _text_answer(ctx: HandlerContext, draft: LiveDraft, text: str) -> None:
    _ = ctx._
    session = await ctx.repos.sessions.get(draft.session_id)
    if session is None:
        return
    step = draft.step
    if step == "title":
        await ctx.repos.sessions.update(_replace(session, title=text))
        await prompt(ctx, await _save(ctx, draft, step="start"))
    elif step == "start":
        try:
            starts_at = parse_local_datetime(text, ctx.now)
        except TimeInputError as error:
            ctx.reply_text(escape(error.translate(_)))
            return
        rule_set = await _rule_set(ctx, session.body_id)
        problem = notice_problem(rule_set, session.kind, starts_at, ctx.now, urgent=False)
        if problem is not None and (starts_at <= ctx.now or session.kind is SessionKind.REGULAR):
            ctx.reply_text(escape(problem.render(_)))
            return
        if problem is not None:
            ctx.reply_text(escape(problem.render(_)))
        await ctx.repos.sessions.update(_replace(session, starts_at=starts_at))
        next_step = "hall" if session.mode is SessionMode.HYBRID else "link"
        await prompt(ctx, await _save(ctx, draft, step=next_step))
    elif step == "hall":
        await ctx.repos.sessions.update(_replace(session, location=text))
        await prompt(ctx, await _save(ctx, draft, step="link"))
    elif step == "link":
        if not text.lower().startswith(("https://", "http://")):
            ctx.reply_text(
                _("A link starts with https://; please write the whole link of the video call.")
            )
            return
        await ctx.repos.sessions.update(_replace(session, video_link=text))
        await prompt(ctx, await _save(ctx, draft, step="item_title"))
    elif step == "item_title":
        position = len(await load_agenda(ctx.repos, draft.session_id)) + 1
        motion = await ctx.repos.motions.add(
            Motion(None, draft.session_id, position, text, "", MotionCategory.GENERAL)
        )
        await prompt(ctx, await _save(ctx, draft, step="item_resolution", motion_id=motion.id))
    elif step == "item_resolution" and draft.motion_id is not None:
        if text == "-":
            await prompt(ctx, await _save(ctx, draft, step="item_title", motion_id=None))
            return
        await _update_motion(ctx, draft.motion_id, resolution=text)
        await prompt(ctx, await _save(ctx, draft, step="item_majority"))
    elif step == "election_title":
        await prompt(ctx, await _save(ctx, draft, step="election_posts", pending_title=text))
    elif step == "election_posts":
        if not text.isdecimal() or int(text) < 1:
            ctx.reply_text(_("Write a whole number of posts, at least 1."))
            return
        await prompt(
            ctx, await _save(ctx, draft, step="election_candidates", pending_posts=int(text))
        )
    elif step == "election_candidates":
        candidates = [
            c for c in (parse_candidate(p) for p in text.replace("\n", ";").split(";")) if c
        ]
        if not candidates or len(candidates) > MAX_CANDIDATES:
            ctx.reply_text(
                _(
                    "Write the candidates separated by semicolons, surname first, for example "
                    '"Novak, Ana; Kos, Peter" (at most {limit}).',
                    limit=MAX_CANDIDATES,
                )
            )
            return
        position = len(await load_agenda(ctx.repos, draft.session_id)) + 1
        await add_election(
            ctx.repos,
            draft.session_id,
            position,
            ElectionSpec(draft.pending_title, draft.pending_posts, tuple(candidates)),
        )
        await prompt(
            ctx, await _save(ctx, draft, step="item_title", pending_title="", pending_posts=1)
        )
    elif step == "urgency_reason":
        await set_urgency(ctx.repos, draft.session_id, text)
        await review(ctx, await _save(ctx, draft, step="review"))


async def _material(ctx: HandlerContext, draft: LiveDraft) -> None:
    incoming = ctx.event.file
    assert incoming is not None
    if incoming.size > MAX_MATERIAL_BYTES:
        ctx.reply_text(
            ctx._(
                "The file {name} is larger than 20 MB; please send a smaller file.",
                name=escape(incoming.filename),
            )
        )
        return
    content = await incoming.fetch()
    if not content:
        ctx.reply_text(ctx._("The file {name} is empty.", name=escape(incoming.filename)))
        return
    await ctx.repos.materials.add(draft.session_id, incoming.filename, incoming.media_type, content)
    count = len(await ctx.repos.materials.list_for_session(draft.session_id))
    _ask(
        ctx,
        ctx._(
            'Received {name}. Materials so far: {count}. Send more, or press "Review".',
            name=escape(incoming.filename),
            count=count,
        ),
        ((ctx._("Review"), "review:0"),),
    )


async def convening_file(ctx: HandlerContext) -> None:
    """A filled convening file sent in the chat becomes a draft; materials follow as files."""
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None and ctx.event.file is not None
    if ctx.event.file.size > TOML_LIMIT:
        ctx.reply_text(_("The convening file is too large."))
        return
    raw = await ctx.event.file.fetch()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        ctx.reply_text(_("The convening file must be saved as UTF-8 text."))
        return
    parsed = parse_convening(text, None, ctx.now)
    bodies = []
    for body_id in _clerk_bodies(ctx):
        body = await ctx.repos.bodies.get(body_id)
        if body is not None and body_matches(body, parsed.body):
            bodies.append(body)
    if parsed.body and not bodies:
        ctx.reply_text(_('body: you are not the clerk of "{body}".', body=escape(parsed.body)))
        return
    problems = list(parsed.problems)
    if bodies:
        problems.extend(check_agenda(parsed.agenda, await _rule_set(ctx, bodies[0].id or 0)))
    if problems:
        lines = [_("The convening file has mistakes; nothing was stored:")]
        lines.extend(f"• {escape(problem.render(_))}" for problem in problems)
        ctx.reply_text("\n".join(lines))
        return
    if await ctx.repos.live.drafts.get(ctx.person.id) is not None:
        await ctx.repos.live.drafts.delete(ctx.person.id)
    draft = await draft_from_file(
        ctx.repos, bodies[0].id or 0, ctx.person.id, parsed, ctx.now, "materials"
    )
    ctx.reply_text(_("The convening file is read: {count} agenda items.", count=len(parsed.agenda)))
    await prompt(ctx, draft)


async def review(ctx: HandlerContext, draft: LiveDraft) -> None:
    _ = ctx._
    session = await ctx.repos.sessions.get(draft.session_id)
    if session is None:
        return
    body = await ctx.repos.bodies.get(session.body_id)
    rule_set = await _rule_set(ctx, session.body_id)
    agenda = await load_agenda(ctx.repos, draft.session_id)
    lines = [_("Review before sending:")]
    lines.extend(session_facts(session, body.name if body else "", _))
    info = await ctx.repos.live.sessions.info(draft.session_id)
    if info is not None and info.urgent:
        lines.append(_("Convened urgently, because: {reason}", reason=escape(info.urgency_reason)))
    lines.extend(agenda_lines(agenda, rule_set, _))
    materials = await ctx.repos.materials.list_for_session(draft.session_id)
    lines.append(
        _("Materials: {names}", names=", ".join(escape(m.filename) for m in materials) or "—")
    )
    problems = await draft_problems(ctx.repos, rule_set, session, ctx.now)
    cancel = ((_("Cancel the draft"), "cancel:0"),)
    if problems:
        lines.append("")
        lines.append(_("Before the invitations can go out:"))
        lines.extend(f"• {escape(p.render(_))}" for p in problems)
        rows: list[tuple[tuple[str, str], ...]] = [((_("Add an agenda item"), "add:item"),)]
        notice = session.starts_at and notice_problem(
            rule_set, session.kind, session.starts_at, ctx.now, False
        )
        if notice and session.kind is SessionKind.EXTRAORDINARY and not (info and info.urgent):
            rows.insert(0, ((_("Mark as urgent"), "urgent:0"),))
        _ask(ctx, "\n".join(lines), *rows, cancel)
        return
    _ask(
        ctx,
        "\n".join(lines),
        ((_("Send the invitations"), "send:0"),),
        ((_("Add an agenda item"), "add:item"),),
        cancel,
    )


async def _send(ctx: HandlerContext, draft: LiveDraft) -> None:
    _ = ctx._
    session = await ctx.repos.sessions.get(draft.session_id)
    if session is None or session.status is not SessionStatus.DRAFT:
        ctx.reply_text(_("This button is no longer valid."))
        return
    rule_set = await _rule_set(ctx, session.body_id)
    convened, problems = await send_draft(ctx.repos, rule_set, draft, ctx.now)
    if convened is None:
        lines = [_("The invitations cannot go out yet:")]
        lines.extend(f"• {escape(p.render(_))}" for p in problems)
        ctx.reply_text("\n".join(lines))
        return
    ctx.reply_text(
        _(
            "The session is convened. The invitations are going out now; see who answers with {command}.",
            command=command(ctx, "udelezba"),
        )
    )
    app = ctx.app

    async def send_now() -> None:
        await send_invitations(app)

    ctx.after_commit.append(send_now)


def register(routes: Routes) -> None:
    routes.command(("sklic",), start_convening, staff=True)
    routes.payload(payloads.DRAFT, draft_button)
    routes.conversation(draft_text)
