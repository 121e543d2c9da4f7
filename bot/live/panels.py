"""Messages kept up to date for the chair and the clerk: live presence and quorum, the hall list.

Each presence check gets fresh panels (so the newest is at the bottom of the chat); every change
after it edits them in place. Panels are read from committed data only, after the change that
prompted them, and never show how anyone voted in a secret round.
"""

from __future__ import annotations

import logging
from html import escape
from typing import TYPE_CHECKING

from bot.domain.models import Person, Platform, SessionMode
from bot.i18n import Translator
from bot.live import payloads
from bot.live.agenda import load_agenda, persons_by_id, staff_ids
from bot.live.presence import PresenceState, presence_state
from bot.live.voting import voters_count
from bot.live.wording.common import clock, person_name, session_name, vote_kind_word
from bot.transport.events import ChatRef, Choice, MessageRef, OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.live.presence import CheckpointReason, PanelKind, PanelRef

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# Matrix shows buttons as a poll of at most 20 answers; one is "as at the previous check".
HALL_BUTTONS = 19


def reason_words(reason: CheckpointReason, _: Translator) -> str:
    if reason is CheckpointReason.START:
        return _("at the start of the session")
    if reason is CheckpointReason.VOTE:
        return _("before a vote")
    if reason is CheckpointReason.BREAK:
        return _("after a break")
    return _("on request")


def presence_lines(state: PresenceState, _: Translator) -> list[str]:
    lines: list[str] = []
    if state.checkpoint is not None:
        lines.append(
            _(
                "Presence check {number} ({reason}), from {time}",
                number=state.checkpoint.checkpoint + 1,
                reason=reason_words(state.checkpoint.reason, _),
                time=clock(state.checkpoint.opened_at, _),
            )
        )
    check = state.quorum.check
    verdict = _("quorate") if state.quorum.quorate else _("NOT quorate")
    lines.append(
        _(
            "Present: {present} of {members} members — {verdict} (needed: {needed})",
            present=check.got,
            members=check.base,
            verdict=f"<b>{verdict}</b>",
            needed=check.needed,
        )
    )
    hall = state.count_on(Platform.HALL)
    if hall:
        lines.append(_("In the hall: {hall}; remote: {remote}", hall=hall, remote=check.got - hall))
    missing = ", ".join(escape(person_name(p)) for p in state.missing)
    if missing:
        lines.append(_("Not confirmed: {names}", names=missing))
    for person in state.excused:
        reason = state.declined.get(person.id or 0) or _("reason not given")
        lines.append(
            _("Excused: {name} ({reason})", name=escape(person_name(person)), reason=escape(reason))
        )
    return lines


async def _vote_lines(repos: Repositories, session_id: int, _: Translator) -> list[str]:
    lines: list[str] = []
    agenda = await load_agenda(repos, session_id)
    for live_round in await repos.live.rounds.open_rounds(session_id):
        motion = await repos.motions.get(live_round.motion_id)
        number = next(
            (i.number for i in agenda if i.motion and i.motion.id == live_round.motion_id), None
        )
        title = motion.title if motion else ""
        until = (
            _("until {time}", time=clock(live_round.closes_at, _))
            if live_round.closes_at
            else _("until the chair closes it")
        )
        label = _("item {number}", number=number) if number else _("practice vote")
        lines.append(
            _(
                'Vote on {label} "{title}" ({kind}, {until}): {voted} have voted.',
                label=label,
                title=escape(title),
                kind=vote_kind_word(live_round.vote_kind, _),
                until=until,
                voted=await voters_count(repos, live_round),
            )
        )
    for election_round in await repos.live.elections.open_rounds(session_id):
        election = await repos.elections.get(election_round.election_id)
        voted = len(
            await repos.elections.participants(election_round.election_id, election_round.round)
        )
        until = (
            _("until {time}", time=clock(election_round.closes_at, _))
            if election_round.closes_at
            else _("until the chair closes it")
        )
        lines.append(
            _(
                'Election "{title}" (round {stage}, {until}): {voted} have voted.',
                title=escape(election.title if election else ""),
                stage=election_round.stage,
                until=until,
                voted=voted,
            )
        )
    return lines


async def quorum_panel(
    repos: Repositories, app: App, session_id: int, _: Translator
) -> OutgoingMessage:
    session = await repos.sessions.get(session_id)
    body = await repos.bodies.get(session.body_id) if session else None
    rule_set = app.rule_set(body.rule_set if body else app.settings.default_rule_set)
    state = await presence_state(repos, rule_set, session_id)
    lines = (
        [f"<b>{escape(session_name(session, body.name if body else '', _))}</b>"] if session else []
    )
    lines.extend(presence_lines(state, _))
    lines.extend(await _vote_lines(repos, session_id, _))
    return OutgoingMessage(html="\n".join(lines))


