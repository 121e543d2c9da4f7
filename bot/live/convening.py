"""Convening a regular or extraordinary session held remotely or hybrid (art. 16-20).

A convening is described by a :class:`ConveningSpec` (from a file or built in the chat),
checked against the body's rule set, and stored in one transaction: the session with status
``convened``, its agenda (motions and elections), materials, the invitation outbox (every member,
the chair and the clerk) and the reminder times. The running bot's outbox job sends the
invitations; nothing here talks to a chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.audit_chain import SYSTEM_ACTOR, person_actor
from bot.domain.lot import new_seed
from bot.domain.models import (
    Body,
    Candidate,
    Election,
    Motion,
    MotionCategory,
    Role,
    Session,
    SessionKind,
    SessionMode,
    SessionStatus,
    VoteKind,
)
from bot.domain.rules import RuleSet
from bot.i18n import N_, Translator
from bot.timeutil import LJUBLJANA, format_local
from storage.repositories import Repositories
from storage.repositories.live.sessions import InvitedAs, LiveSessionInfo

# Matrix shows a ballot as a poll of at most 20 answers; two are the ballot's own buttons.
MAX_CANDIDATES = 18
DEFAULT_REMINDERS = (timedelta(days=3), timedelta(days=1))
DEFAULT_LENGTH = timedelta(hours=3)  # the calendar entry's length when no end is given
LIVE_KINDS = (SessionKind.REGULAR, SessionKind.EXTRAORDINARY)
LIVE_MODES = (SessionMode.REMOTE, SessionMode.HYBRID)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that keeps a session from being convened, as a message id and parameters."""

    message: str
    params: dict[str, object] = field(default_factory=dict)

    def render(self, _: Translator) -> str:
        # Moments are shown in local time, nested problems in the reader's language.
        params: dict[str, object] = {}
        for name, value in self.params.items():
            if isinstance(value, datetime):
                value = format_local(value, _.language)
            elif isinstance(value, Problem):
                value = value.render(_)
            params[name] = value
        return _(self.message, **params)


