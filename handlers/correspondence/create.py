"""The clerk's guided creation of a correspondence session in the chat.

``/nova_dopisna`` (Matrix ``!nova_dopisna``) walks a clerk through: the body (buttons, when the
clerk serves several), the title, each proposed resolution and its category, the materials as
files, and the deadline as date and hour; a summary then offers "send" or "cancel". The state
lives in the database (``correspondence_drafts`` plus a draft session with its motions and
materials), so a restart in the middle loses nothing and ``/nova_dopisna`` offers to go on.

A category the body's rule set forbids (budget, final account, taxes and levies, financial
obligations in the default one) is refused with the reason; words suggesting one are shown as
a warning beside the category buttons, so the clerk can choose the right category.
``/preklici_dopisno`` cancels the draft. Payloads: ``csn:<action>[:<value>]``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from html import escape

from bot.correspondence.create import (
    MAX_MATERIAL_BYTES,
    MAX_RESOLUTION_LENGTH,
    MAX_TITLE_LENGTH,
    MotionDraft,
    Problem,
    ProblemCode,
    add_motion,
    draft_of_session,
    make_draft_ready,
    motion_problems,
    resolution_title,
    review_draft,
    voting_member_ids,
)
from bot.correspondence.invitations import rules_of
from bot.correspondence.outbox import dispatch
from bot.correspondence.wording import quoted, when
from bot.domain.audit_chain import person_actor
from bot.domain.correspondence_check import (
    CATEGORY_LABELS,
    check_correspondence_motion,
    warning_text,
)
from bot.domain.materials import is_program
from bot.domain.models import (
    Body,
    MotionCategory,
    Platform,
    Role,
    Session,
    SessionKind,
    SessionMode,
    SessionStatus,
)
from bot.i18n import Translator
from bot.timeutil import EXAMPLE_DATETIME, TimeInputError, parse_local_datetime
from bot.transport.events import Choice, OutgoingMessage
from handlers.context import HandlerContext
from handlers.routes import Routes
from storage.repositories.correspondence.drafts import DraftState, DraftStep

log = logging.getLogger(__name__)

PREFIX = "csn"
NEW_COMMANDS = ("nova_dopisna",)
CANCEL_COMMANDS = ("preklici_dopisno",)
TEXT_STEPS = frozenset({DraftStep.TITLE, DraftStep.RESOLUTION, DraftStep.CATEGORY,
                        DraftStep.DEADLINE, DraftStep.MATERIALS})  # fmt: skip


def _choices(*rows: tuple[tuple[str, str], ...]) -> tuple[tuple[Choice, ...], ...]:
    return tuple(tuple(Choice(label, payload) for label, payload in row) for row in rows)


def _cancel_row(_: Translator) -> tuple[tuple[str, str], ...]:
    return ((_("Cancel the draft"), f"{PREFIX}:x"),)


async def _clerk_bodies(ctx: HandlerContext) -> list[Body]:
    bodies = []
    for membership in ctx.memberships:
        if membership.role is Role.CLERK:
            body = await ctx.repos.bodies.get(membership.body_id)
            if body is not None:
                bodies.append(body)
    return sorted(bodies, key=lambda body: body.name)


# --- starting ------------------------------------------------------------------------------


async def start(ctx: HandlerContext) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    bodies = await _clerk_bodies(ctx)
    if not bodies:
        ctx.reply_text(_("Only the clerk of a body can prepare its correspondence session."))
        return
    existing = await ctx.repos.correspondence.drafts.get(ctx.person.id)
    if existing is not None:
        ctx.reply(OutgoingMessage(
            html=_("You have an unfinished correspondence session being prepared. Do you want "
                   "to continue it or start again?"),
            choices=_choices(((_("Continue"), f"{PREFIX}:r"), (_("Start again"), f"{PREFIX}:n"))),
        ))  # fmt: skip
        return
    await _begin(ctx, bodies)


async def _begin(ctx: HandlerContext, bodies: list[Body]) -> None:
    assert ctx.person is not None and ctx.person.id is not None
    now = ctx.now
    draft = DraftState(
        person_id=ctx.person.id,
        platform=Platform(ctx.event.platform),
        chat_id=ctx.event.chat.chat_id,
        step=DraftStep.BODY,
        started_at=now,
        updated_at=now,
    )
    if len(bodies) == 1:
        draft = draft.at(DraftStep.TITLE, now, body_id=bodies[0].id)
    draft = await ctx.repos.correspondence.drafts.save(draft)
    ctx.reply_text(ctx._("Preparing a new correspondence session. You can stop at any time "
                         "with {command}.", command=_command(ctx, CANCEL_COMMANDS[0])))  # fmt: skip
    await _prompt(ctx, draft)


def _command(ctx: HandlerContext, name: str) -> str:
    return ("!" if ctx.event.platform == Platform.MATRIX else "/") + name


async def cancel(ctx: HandlerContext) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    if await ctx.repos.correspondence.drafts.discard(ctx.person.id):
        ctx.reply_text(_("The draft correspondence session is cancelled; nothing was sent."))
    else:
        ctx.reply_text(_("You have no correspondence session being prepared."))


# --- the question of each step -----------------------------------------------------------


async def _prompt(ctx: HandlerContext, draft: DraftState) -> None:
    _ = ctx._
    step = draft.step
    if step is DraftStep.BODY:
        bodies = await _clerk_bodies(ctx)
        ctx.reply(OutgoingMessage(
            html=_("For which body is the correspondence session?"),
            choices=_choices(*(((body.name, f"{PREFIX}:b:{body.id}"),) for body in bodies),
                             _cancel_row(_)),
        ))  # fmt: skip
    elif step is DraftStep.TITLE:
        ctx.reply_text(_("Write the title of the session, for example: "
                         "<i>5. dopisna seja Občinskega sveta</i>."))  # fmt: skip
    elif step is DraftStep.RESOLUTION:
        number = await _motion_count(ctx, draft) + 1
        ctx.reply_text(_("Write the text of proposed resolution {number}.", number=number))
    elif step is DraftStep.CATEGORY:
        await _prompt_category(ctx, draft)
    elif step is DraftStep.MORE:
        ctx.reply(OutgoingMessage(
            html=_("Do you want to add another proposed resolution?"),
            choices=_choices(((_("Add another resolution"), f"{PREFIX}:m"),),
                             ((_("On to the materials"), f"{PREFIX}:g"),), _cancel_row(_)),
        ))  # fmt: skip
    elif step is DraftStep.MATERIALS:
        ctx.reply(OutgoingMessage(
            html=_("Send the materials as files, one or more. When all are sent, press "
                   "\"Materials complete\"."),
            choices=_choices(((_("Materials complete"), f"{PREFIX}:f"),), _cancel_row(_)),
        ))  # fmt: skip
    elif step is DraftStep.DEADLINE:
        ctx.reply_text(_("Until when does the session run? Write the date and hour, for "
                         "example: {example}.", example=EXAMPLE_DATETIME))  # fmt: skip
    else:
        await _prompt_confirm(ctx, draft)


async def _motion_count(ctx: HandlerContext, draft: DraftState) -> int:
    if draft.session_id is None:
        return 0
    return len(await ctx.repos.motions.list_for_session(draft.session_id))


async def _draft_session(ctx: HandlerContext, draft: DraftState) -> Session:
    assert draft.session_id is not None
    session = await ctx.repos.sessions.get(draft.session_id)
    assert session is not None
    return session


async def _draft_body(ctx: HandlerContext, draft: DraftState) -> Body:
    assert draft.body_id is not None
    body = await ctx.repos.bodies.get(draft.body_id)
    assert body is not None
    return body


async def _prompt_category(ctx: HandlerContext, draft: DraftState) -> None:
    _ = ctx._
    session = await _draft_session(ctx, draft)
    rules = rules_of(ctx.app, await _draft_body(ctx, draft))
    check = check_correspondence_motion(
        rules, MotionCategory.GENERAL, session.title, draft.pending_resolution
    )
    lines = [_("What does this resolution decide? Choose the category.")]
    for warning in check.warnings:
        lines.append("⚠ " + escape(warning_text(warning, _)))
    rows = tuple(
        ((_(CATEGORY_LABELS[category]), f"{PREFIX}:k:{category.value}"),)
        for category in MotionCategory
    )
    ctx.reply(OutgoingMessage(html="\n".join(lines), choices=_choices(*rows, _cancel_row(_)),
                              poll_question=_("Category of the resolution")))  # fmt: skip


async def _prompt_confirm(ctx: HandlerContext, draft: DraftState) -> None:
    _ = ctx._
    session = await _draft_session(ctx, draft)
    body = await _draft_body(ctx, draft)
    assert session.id is not None and session.deadline is not None
    rules = rules_of(ctx.app, body)
    motions = await ctx.repos.motions.list_for_session(session.id)
    materials = await ctx.repos.materials.list_for_session(session.id)
    members = await voting_member_ids(ctx.repos, session.body_id)
    review = review_draft(rules, await draft_of_session(ctx.repos, session), ctx.now, len(members))
    lines = [
        "<b>" + _("Check the correspondence session before sending") + "</b>",
        _("Body: {name}", name=escape(body.name)),
        _("Title: {title}", title=escape(session.title)),
        _("Runs until: {deadline}", deadline=when(session.deadline, _)),
        "<b>" + _("Proposed resolutions:") + "</b>",
    ]
    for motion in motions:
        lines.append(f"{motion.position}. <i>{escape(motion.resolution)}</i> "
                     f"({_(CATEGORY_LABELS[motion.category])})")  # fmt: skip
    if materials:
        lines.append(
            _("Materials: {files}", files=escape(", ".join(m.filename for m in materials)))
        )
    else:
        lines.append(_("Materials: none attached"))
    unlinked = []
    for person_id in members:
        if not await ctx.repos.accounts.list_for_person(person_id):
            person = await ctx.repos.persons.get(person_id)
            if person is not None:
                unlinked.append(person.full_name)
    lines.append(_("The invitation goes to {count} members.", count=len(members)))
    if unlinked:
        lines.append(_("Not linked in the chat, so deliver the invitation to them in person: "
                       "{names}.", names=escape(", ".join(sorted(unlinked)))))  # fmt: skip
    lines.extend("⚠ " + escape(warning.text(_)) for warning in review.warnings)
    lines.extend("✗ " + escape(problem.text(_)) for problem in review.problems)
    ctx.reply(OutgoingMessage(
        html="\n".join(lines),
        choices=_choices(((_("Send the invitations"), f"{PREFIX}:s"),), _cancel_row(_)),
        poll_question=_("Send the invitations?"),
    ))  # fmt: skip


# --- buttons --------------------------------------------------------------------------------


async def on_choice(ctx: HandlerContext, rest: str) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    action, _sep, value = rest.partition(":")
    drafts = ctx.repos.correspondence.drafts
    draft = await drafts.get(ctx.person.id)
    bodies = await _clerk_bodies(ctx)
    if not bodies:  # buttons are never trusted: only a clerk prepares a session
        ctx.reply_text(_("Only the clerk of a body can prepare its correspondence session."))
        return
    if action == "n":
        await drafts.discard(ctx.person.id)
        await _begin(ctx, bodies)
        return
    if draft is None:
        ctx.reply_text(_("This draft is no longer being prepared. Start again with {command}.",
                         command=_command(ctx, NEW_COMMANDS[0])))  # fmt: skip
        return
    # The conversation follows the clerk to the chat where they pressed the button.
    draft = replace(draft, platform=Platform(ctx.event.platform), chat_id=ctx.event.chat.chat_id)
    handler = _CHOICE_HANDLERS.get(action)
    if handler is None or (action in _STEP_OF_ACTION and draft.step is not _STEP_OF_ACTION[action]):
        ctx.reply_text(_("This button is no longer valid."))
        await _prompt(ctx, await drafts.save(draft))
        return
    await handler(ctx, draft, value)


async def _resume(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    await _prompt(ctx, await ctx.repos.correspondence.drafts.save(draft))


async def _cancel_choice(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    await cancel(ctx)


async def _choose_body(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    bodies = {str(body.id): body for body in await _clerk_bodies(ctx)}
    body = bodies.get(value)
    if body is None:
        ctx.reply_text(ctx._("You are not the clerk of this body."))
        return
    draft = await ctx.repos.correspondence.drafts.save(
        draft.at(DraftStep.TITLE, ctx.now, body_id=body.id)
    )
    await _prompt(ctx, draft)


async def _choose_category(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    _ = ctx._
    try:
        category = MotionCategory(value)
    except ValueError:
        ctx.reply_text(_("This button is no longer valid."))
        return
    rules = rules_of(ctx.app, await _draft_body(ctx, draft))
    position = await _motion_count(ctx, draft) + 1
    motion = MotionDraft(resolution_title(draft.pending_resolution), draft.pending_resolution,
                         category)  # fmt: skip
    problems = motion_problems(rules, position, motion)
    if problems:
        lines = [escape(problem.text(_)) for problem in problems]
        if any(problem.code is ProblemCode.FORBIDDEN_CATEGORY for problem in problems):
            lines.append(_("Choose another category, or write the text of the resolution again."))
        ctx.reply_text("\n".join(lines))
        await ctx.repos.correspondence.drafts.save(draft)
        return
    assert draft.session_id is not None
    await add_motion(ctx.repos, draft.session_id, position, motion)
    ctx.reply_text(_("Proposed resolution {number} is added ({category}).", number=position,
                     category=_(CATEGORY_LABELS[category])))  # fmt: skip
    draft = await ctx.repos.correspondence.drafts.save(
        draft.at(DraftStep.MORE, ctx.now, pending_resolution="")
    )
    await _prompt(ctx, draft)


async def _more(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    draft = await ctx.repos.correspondence.drafts.save(draft.at(DraftStep.RESOLUTION, ctx.now))
    await _prompt(ctx, draft)


async def _to_materials(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    draft = await ctx.repos.correspondence.drafts.save(draft.at(DraftStep.MATERIALS, ctx.now))
    await _prompt(ctx, draft)


async def _materials_done(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    draft = await ctx.repos.correspondence.drafts.save(draft.at(DraftStep.DEADLINE, ctx.now))
    await _prompt(ctx, draft)


async def _send(ctx: HandlerContext, draft: DraftState, value: str) -> None:
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    session = await _draft_session(ctx, draft)
    body = await _draft_body(ctx, draft)
    if body.id not in {clerk_body.id for clerk_body in await _clerk_bodies(ctx)}:
        ctx.reply_text(_("You are not the clerk of this body."))
        return
    rules = rules_of(ctx.app, body)
    members = await voting_member_ids(ctx.repos, session.body_id)
    review = review_draft(rules, await draft_of_session(ctx.repos, session), ctx.now, len(members))
    if not review.ok:
        ctx.reply_text("\n".join(escape(problem.text(_)) for problem in review.problems))
        step = _step_to_fix(review.problems)
        await _prompt(ctx, await ctx.repos.correspondence.drafts.save(draft.at(step, ctx.now)))
        return
    ready = await make_draft_ready(ctx.repos, session, now=ctx.now, created_by=ctx.person.id)
    await ctx.repos.correspondence.drafts.finish(ctx.person.id)
    assert ready.deadline is not None
    ctx.reply_text(_("The correspondence session {title} is convened. The invitations are being "
                     "sent to {count} members; the session runs until {deadline}. You will "
                     "receive a live tally.", title=quoted(ready.title), count=len(members),
                     deadline=when(ready.deadline, _)))  # fmt: skip
    app = ctx.app

    async def send_now() -> None:
        await dispatch(app)

    ctx.after_commit.append(send_now)


def _step_to_fix(problems: tuple[Problem, ...]) -> DraftStep:
    codes = {problem.code for problem in problems}
    if codes & {ProblemCode.NO_DEADLINE, ProblemCode.DEADLINE_PASSED}:
        return DraftStep.DEADLINE
    if codes & {ProblemCode.NO_MOTIONS, ProblemCode.EMPTY_RESOLUTION}:
        return DraftStep.RESOLUTION
    return DraftStep.CONFIRM


_CHOICE_HANDLERS = {
    "r": _resume,
    "x": _cancel_choice,
    "b": _choose_body,
    "k": _choose_category,
    "m": _more,
    "g": _to_materials,
    "f": _materials_done,
    "s": _send,
}
_STEP_OF_ACTION = {
    "b": DraftStep.BODY,
    "k": DraftStep.CATEGORY,
    "m": DraftStep.MORE,
    "g": DraftStep.MORE,
    "f": DraftStep.MATERIALS,
    "s": DraftStep.CONFIRM,
}


# --- typed text and files ----------------------------------------------------------------------


async def on_input(ctx: HandlerContext) -> bool:
    """The clerk's text or file for the current step; False when no draft waits for it here."""
    if ctx.person is None or ctx.person.id is None:
        return False
    draft = await ctx.repos.correspondence.drafts.get(ctx.person.id)
    event = ctx.event
    if draft is None or draft.step not in TEXT_STEPS:
        return False
    if draft.platform != Platform(event.platform) or draft.chat_id != event.chat.chat_id:
        return False
    if event.file is not None:
        await _on_file(ctx, draft)
        return True
    text = event.text.strip()
    if not text:
        return False
    if draft.step is DraftStep.TITLE:
        await _on_title(ctx, draft, text)
    elif draft.step in (DraftStep.RESOLUTION, DraftStep.CATEGORY):
        await _on_resolution(ctx, draft, text)
    elif draft.step is DraftStep.DEADLINE:
        await _on_deadline(ctx, draft, text)
    else:
        ctx.reply_text(ctx._('Send a file, or press "Materials complete" when all are sent.'))
    return True


