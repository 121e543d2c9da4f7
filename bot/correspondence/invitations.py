"""What a member sees of a correspondence session: the invitation and one voting message per
proposed resolution, and showing them to the member (first sending, ``/seje``, reminders).

The invitation carries the materials, every proposed resolution and the deadline, with a
"Potrjujem prejem" button (art. 21(1)-(2)); each voting message offers ZA and PROTI, and
VZDRŽAN only where the body's rule set allows abstention. Messages the bot edits later (spent
buttons, the end of the vote) are remembered in ``correspondence_messages``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from bot.correspondence.payloads import confirm_payload, vote_payload
from bot.correspondence.tally import SessionTally, load_tally
from bot.correspondence.wording import (
    choice_label,
    motion_heading,
    platform_label,
    quoted,
    when,
)
from bot.domain.models import (
    Body,
    DeliveryConfirmation,
    Material,
    Motion,
    Platform,
    Session,
    Vote,
    VoteChoice,
)
from bot.domain.rules import CorrespondenceRules
from bot.i18n import Translator
from bot.transport.events import ChatRef, Choice, MessageRef, OutgoingFile, OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.correspondence.messages import MessagePurpose, SessionMessage

if TYPE_CHECKING:
    from bot.app import App


def rules_of(app: App, body: Body) -> CorrespondenceRules:
    """The correspondence rules of the body's own rule set."""
    return app.rule_set(body.rule_set).correspondence