@dataclass(frozen=True, slots=True)
class MaterialSpec:
    filename: str
    media_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class MotionSpec:
    """An agenda item with a proposed resolution; an empty resolution is an item without a vote."""

    title: str
    resolution: str = ""
    majority: str = ""  # a majority of the rule set; "" for its default
    vote_kind: VoteKind = VoteKind.PUBLIC
    category: MotionCategory = MotionCategory.GENERAL
    materials: tuple[MaterialSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class CandidateSpec:
    name: str
    surname: str


@dataclass(frozen=True, slots=True)
class ElectionSpec:
    title: str
    posts: int
    candidates: tuple[CandidateSpec, ...]


AgendaEntry = MotionSpec | ElectionSpec


@dataclass(frozen=True, slots=True)
class ConveningSpec:
    body_id: int
    kind: SessionKind
    mode: SessionMode
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    location: str = ""
    video_link: str = ""
    urgent: bool = False
    urgency_reason: str = ""
    agenda: tuple[AgendaEntry, ...] = ()
    materials: tuple[MaterialSpec, ...] = ()
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    number: str = ""


@dataclass(frozen=True, slots=True)
class ConveneResult:
    session: Session | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.session is not None and not self.problems


def _local_day_gap(starts_at: datetime, now: datetime) -> int:
    return (starts_at.astimezone(LJUBLJANA).date() - now.astimezone(LJUBLJANA).date()).days


def notice_problem(
    rule_set: RuleSet, kind: SessionKind, starts_at: datetime, now: datetime, urgent: bool
) -> Problem | None:
    """Whether the invitation goes out early enough (art. 18(1), 20(4)); why not if it does not.

    The notice counts whole days before the day of the session, as the rules say "seven days
    before the day set for the session". An extraordinary session marked urgent may be convened
    at shorter notice (art. 20(5)); a regular one never.
    """
    if starts_at <= now:
        return Problem(
            N_(
                "The session would start at {start}, which has already passed. Choose a later date."
            ),
            {"start": starts_at},
        )
    live = rule_set.live
    needed = (
        live.notice_days_regular if kind is SessionKind.REGULAR else live.notice_days_extraordinary
    )
    gap = _local_day_gap(starts_at, now)
    if gap >= needed:
        return None
    if kind is SessionKind.EXTRAORDINARY and urgent:
        return None
    if kind is SessionKind.REGULAR:
        return Problem(
            N_(
                "A regular session must be convened at least {needed} days before the day of the "
                "session ({rules}); the session on {start} is only {gap} days away. Choose a date "
                "on or after {earliest}, or convene an extraordinary session if the matter is "
                "urgent."
            ),
            {
                "needed": needed,
                "rules": rule_set.title,
                "start": starts_at,
                "gap": gap,
                "earliest": _earliest_day(now, needed),
            },
        )
    return Problem(
        N_(
            "An extraordinary session must be convened at least {needed} days before the day of "
            "the session ({rules}); the session on {start} is only {gap} days away. Choose a date "
            "on or after {earliest}, or mark the session urgent and give the reason: only when "
            "circumstances require it may it be convened at shorter notice."
        ),
        {
            "needed": needed,
            "rules": rule_set.title,
            "start": starts_at,
            "gap": gap,
            "earliest": _earliest_day(now, needed),
        },
    )


def _earliest_day(now: datetime, days: int) -> str:
    day = now.astimezone(LJUBLJANA).date() + timedelta(days=days)
    return f"{day.day}. {day.month}. {day.year}"


def check_spec(spec: ConveningSpec, rule_set: RuleSet, now: datetime) -> list[Problem]:
    """Every reason the spec cannot be convened; an empty list when it can."""
    problems: list[Problem] = []
    if spec.kind not in LIVE_KINDS:
        problems.append(Problem(N_("A live session is a regular or an extraordinary session.")))
    if spec.mode not in LIVE_MODES:
        problems.append(Problem(N_("A live session is held remotely or hybrid.")))
    if not spec.title.strip():
        problems.append(Problem(N_('The session needs a title, for example "12. redna seja".')))
    if spec.mode is SessionMode.HYBRID and not spec.location.strip():
        problems.append(Problem(N_("A hybrid session needs the hall where it is held.")))
    if not spec.video_link.strip():
        problems.append(Problem(N_("A remote or hybrid session needs the video-call link.")))
    if spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        problems.append(Problem(N_("The session must end after it starts.")))
    if spec.urgent and spec.kind is not SessionKind.EXTRAORDINARY:
        problems.append(
            Problem(
                N_("Only an extraordinary session may be convened urgently, at shorter notice.")
            )
        )
    if spec.urgent and not spec.urgency_reason.strip():
        problems.append(Problem(N_("An urgent session needs the reason for its urgency.")))
    notice = notice_problem(rule_set, spec.kind, spec.starts_at, now, spec.urgent)
    if notice is not None:
        problems.append(notice)
    problems.extend(check_agenda(spec.agenda, rule_set))
    return problems


def check_agenda(agenda: Sequence[AgendaEntry], rule_set: RuleSet) -> list[Problem]:
    problems: list[Problem] = []
    if not agenda:
        problems.append(Problem(N_("The agenda has no items.")))
    for number, entry in enumerate(agenda, start=1):
        if not entry.title.strip():
            problems.append(Problem(N_("Item {number} has no title."), {"number": number}))
        if isinstance(entry, MotionSpec):
            if entry.majority and entry.majority not in rule_set.majorities:
                problems.append(
                    Problem(
                        N_(
                            'Item {number}: the majority "{majority}" is not in the rules of '
                            "procedure; use one of: {known}."
                        ),
                        {
                            "number": number,
                            "majority": entry.majority,
                            "known": ", ".join(sorted(rule_set.majorities)),
                        },
                    )
                )
            if not entry.resolution.strip() and entry.vote_kind is not VoteKind.PUBLIC:
                problems.append(
                    Problem(
                        N_("Item {number} is voted on, so it needs a proposed resolution."),
                        {"number": number},
                    )
                )
            continue
        if entry.posts < 1:
            problems.append(
                Problem(
                    N_("Item {number}: an election fills at least one post."), {"number": number}
                )
            )
        if not entry.candidates:
            problems.append(
                Problem(N_("Item {number}: the election has no candidates."), {"number": number})
            )
        if len(entry.candidates) > MAX_CANDIDATES:
            problems.append(
                Problem(
                    N_("Item {number}: at most {limit} candidates fit on a ballot."),
                    {"number": number, "limit": MAX_CANDIDATES},
                )
            )
        if any(not c.surname.strip() for c in entry.candidates):
            problems.append(
                Problem(N_("Item {number}: every candidate needs a surname."), {"number": number})
            )
    return problems


async def store_agenda(
    repos: Repositories, session_id: int, agenda: Sequence[AgendaEntry], first_position: int = 1
) -> None:
    """Stores the items in order: motions with their materials, elections with a lot seed."""
    for position, entry in enumerate(agenda, start=first_position):
        if isinstance(entry, MotionSpec):
            motion = await repos.motions.add(
                Motion(
                    None,
                    session_id,
                    position,
                    entry.title.strip(),
                    entry.resolution.strip(),
                    category=entry.category,
                    vote_kind=entry.vote_kind,
                    majority=entry.majority,
                )
            )
            for material in entry.materials:
                await repos.materials.add(
                    session_id,
                    material.filename,
                    material.media_type,
                    material.content,
                    motion_id=motion.id,
                )
        else:
            await add_election(repos, session_id, position, entry)


async def add_election(
    repos: Repositories,
    session_id: int,
    position: int,
    entry: ElectionSpec,
    replaces_election_id: int | None = None,
) -> Election:
    # The seed is recorded before any draw, so the drawn letter can be re-derived by anyone.
    election = await repos.elections.add(
        Election(
            None,
            session_id,
            entry.title.strip(),
            posts=entry.posts,
            vote_kind=VoteKind.SECRET,
            lot_seed=new_seed(),
            candidates=tuple(
                Candidate(None, 0, c.name.strip(), c.surname.strip()) for c in entry.candidates
            ),
        )
    )
    assert election.id is not None
    await repos.live.elections.add(election.id, position, replaces_election_id)
    return election


async def convene(
    repos: Repositories,
    spec: ConveningSpec,
    rule_set: RuleSet,
    now: datetime,
    convened_by: int | None = None,
) -> ConveneResult:
    """Checks and stores a whole convening; stores nothing when there is any problem."""
    problems = check_spec(spec, rule_set, now)
    if problems:
        return ConveneResult(None, tuple(problems))
    session = await repos.sessions.add(
        Session(
            None,
            spec.body_id,
            spec.kind,
            spec.title.strip(),
            mode=spec.mode,
            number=spec.number,
            starts_at=spec.starts_at,
            location=spec.location.strip(),
            video_link=spec.video_link.strip(),
            status=SessionStatus.DRAFT,
            created_at=now,
        )
    )
    assert session.id is not None
    await repos.live.sessions.add_info(LiveSessionInfo(session.id, ends_at=spec.ends_at))
    await store_agenda(repos, session.id, spec.agenda)
    for material in spec.materials:
        await repos.materials.add(
            session.id, material.filename, material.media_type, material.content
        )
    session = await finish_convening(
        repos,
        session,
        now,
        convened_by,
        urgent=spec.urgent,
        urgency_reason=spec.urgency_reason,
        reminders=spec.reminders,
    )
    return ConveneResult(session)


async def finish_convening(
    repos: Repositories,
    session: Session,
    now: datetime,
    convened_by: int | None,
    *,
    urgent: bool = False,
    urgency_reason: str = "",
    reminders: Sequence[timedelta] | None = None,
) -> Session:
    """Turns a checked draft into a convened session: the outbox lists every person invited."""
    assert session.id is not None and session.starts_at is not None
    for membership in await repos.memberships.list_for_body(session.body_id):
        role = {
            Role.MEMBER: InvitedAs.MEMBER,
            Role.CHAIR: InvitedAs.CHAIR,
            Role.CLERK: InvitedAs.CLERK,
        }.get(membership.role)
        if role is not None:
            await repos.live.sessions.invite(session.id, membership.person_id, role)
    offsets = DEFAULT_REMINDERS if reminders is None else reminders
    due = sorted(
        {session.starts_at - before for before in offsets if session.starts_at - before > now}
    )
    await repos.live.sessions.set_reminders(session.id, due)
    info = await repos.live.sessions.info(session.id) or LiveSessionInfo(session.id)
    await repos.live.sessions.update_info(
        LiveSessionInfo(
            session.id,
            ends_at=info.ends_at,
            urgent=urgent,
            urgency_reason=urgency_reason.strip(),
            convened_by=convened_by,
            convened_at=now,
        )
    )
    actor = person_actor(convened_by) if convened_by is not None else SYSTEM_ACTOR
    return await repos.sessions.set_status(session.id, SessionStatus.CONVENED, at=now, actor=actor)


def body_matches(body: Body, wanted: str) -> bool:
    """A body named in a file by its slug or its name, in any letter case."""
    key = " ".join(wanted.split()).casefold()
    return key in (body.slug.casefold(), " ".join(body.name.split()).casefold())