async def _on_title(ctx: HandlerContext, draft: DraftState, text: str) -> None:
    _ = ctx._
    if len(text) > MAX_TITLE_LENGTH:
        ctx.reply_text(Problem(ProblemCode.TITLE_TOO_LONG).text(_))
        return
    assert draft.body_id is not None
    session = await ctx.repos.sessions.add(
        Session(id=None, body_id=draft.body_id, kind=SessionKind.CORRESPONDENCE, title=text,
                mode=SessionMode.REMOTE, status=SessionStatus.DRAFT, created_at=ctx.now),
        actor=person_actor(draft.person_id),
    )  # fmt: skip
    draft = await ctx.repos.correspondence.drafts.save(
        draft.at(DraftStep.RESOLUTION, ctx.now, session_id=session.id)
    )
    await _prompt(ctx, draft)


async def _on_resolution(ctx: HandlerContext, draft: DraftState, text: str) -> None:
    if len(text) > MAX_RESOLUTION_LENGTH:
        position = await _motion_count(ctx, draft) + 1
        ctx.reply_text(Problem(ProblemCode.RESOLUTION_TOO_LONG, position).text(ctx._))
        return
    draft = await ctx.repos.correspondence.drafts.save(
        draft.at(DraftStep.CATEGORY, ctx.now, pending_resolution=text)
    )
    await _prompt(ctx, draft)