def allowed_choices(rules: CorrespondenceRules) -> tuple[VoteChoice, ...]:
    if rules.allow_abstention:
        return (VoteChoice.ZA, VoteChoice.PROTI, VoteChoice.VZDRZAN)
    return (VoteChoice.ZA, VoteChoice.PROTI)


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(size // 1024, 1)} kB"


def invitation_html(
    session: Session,
    body: Body,
    motions: list[Motion],
    materials: list[Material],
    rules: CorrespondenceRules,
    _: Translator,
    *,
    confirmation: DeliveryConfirmation | None = None,
    closed: bool = False,
) -> str:
    assert session.deadline is not None
    lines = [
        "<b>" + _("Invitation to a correspondence session") + "</b>",
        f"<b>{escape(body.name)}</b>: {escape(session.title)}",
        _("The session runs until <b>{deadline}</b>.", deadline=when(session.deadline, _)),
        "",
        "<b>" + _("Proposed resolutions:") + "</b>",
    ]
    for motion in motions:
        lines.append(f"{motion.position}. {quoted(motion.title)}")
        lines.append(f"<i>{escape(motion.resolution)}</i>")
    if materials:
        lines.append("")
        lines.append("<b>" + _("Materials:") + "</b>")
        lines.extend(f"• {escape(m.filename)} ({_size(m.size)})" for m in materials)
    lines.append("")
    if confirmation is not None:
        lines.append(
            _(
                "You confirmed receipt on {time} ({platform}).",
                time=when(confirmation.confirmed_at, _),
                platform=platform_label(confirmation.platform, _),
            )
        )
    elif closed:
        lines.append(_("The session is closed."))
    else:
        lines.append(_("Please confirm that you personally received this invitation."))
        if rules.voting_counts_as_confirmation:
            lines.append(_("If you vote, your receipt counts as confirmed."))
    return "\n".join(lines)


def invitation_message(
    session: Session,
    body: Body,
    motions: list[Motion],
    materials: list[Material],
    rules: CorrespondenceRules,
    _: Translator,
    *,
    confirmation: DeliveryConfirmation | None = None,
    files: tuple[OutgoingFile, ...] = (),
    closed: bool = False,
) -> OutgoingMessage:
    assert session.id is not None
    html = invitation_html(
        session, body, motions, materials, rules, _, confirmation=confirmation, closed=closed
    )
    choices: tuple[tuple[Choice, ...], ...] = ()
    if confirmation is None and not closed:
        choices = ((Choice(_("I confirm receipt"), confirm_payload(session.id)),),)
    return OutgoingMessage(
        html=html,
        choices=choices,
        files=files,
        poll_question=_("Do you confirm that you received the invitation?") if choices else "",
    )


def vote_html(
    session: Session,
    motion: Motion,
    _: Translator,
    *,
    recorded: Vote | None = None,
    closed: bool = False,
) -> str:
    assert session.deadline is not None
    lines = [
        f"<b>{escape(motion_heading(motion, _))}</b>: {quoted(motion.title)}",
        f"<i>{escape(motion.resolution)}</i>",
        "",
    ]
    if recorded is not None:
        lines.append(recorded_line(recorded, _))
    elif closed:
        lines.append(_("Voting has ended; you did not vote on this resolution."))
    else:
        lines.append(
            _("How do you vote? You can vote until {deadline}.", deadline=when(session.deadline, _))
        )
    return "\n".join(lines)


def recorded_line(vote: Vote, _: Translator) -> str:
    return _(
        "Your vote: <b>{choice}</b>, recorded on {time} ({platform}).",
        choice=choice_label(vote.choice, _),
        time=when(vote.cast_at, _),
        platform=platform_label(vote.platform, _),
    )


def vote_message(
    session: Session,
    motion: Motion,
    rules: CorrespondenceRules,
    _: Translator,
    *,
    recorded: Vote | None = None,
    closed: bool = False,
) -> OutgoingMessage:
    assert motion.id is not None
    html = vote_html(session, motion, _, recorded=recorded, closed=closed)
    if recorded is not None or closed:
        return OutgoingMessage(html=html)
    row = tuple(
        Choice(choice_label(choice, _), vote_payload(motion.id, choice))
        for choice in allowed_choices(rules)
    )
    return OutgoingMessage(
        html=html,
        choices=(row,),
        poll_question=_("{heading}: how do you vote?", heading=motion_heading(motion, _)),
    )


@dataclass(frozen=True, slots=True)
class SentMessage:
    purpose: MessagePurpose
    motion_id: int | None
    ref: MessageRef


# One message of a member's set in one chat: (purpose, motion id, platform, chat id).
MessageKey = tuple[MessagePurpose, int | None, str, str]
OnSent = Callable[[SentMessage], Awaitable[None]]


def message_key(purpose: MessagePurpose, motion_id: int | None, chat: ChatRef) -> MessageKey:
    return (purpose, motion_id, str(chat.platform), chat.chat_id)


def idempotency_key(showing: str, session_id: int, person_id: int, key: MessageKey) -> str:
    """The same for every send of one message of a showing; a new showing (another reminder,
    a deliberate resend) names itself differently and gets new keys."""
    purpose, motion_id, platform, chat_id = key
    return (
        f"correspondence/{showing}/session {session_id}/person {person_id}/{purpose.value}/"
        f"{motion_id or '-'}/{platform}:{chat_id}"
    )


@dataclass(slots=True)
class MemberDelivery:
    """What became of a member's messages, chat by chat: the keys there now (sent by this call
    or before it), and why a chat did not get them."""

    there: set[MessageKey] = field(default_factory=set)
    refused: dict[ChatRef, str] = field(default_factory=dict)
    failed: dict[ChatRef, str] = field(default_factory=dict)
    chats: list[ChatRef] = field(default_factory=list)
    planned: list[tuple[MessagePurpose, int | None]] = field(default_factory=list)

    def complete_chats(self) -> list[ChatRef]:
        """Chats that hold every message of the set."""
        return [
            chat for chat in self.chats
            if all(message_key(purpose, motion, chat) in self.there for purpose, motion in self.planned)
        ]  # fmt: skip


async def material_files(
    repos: Repositories, materials: list[Material]
) -> tuple[OutgoingFile, ...]:
    files = []
    for material in materials:
        assert material.id is not None
        content = await repos.materials.get_content(material.id)
        if content is not None:
            files.append(OutgoingFile(material.filename, material.media_type, content))
    return tuple(files)


async def show_to_member(
    app: App,
    tally: SessionTally,
    person_id: int,
    *,
    with_files: bool,
    only_pending: bool,
    bulk: bool = False,
    already: frozenset[MessageKey] = frozenset(),
    on_sent: OnSent | None = None,
    delivery: MemberDelivery | None = None,
    idempotency: str = "",
) -> list[SentMessage]:
    """Send the invitation and the voting messages to every chat of the member.

    ``only_pending`` leaves out what the member already did (a confirmed invitation, motions
    voted on); reminders use it. ``bulk`` marks the messages as sent in bulk (the transport
    may pace them). ``already``: messages the chat holds from an interrupted earlier pass, not
    sent again. ``on_sent`` is awaited as each message is accepted (the sender records it at
    once, so a stop repeats at most the one message in flight); ``delivery`` collects what
    each chat got and why not. ``idempotency`` names this showing (e.g. "invitation",
    "reminder 2"): each message then carries a key of the showing, session, member, message
    and chat (:func:`idempotency_key`), so a send repeated after a crash shows once where the
    platform can tell (Matrix); "" (``/seje``, a deliberate new copy) sends fresh messages.
    Returns what was sent, for ``remember``.
    """
    read = app.db.read
    session, body = tally.session, tally.body
    assert session.id is not None
    person = await read.persons.get(person_id)
    if person is None:
        return []
    _ = Translator(person.language)
    motions = [motion.motion for motion in tally.motions]
    materials = await read.materials.list_for_session(session.id)
    confirmation = tally.confirmations.get(person_id)
    unconfirmed, unvoted = tally.pending_for(person_id)
    planned: list[tuple[MessagePurpose, int | None, OutgoingMessage | None]] = []
    if not only_pending or unconfirmed:
        planned.append((MessagePurpose.INVITATION, None, None))  # built once a chat needs it
    pending_ids = {m.motion.id for m in unvoted}
    for motion in tally.motions:
        if only_pending and motion.motion.id not in pending_ids:
            continue
        vote = replace(
            vote_message(
                session, motion.motion, tally.rules, _, recorded=motion.vote_of(person_id)
            ),
            bulk=bulk,
        )
        planned.append((MessagePurpose.VOTE, motion.motion.id, vote))
    delivery = delivery if delivery is not None else MemberDelivery()
    delivery.chats = await app.messenger.person_chats(person_id)
    delivery.planned = [(purpose, motion_id) for purpose, motion_id, _m in planned]
    invitation: OutgoingMessage | None = None
    sent: list[SentMessage] = []
    for chat in delivery.chats:
        for purpose, motion_id, message in planned:
            key = message_key(purpose, motion_id, chat)
            if key in already:
                delivery.there.add(key)
                continue
            if message is None:
                if invitation is None:
                    files = await material_files(read, materials) if with_files else ()
                    invitation = replace(
                        invitation_message(
                            session, body, motions, materials, tally.rules, _,
                            confirmation=confirmation, files=files,
                        ),
                        bulk=bulk,
                    )  # fmt: skip
                message = invitation
            if idempotency:
                message = replace(
                    message,
                    idempotency_key=idempotency_key(idempotency, session.id, person_id, key),
                )
            outcome = await app.messenger.send_to_chat(chat, message)
            if outcome.ref is None:
                if outcome.refused:
                    delivery.refused[chat] = outcome.refused
                else:
                    delivery.failed[chat] = outcome.failed
                break  # the rest of the set would not make sense in this chat without it
            item = SentMessage(purpose, motion_id, outcome.ref)
            delivery.there.add(key)
            sent.append(item)
            if on_sent is not None:
                await on_sent(item)
    return sent


async def remember(
    repos: Repositories, session_id: int, person_id: int, sent: list[SentMessage], at: datetime
) -> None:
    for item in sent:
        await repos.correspondence.messages.add(
            SessionMessage(
                id=None,
                session_id=session_id,
                person_id=person_id,
                purpose=item.purpose,
                motion_id=item.motion_id,
                platform=Platform(item.ref.chat.platform),
                chat_id=item.ref.chat.chat_id,
                message_id=item.ref.message_id,
                sent_at=at,
            )
        )


async def reshow(app: App, session_id: int, person_id: int) -> int:
    """``/seje``: show the member the session again; returns the number of messages sent."""
    session = await app.db.read.sessions.get(session_id)
    assert session is not None
    body = await app.db.read.bodies.get(session.body_id)
    assert body is not None
    tally = await load_tally(app.db.read, session_id, rules_of(app, body))
    sent = await show_to_member(app, tally, person_id, with_files=False, only_pending=False)
    async with app.db.transaction() as repos:
        await remember(repos, session_id, person_id, sent, app.now())
    return len(sent)