def hall_panel(state: PresenceState, session_id: int, _: Translator) -> OutgoingMessage:
    """The clerk's list: press a name to mark the member present in the hall, again to undo."""
    rows: list[tuple[Choice, ...]] = []
    shown: list[Person] = state.members[:HALL_BUTTONS]
    for number, person in enumerate(shown, start=1):
        record = state.present.get(person.id or 0)
        if record is None:
            mark = "☐"
        elif record.platform is Platform.HALL:
            mark = "☑"
        else:
            mark = "💻"
        rows.append(
            (
                Choice(
                    f"{mark} {number}. {person_name(person)}",
                    f"{payloads.HALL}:{session_id}:{person.id}",
                ),
            )
        )
    rows.append((Choice(_("As at the previous check"), f"{payloads.HALL_AS_BEFORE}:{session_id}"),))
    lines = [
        _("Members present in the hall"),
        _(
            "Press a name to mark the member present in the hall; press again to undo. "
            "💻 means the member confirmed presence in the chat."
        ),
    ]
    if len(state.members) > HALL_BUTTONS:
        lines.append(
            _(
                "Members after number {limit} are marked with the command dvorana and their "
                "numbers, for example: dvorana 20 21.",
                limit=HALL_BUTTONS,
            )
        )
    lines.extend(presence_lines(state, _))
    return OutgoingMessage(html="\n".join(lines), choices=tuple(rows), poll_question=lines[0])


async def _panel_message(
    app: App, session_id: int, kind: PanelKind, person: Person
) -> OutgoingMessage:
    _ = Translator(person.language)
    repos = app.db.read
    if kind is PanelKind.QUORUM:
        return await quorum_panel(repos, app, session_id, _)
    session = await repos.sessions.get(session_id)
    body = await repos.bodies.get(session.body_id) if session else None
    rule_set = app.rule_set(body.rule_set if body else app.settings.default_rule_set)
    return hall_panel(await presence_state(repos, rule_set, session_id), session_id, _)


async def _panel_owners(app: App, session_id: int) -> list[tuple[PanelKind, Person]]:
    repos = app.db.read
    session = await repos.sessions.get(session_id)
    chairs, clerks = await staff_ids(repos, session_id)
    people = await persons_by_id(repos, set(chairs + clerks))
    owners = [
        (PanelKind.QUORUM, people[pid]) for pid in sorted(set(chairs + clerks)) if pid in people
    ]
    if session is not None and session.mode is SessionMode.HYBRID:
        owners.extend((PanelKind.HALL, people[pid]) for pid in clerks if pid in people)
    return owners


async def send_panel_to(app: App, session_id: int, kind: PanelKind, person: Person) -> None:
    """Sends one panel to a person; later changes edit it."""
    assert person.id is not None
    message = await _panel_message(app, session_id, kind, person)
    refs = await app.messenger.send_to_person(person.id, message)
    if not refs:
        return
    async with app.db.transaction() as repos:
        for ref in refs:
            await repos.live.presence.set_panel(
                PanelRef(
                    session_id, kind, person.id, ref.chat.platform, ref.chat.chat_id, ref.message_id
                )
            )


async def send_new_panels(app: App, session_id: int) -> None:
    """Sends the chair and the clerk fresh panels for the latest presence check."""
    for kind, person in await _panel_owners(app, session_id):
        await send_panel_to(app, session_id, kind, person)


async def refresh_panels(app: App, session_id: int, kind: PanelKind) -> None:
    """Edits the session's panels of one kind to show the current state."""
    for panel in await app.db.read.live.presence.panels(session_id, kind):
        person = await app.db.read.persons.get(panel.person_id)
        if person is None:
            continue
        message = await _panel_message(app, session_id, kind, person)
        ref = MessageRef(ChatRef(panel.platform, panel.chat_id), panel.message_id)
        edited = await app.messenger.edit(ref, message)
        if edited is not None and edited.message_id != panel.message_id:
            # Matrix replaces a poll by a new one; later edits must find the new one.
            async with app.db.transaction() as repos:
                await repos.live.presence.set_panel(
                    PanelRef(
                        session_id,
                        kind,
                        panel.person_id,
                        panel.platform,
                        panel.chat_id,
                        edited.message_id,
                    )
                )
