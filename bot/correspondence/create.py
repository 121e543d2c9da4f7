"""Creating a correspondence session: what it must contain, and storing it ready to send.

A session is checked against the body's rule set (art. 21 in the default one): a title, at least
one proposed resolution, none of a forbidden category (refused, with the reason), an exact
deadline in the future, and a body with voting members. Words suggesting a forbidden category
are warnings: the clerk sees them and may correct the category.

Both ways in end here: the clerk's guided flow in the chat (``make_draft_ready`` on the draft
session it built) and ``sejabot session create FILE`` (``store_ready_session``). Either stores
the session as *convened*, ready to send; the running bot's outbox then lists the members, opens
the votes and sends the invitations (see ``correspondence_invitations``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.audit_chain import SYSTEM_ACTOR, person_actor
from bot.domain.correspondence_check import (
    CorrespondenceCheck,
    Refusal,
    WordWarning,
    check_correspondence_motion,
    refusal_text,
    warning_text,
)
from bot.domain.models import (
    Motion,
    MotionCategory,
    Session,
    SessionKind,
    SessionMode,
    SessionStatus,
    VoteKind,
)
from bot.domain.rules import CorrespondenceRules
from bot.i18n import N_, Translator
from bot.timeutil import LJUBLJANA, format_local
from storage.repositories import Repositories
from storage.repositories.correspondence.progress import Source

MAX_TITLE_LENGTH = 300
MAX_RESOLUTION_LENGTH = 3500  # one chat message with the heading around it
MAX_MATERIAL_BYTES = 20 * 1024 * 1024  # what Telegram lets a bot download and send


@dataclass(frozen=True, slots=True)
class MotionDraft:
    title: str
    resolution: str
    category: MotionCategory = MotionCategory.GENERAL


@dataclass(frozen=True, slots=True)
class MaterialDraft:
    filename: str
    media_type: str
    content: bytes = field(repr=False)
    motion_position: int | None = None  # None: material of the whole session


@dataclass(frozen=True, slots=True)
class SessionDraft:
    body_id: int
    title: str
    deadline: datetime | None
    motions: tuple[MotionDraft, ...]
    materials: tuple[MaterialDraft, ...] = ()
    number: str = ""


class ProblemCode(StrEnum):
    NO_TITLE = "no_title"
    TITLE_TOO_LONG = "title_too_long"
    NO_MOTIONS = "no_motions"
    EMPTY_RESOLUTION = "empty_resolution"
    RESOLUTION_TOO_LONG = "resolution_too_long"
    FORBIDDEN_CATEGORY = "forbidden_category"
    NO_DEADLINE = "no_deadline"
    DEADLINE_PASSED = "deadline_passed"
    NO_MEMBERS = "no_members"
    MATERIAL_TOO_LARGE = "material_too_large"
    EMPTY_MATERIAL = "empty_material"
    UNKNOWN_MOTION = "unknown_motion"


PROBLEM_TEXTS = {
    ProblemCode.NO_TITLE: N_("The session has no title."),
    ProblemCode.TITLE_TOO_LONG: N_("The title is longer than {limit} characters."),
    ProblemCode.NO_MOTIONS: N_("The session has no proposed resolution."),
    ProblemCode.EMPTY_RESOLUTION: N_("Proposed resolution {position} has no text."),
    ProblemCode.RESOLUTION_TOO_LONG: N_(
        "Proposed resolution {position} is longer than {limit} characters; put the "
        "explanation into the materials."
    ),
    ProblemCode.NO_DEADLINE: N_(
        "The session has no deadline: a correspondence session runs until an exact date and hour."
    ),
    ProblemCode.DEADLINE_PASSED: N_("The deadline {deadline} is not in the future."),
    ProblemCode.NO_MEMBERS: N_("The body has no active voting members to invite."),
    ProblemCode.MATERIAL_TOO_LARGE: N_("The file {filename} is larger than {limit} MB."),
    ProblemCode.EMPTY_MATERIAL: N_("The file {filename} is empty."),
    ProblemCode.UNKNOWN_MOTION: N_(
        "The file {filename} belongs to proposed resolution {position}, which does not exist."
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that keeps the session from being sent; ``position`` names a resolution."""

    code: ProblemCode
    position: int | None = None
    category: MotionCategory | None = None
    filename: str = ""
    deadline: datetime | None = None

    def text(self, _: Translator) -> str:
        if self.code is ProblemCode.FORBIDDEN_CATEGORY:
            assert self.category is not None
            reason = refusal_text(Refusal(self.category), _)
            return _("Proposed resolution {position}: {reason}", position=self.position,
                     reason=reason)  # fmt: skip
        deadline = format_local(self.deadline, _.language, LJUBLJANA) if self.deadline else ""
        return _(
            PROBLEM_TEXTS[self.code],
            position=self.position,
            limit=_limit(self.code),
            filename=self.filename,
            deadline=deadline,
        )


