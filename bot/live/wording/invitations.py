"""The invitation to a live session, the reminders, and what members see when they answer."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.domain.models import Session, SessionMode
from bot.domain.rules import RuleSet
from bot.i18n import Translator
from bot.live import payloads
from bot.live.agenda import AgendaItem
from bot.live.wording.common import (
    majority_words,
    session_kind_word,
    session_mode_word,
    session_name,
    vote_kind_word,
    when,
)
from bot.transport.events import Choice, OutgoingMessage


def agenda_lines(agenda: Sequence[AgendaItem], rule_set: RuleSet, _: Translator) -> list[str]:
    """The proposed agenda with each item's resolution, vote kind and majority."""
    lines: list[str] = []
    for item in agenda:
        lines.append(f"<b>{item.number}. {escape(item.title)}</b>")
        if item.motion is not None and item.motion.resolution:
            lines.append(
                _("Proposed resolution: {text}", text=f"<i>{escape(item.motion.resolution)}</i>")
            )
            lines.append(
                _(
                    "Vote: {kind}; required majority: {majority}",
                    kind=vote_kind_word(item.motion.vote_kind, _),
                    majority=escape(majority_words(rule_set, item.motion.majority, _)),
                )
            )
        elif item.election is not None:
            names = ", ".join(
                escape(f"{c.surname} {c.name}".strip()) for c in item.election.candidates
            )
            lines.append(
                _.plural(
                    "Election by secret ballot for {count} post; candidates: {names}",
                    "Election by secret ballot for {count} posts; candidates: {names}",
                    item.election.posts,
                    names=names,
                )
            )
    return lines


def session_facts(session: Session, body_name: str, _: Translator) -> list[str]:
    lines = [
        f"<b>{escape(session_name(session, body_name, _))}</b>",
        _(
            "{kind}, {mode}",
            kind=session_kind_word(session.kind, _).capitalize(),
            mode=session_mode_word(session.mode, _),
        ),
    ]
    if session.starts_at is not None:
        lines.append(_("Starts: {moment}", moment=when(session.starts_at, _)))
    if session.mode is SessionMode.HYBRID and session.location:
        lines.append(_("Hall: {place}", place=escape(session.location)))
    if session.video_link:
        link = escape(session.video_link, quote=True)
        lines.append(
            _("Video call: {link}", link=f'<a href="{link}">{escape(session.video_link)}</a>')
        )
    return lines


def invitation_text(
    session: Session,
    body_name: str,
    agenda: Sequence[AgendaItem],
    rule_set: RuleSet,
    _: Translator,
    *,
    urgency_reason: str = "",
    material_count: int = 0,
    for_information: bool = False,
) -> str:
    lines = [_("Invitation to a session of the council")]
    lines.extend(session_facts(session, body_name, _))
    if urgency_reason:
        lines.append(_("Convened urgently, because: {reason}", reason=escape(urgency_reason)))
    lines.append("")
    lines.append(_("Proposed agenda:"))
    lines.extend(agenda_lines(agenda, rule_set, _))
    lines.append("")
    lines.append(
        _.plural(
            "Attached: the calendar entry and {count} file of materials.",
            "Attached: the calendar entry and {count} files of materials.",
            material_count,
        )
        if material_count
        else _("Attached: the calendar entry.")
    )
    lines.append(
        _(
            "The video call runs in its own application; here you confirm your presence and "
            "vote when the chair opens a vote."
        )
    )
    if for_information:
        lines.append(_("Sent to you for information."))
    return "\n".join(lines)


def attendance_question(
    session_id: int, _: Translator, *, reminder: bool = False
) -> OutgoingMessage:
    question = (
        _("Reminder: you have not yet said whether you will attend. Will you attend the session?")
        if reminder
        else _("Will you attend the session?")
    )
    note = _(
        "If you cannot come, the chair must be told the reason before the session starts; "
        "after pressing the button you will be asked for it."
    )
    return OutgoingMessage(
        html=f"{question}\n{note}",
        choices=(
            (
                Choice(_("I will attend"), f"{payloads.ATTENDANCE}:{session_id}:attend"),
                Choice(_("I cannot come"), f"{payloads.ATTENDANCE}:{session_id}:decline"),
            ),
        ),
        poll_question=question,
    )


def reminder_text(session: Session, body_name: str, _: Translator) -> str:
    lines = [_("Reminder of the session")]
    lines.extend(session_facts(session, body_name, _))
    return "\n".join(lines)