async def _on_deadline(ctx: HandlerContext, draft: DraftState, text: str) -> None:
    _ = ctx._
    zone = ctx.app.settings.zone
    try:
        deadline = parse_local_datetime(text, now=ctx.now, zone=zone)
    except TimeInputError as error:
        ctx.reply_text(escape(error.translate(_)))
        return
    if deadline <= ctx.now:
        ctx.reply_text(Problem(ProblemCode.DEADLINE_PASSED, deadline=deadline).text(_))
        return
    session = await _draft_session(ctx, draft)
    await ctx.repos.sessions.update(
        replace(session, deadline=deadline), at=ctx.now, actor=person_actor(draft.person_id)
    )
    draft = await ctx.repos.correspondence.drafts.save(draft.at(DraftStep.CONFIRM, ctx.now))
    await _prompt(ctx, draft)


async def _on_file(ctx: HandlerContext, draft: DraftState) -> None:
    _ = ctx._
    incoming = ctx.event.file
    assert incoming is not None
    if draft.step is not DraftStep.MATERIALS:
        ctx.reply_text(_("A file is not expected now; the materials come after the resolutions."))
        await _prompt(ctx, draft)
        return
    if incoming.size > MAX_MATERIAL_BYTES:
        ctx.reply_text(Problem(ProblemCode.MATERIAL_TOO_LARGE, filename=incoming.filename).text(_))
        return
    try:
        content = await incoming.fetch()  # already downloaded by the dispatcher
    except Exception:  # any transport failure: the clerk is asked to send it again
        log.exception("material %s could not be downloaded", incoming.filename)
        content = b""
    if not content or len(content) > MAX_MATERIAL_BYTES:
        ctx.reply_text(_("The file {filename} could not be received; please send it again.",
                         filename=escape(incoming.filename)))  # fmt: skip
        return
    if is_program(incoming.filename, incoming.media_type, content):
        ctx.reply_text(_("{filename} is a program or a script, and such files are not sent to "
                         "councillors. Send the materials as PDF, Word or pictures.",
                         filename=escape(incoming.filename)))  # fmt: skip
        return
    assert draft.session_id is not None
    await ctx.repos.materials.add(draft.session_id, incoming.filename, incoming.media_type, content)
    await ctx.repos.correspondence.drafts.save(draft.at(DraftStep.MATERIALS, ctx.now))
    ctx.reply_text(_("Received: {filename} ({size} kB). Send another file or press "
                     "\"Materials complete\".", filename=escape(incoming.filename),
                     size=max(len(content) // 1024, 1)))  # fmt: skip


def register(routes: Routes) -> None:
    routes.command(NEW_COMMANDS, start, staff=True)
    routes.command(CANCEL_COMMANDS, cancel, staff=True)
    routes.payload(PREFIX, on_choice)
    routes.conversation(on_input)


__all__ = ["register"]