def _limit(code: ProblemCode) -> int:
    if code is ProblemCode.TITLE_TOO_LONG:
        return MAX_TITLE_LENGTH
    if code is ProblemCode.MATERIAL_TOO_LARGE:
        return MAX_MATERIAL_BYTES // (1024 * 1024)
    return MAX_RESOLUTION_LENGTH


SESSION_TITLE = 0  # the position of warnings found in the session's own title


@dataclass(frozen=True, slots=True)
class PositionedWarning:
    position: int  # a resolution's position, or SESSION_TITLE
    warning: WordWarning

    def text(self, _: Translator) -> str:
        if self.position == SESSION_TITLE:
            return _("Title of the session: {warning}", warning=warning_text(self.warning, _))
        return _(
            "Proposed resolution {position}: {warning}",
            position=self.position,
            warning=warning_text(self.warning, _),
        )


@dataclass(frozen=True, slots=True)
class DraftReview:
    problems: tuple[Problem, ...]
    warnings: tuple[PositionedWarning, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def review_motion(rules: CorrespondenceRules, motion: MotionDraft) -> CorrespondenceCheck:
    return check_correspondence_motion(rules, motion.category, motion.title, motion.resolution)


def motion_problems(
    rules: CorrespondenceRules, position: int, motion: MotionDraft
) -> list[Problem]:
    problems = []
    if not motion.resolution.strip():
        problems.append(Problem(ProblemCode.EMPTY_RESOLUTION, position))
    elif len(motion.resolution) > MAX_RESOLUTION_LENGTH:
        problems.append(Problem(ProblemCode.RESOLUTION_TOO_LONG, position))
    check = review_motion(rules, motion)
    if check.refusal is not None:
        problems.append(
            Problem(ProblemCode.FORBIDDEN_CATEGORY, position, category=check.refusal.category)
        )
    return problems


def review_draft(
    rules: CorrespondenceRules, draft: SessionDraft, now: datetime, voting_members: int
) -> DraftReview:
    """Every problem that keeps ``draft`` from being sent, and every warning word."""
    problems: list[Problem] = []
    warnings: list[PositionedWarning] = []
    title_check = check_correspondence_motion(rules, MotionCategory.GENERAL, draft.title, "")
    warnings.extend(PositionedWarning(SESSION_TITLE, w) for w in title_check.warnings)
    if not draft.title.strip():
        problems.append(Problem(ProblemCode.NO_TITLE))
    elif len(draft.title) > MAX_TITLE_LENGTH:
        problems.append(Problem(ProblemCode.TITLE_TOO_LONG))
    if not draft.motions:
        problems.append(Problem(ProblemCode.NO_MOTIONS))
    for position, motion in enumerate(draft.motions, start=1):
        problems.extend(motion_problems(rules, position, motion))
        warnings.extend(
            PositionedWarning(position, warning)
            for warning in review_motion(rules, motion).warnings
        )
    if draft.deadline is None:
        problems.append(Problem(ProblemCode.NO_DEADLINE))
    elif draft.deadline <= now:
        problems.append(Problem(ProblemCode.DEADLINE_PASSED, deadline=draft.deadline))
    if voting_members < 1:
        problems.append(Problem(ProblemCode.NO_MEMBERS))
    for material in draft.materials:
        problems.extend(material_problems(material, len(draft.motions)))
    return DraftReview(tuple(problems), tuple(warnings))


def material_problems(material: MaterialDraft, motion_count: int) -> list[Problem]:
    problems = []
    if not material.content:
        problems.append(Problem(ProblemCode.EMPTY_MATERIAL, filename=material.filename))
    elif len(material.content) > MAX_MATERIAL_BYTES:
        problems.append(Problem(ProblemCode.MATERIAL_TOO_LARGE, filename=material.filename))
    position = material.motion_position
    if position is not None and not 1 <= position <= motion_count:
        problems.append(
            Problem(ProblemCode.UNKNOWN_MOTION, position=position, filename=material.filename)
        )
    return problems


def refusal_message(check: CorrespondenceCheck, _: Translator) -> str:
    assert check.refusal is not None
    return refusal_text(check.refusal, _)


async def voting_member_ids(repos: Repositories, body_id: int) -> list[int]:
    """The active members of the body who vote (the chair and the clerk do not)."""
    return [
        membership.person_id
        for membership in await repos.memberships.list_for_body(body_id, active_only=True)
        if membership.role.votes
    ]


async def store_ready_session(
    repos: Repositories,
    draft: SessionDraft,
    *,
    now: datetime,
    source: Source,
    created_by: int | None = None,
) -> Session:
    """Store a reviewed draft as a convened session with its motions and materials.

    The caller reviewed it (``review_draft``) in the same transaction.
    """
    session = await repos.sessions.add(
        Session(
            id=None,
            body_id=draft.body_id,
            kind=SessionKind.CORRESPONDENCE,
            title=draft.title.strip(),
            mode=SessionMode.REMOTE,
            number=draft.number,
            deadline=draft.deadline,
            status=SessionStatus.CONVENED,
            created_at=now,
        ),
        actor=person_actor(created_by) if created_by is not None else SYSTEM_ACTOR,
    )
    assert session.id is not None
    motion_ids: dict[int, int] = {}
    for position, motion in enumerate(draft.motions, start=1):
        stored = await add_motion(repos, session.id, position, motion)
        assert stored.id is not None
        motion_ids[position] = stored.id
    for material in draft.materials:
        motion_id = (
            motion_ids[material.motion_position] if material.motion_position is not None else None
        )
        await repos.materials.add(
            session.id, material.filename, material.media_type, material.content, motion_id
        )
    await repos.correspondence.progress.add_ready(session.id, source, created_by, now)
    return session


async def add_motion(
    repos: Repositories, session_id: int, position: int, motion: MotionDraft
) -> Motion:
    return await repos.motions.add(
        Motion(
            id=None,
            session_id=session_id,
            position=position,
            title=motion.title.strip(),
            resolution=motion.resolution.strip(),
            category=motion.category,
            vote_kind=VoteKind.PUBLIC,  # art. 21(1): votes are cast personally, by name
        )
    )


async def draft_of_session(repos: Repositories, session: Session) -> SessionDraft:
    """The draft as stored so far (content of materials is not loaded: only their count)."""
    assert session.id is not None
    motions = await repos.motions.list_for_session(session.id)
    return SessionDraft(
        body_id=session.body_id,
        title=session.title,
        deadline=session.deadline,
        motions=tuple(MotionDraft(m.title, m.resolution, m.category) for m in motions),
        number=session.number,
    )


async def make_draft_ready(
    repos: Repositories, session: Session, *, now: datetime, created_by: int
) -> Session:
    """The clerk confirmed the draft built in the chat: it becomes convened, ready to send."""
    assert session.id is not None
    ready = await repos.sessions.set_status(
        session.id, SessionStatus.CONVENED, at=now, actor=person_actor(created_by)
    )
    await repos.correspondence.progress.add_ready(session.id, Source.CHAT, created_by, now)
    return ready


def resolution_title(resolution: str, limit: int = 80) -> str:
    """A short title for a resolution typed in the chat: its first line, shortened."""
    first_line = resolution.strip().splitlines()[0].strip() if resolution.strip() else ""
    if len(first_line) <= limit:
        return first_line
    return first_line[: limit - 1].rstrip() + "…"


def describe_problems(problems: Sequence[Problem], _: Translator) -> list[str]:
    return [problem.text(_) for problem in problems]
