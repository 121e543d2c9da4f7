"""What members see while voting: the presence request, ballots, the confirmation step, refusals.

Every step tells the member exactly what is asked and, once recorded, exactly what was recorded
and when. A secret ballot's confirmation names the choice only to the voter, in their own chat.

Messages of secret votes and elections are :class:`SecretMessage` objects
(bot/transport/secrecy.py): each one that names a choice carries the same message for the other
choices, so a transport can give every choice the same size, and each ballot carries where the
rule set lets it go and what the member reads elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape

from bot.domain.models import Candidate, Election, Motion, Platform, VoteChoice, VoteKind
from bot.domain.rules import RuleSet
from bot.i18n import N_, Translator
from bot.live import payloads
from bot.live.voting import CastRefusal
from bot.live.wording.common import (
    choice_word,
    clock,
    command,
    majority_words,
    vote_kind_word,
    when,
)
from bot.transport.events import Choice, OutgoingMessage
from bot.transport.secrecy import BallotTerms, SecretMessage

CAST_REFUSALS: Mapping[CastRefusal, str] = {
    CastRefusal.NO_SUCH_ROUND: N_("This vote no longer exists."),
    CastRefusal.CLOSED: N_(
        "This vote was closed at {closed}, before your vote arrived; it was not counted."
    ),
    CastRefusal.LATE: N_(
        "The time for this vote ended at {closes}; your vote came at {at} and was not counted."
    ),
    CastRefusal.NOT_PRESENT: N_(
        'You have not confirmed your presence for this vote. Press "Present" first; the '
        "ballot will follow."
    ),
    CastRefusal.NOT_ON_ROLL: N_("Only members of the council vote at this session."),
    CastRefusal.ALREADY_VOTED: N_("You have already voted in this vote; each member votes once."),
    CastRefusal.NOT_ALLOWED: N_("This choice is not allowed in this vote."),
}


# Secret ballots kept off a platform by the rule set: why, and where to vote (by the platform
# that remains; the command is written as that platform spells it).
NOT_ALLOWED_HERE: Mapping[Platform, str] = {
    Platform.MATRIX: N_(
        "The rules of this body allow secret votes and elections only over Matrix, whose chats "
        "are end-to-end encrypted, so the ballot was not sent here. Vote in your chat with the "
        "bot on Matrix: write {command} there and the ballot follows. If you have no Matrix "
        "account linked with the bot, ask the municipal administration for help."
    ),
    Platform.TELEGRAM: N_(
        "The rules of this body allow secret votes and elections only over Telegram, so the "
        "ballot was not sent here. Vote in your chat with the bot on Telegram: write {command} "
        "there and the ballot follows. If you have no Telegram account linked with the bot, "
        "ask the municipal administration for help."
    ),
}
NOT_ALLOWED_ANYWHERE = N_(
    "The rules of this body allow secret votes and elections only over {platforms}, so the "
    "ballot was not sent here."
)
UNENCRYPTED_ROOM = N_(
    "This chat is not end-to-end encrypted, so the ballot of the secret vote was not sent here: "
    "whoever runs the server could read it. Turn on encryption in this room's settings "
    "(Security & Privacy), or start a new direct chat with the bot with encryption on; then "
    "write {command} there and the ballot follows."
)
TELEGRAM_NOTICE = N_(
    "Please note: chats with bots on Telegram are not end-to-end encrypted, so your choice in "
    "this secret vote passes through Telegram's servers."
)
TELEGRAM_NOTICE_MATRIX = N_(
    "If you have a Matrix account linked with the bot, you can vote there instead, in an "
    "encrypted chat."
)
PLATFORM_NAMES: Mapping[Platform, str] = {
    Platform.MATRIX: N_("Matrix"),
    Platform.TELEGRAM: N_("Telegram"),
}


def secret_ballot_terms(rule_set: RuleSet, _: Translator) -> BallotTerms:
    """Where the body's rules let a secret ballot go, and what the member reads elsewhere."""
    allowed = rule_set.live.secret_vote_transports
    present = "prisoten"
    if len(allowed) == 1:
        [only] = allowed
        not_allowed = _(NOT_ALLOWED_HERE[only], command=command(only, present))
    else:
        names = ", ".join(_(PLATFORM_NAMES[p]) for p in sorted(allowed) if p in PLATFORM_NAMES)
        not_allowed = _(NOT_ALLOWED_ANYWHERE, platforms=names)
    notices: tuple[tuple[Platform, str], ...] = ()
    if Platform.TELEGRAM in allowed:
        notice = _(TELEGRAM_NOTICE)
        if Platform.MATRIX in allowed:
            notice = f"{notice} {_(TELEGRAM_NOTICE_MATRIX)}"
        notices = ((Platform.TELEGRAM, f"<i>{notice}</i>"),)
    return BallotTerms(
        platforms=frozenset(allowed),
        not_allowed=not_allowed,
        unencrypted=_(UNENCRYPTED_ROOM, command=command(Platform.MATRIX, present)),
        readable_notices=notices,
    )


def presence_button(session_id: int, _: Translator) -> tuple[tuple[Choice, ...], ...]:
    return ((Choice(_("Present"), f"{payloads.PRESENT}:{session_id}"),),)


def presence_request(
    session_title: str, session_id: int, reason: str, _: Translator
) -> OutgoingMessage:
    question = _("Are you present at the session?")
    lines = [
        f"<b>{escape(session_title)}</b>",
        _("Presence is being established ({reason}).", reason=reason),
        question,
        _('If you are taking part in the session, press "Present" or write "Prisoten".'),
    ]
    return OutgoingMessage(
        html="\n".join(lines), choices=presence_button(session_id, _), poll_question=question
    )


def vote_heading(number: int | None, title: str, _: Translator) -> str:
    if number is None:
        return _("PRACTICE VOTE — it does not count")
    return _("Vote on item {number}: {title}", number=number, title=escape(title))


def ballot_lines(
    motion: Motion,
    number: int | None,
    round_number: int,
    rule_set: RuleSet,
    closes_at: datetime | None,
    repeat_reason: str,
    _: Translator,
) -> list[str]:
    lines = [f"<b>{vote_heading(number, motion.title, _)}</b>"]
    if repeat_reason:
        lines.append(
            _(
                "Repeated vote (vote {round}) on an objection: {reason}",
                round=round_number,
                reason=escape(repeat_reason),
            )
        )
    lines.append(_("Proposed resolution: {text}", text=f"<i>{escape(motion.resolution)}</i>"))
    lines.append(
        _(
            "{kind}; required majority: {majority}",
            kind=vote_kind_word(motion.vote_kind, _).capitalize(),
            majority=escape(majority_words(rule_set, motion.majority, _)),
        )
    )
    if motion.vote_kind is VoteKind.SECRET:
        lines.append(
            _(
                "The vote is secret: nobody can learn how you voted. You will get a receipt "
                "number to check your ballot in the published list."
            )
        )
    elif motion.vote_kind is VoteKind.ROLL_CALL:
        lines.append(_("Roll-call vote: your vote is recorded with your name in the minutes."))
    if closes_at is not None:
        lines.append(_("Voting is open until {time}.", time=clock(closes_at, _)))
    else:
        lines.append(_("Voting is open until the chair closes it."))
    return lines


def allowed_choices(rule_set: RuleSet, kind: VoteKind) -> list[VoteChoice]:
    choices = [VoteChoice.ZA, VoteChoice.PROTI]
    if rule_set.live.allow_abstention and kind is not VoteKind.SECRET:
        choices.append(VoteChoice.VZDRZAN)
    return choices


def ballot_message(
    motion: Motion,
    number: int | None,
    round_number: int,
    rule_set: RuleSet,
    closes_at: datetime | None,
    repeat_reason: str,
    _: Translator,
) -> OutgoingMessage:
    assert motion.id is not None
    lines = ballot_lines(motion, number, round_number, rule_set, closes_at, repeat_reason, _)
    lines.append(_("Choose, then confirm:"))
    buttons = tuple(
        Choice(
            choice_word(choice, _),
            payloads.vote_payload(payloads.BALLOT, motion.id, round_number, choice),
        )
        for choice in allowed_choices(rule_set, motion.vote_kind)
    )
    html, question = "\n".join(lines), vote_heading(number, motion.title, _)
    if motion.vote_kind is VoteKind.SECRET:
        return SecretMessage(
            html=html,
            choices=(buttons,),
            poll_question=question,
            secret=True,
            ballot=secret_ballot_terms(rule_set, _),
        )
    return OutgoingMessage(html=html, choices=(buttons,), poll_question=question)


def confirm_message(
    motion: Motion,
    number: int | None,
    round_number: int,
    choice: VoteChoice,
    _: Translator,
    *,
    terms: BallotTerms | None = None,
) -> OutgoingMessage:
    """Asks to confirm ``choice``; in a secret vote of the same size for every choice."""
    message = _confirm_message(motion, number, round_number, choice, _)
    if motion.vote_kind is not VoteKind.SECRET:
        return message
    others = tuple(
        _confirm_message(motion, number, round_number, other, _)
        for other in VoteChoice
        if other is not choice
    )
    return _secret(message, others, terms)


def _secret(
    message: OutgoingMessage,
    others: tuple[OutgoingMessage, ...],
    terms: BallotTerms | None = None,
) -> SecretMessage:
    return SecretMessage(
        html=message.html,
        choices=message.choices,
        poll_question=message.poll_question,
        secret=True,
        same_size_as=others,
        ballot=terms,
    )


def _confirm_message(
    motion: Motion, number: int | None, round_number: int, choice: VoteChoice, _: Translator
) -> OutgoingMessage:
    assert motion.id is not None
    word = choice_word(choice, _)
    question = _("Confirm your vote: {choice}?", choice=word)
    lines = [
        f"<b>{vote_heading(number, motion.title, _)}</b>",
        _("You chose {choice}.", choice=f"<b>{word}</b>"),
        _('Press "Confirm" to cast the vote, or "Back" to choose again.'),
    ]
    return OutgoingMessage(
        html="\n".join(lines),
        choices=(
            (
                Choice(
                    _("Confirm: {choice}", choice=word),
                    payloads.vote_payload(payloads.CONFIRM, motion.id, round_number, choice),
                ),
                Choice(_("Back"), f"{payloads.BACK}:{motion.id}:{round_number}"),
            ),
        ),
        poll_question=question,
    )


def recorded_message(
    motion: Motion,
    number: int | None,
    choice: VoteChoice,
    at: datetime,
    receipt: str,
    _: Translator,
) -> OutgoingMessage:
    """What was recorded; a secret ballot's receipt is of the same size for every choice."""
    message = _recorded_message(motion, number, choice, at, receipt, _)
    if not receipt:
        return message
    others = tuple(
        _recorded_message(motion, number, other, at, receipt, _)
        for other in VoteChoice
        if other is not choice
    )
    return _secret(message, others)


def _recorded_message(
    motion: Motion,
    number: int | None,
    choice: VoteChoice,
    at: datetime,
    receipt: str,
    _: Translator,
) -> OutgoingMessage:
    heading = f"<b>{vote_heading(number, motion.title, _)}</b>"
    word = f"<b>{choice_word(choice, _)}</b>"
    if receipt:
        lines = [
            heading,
            _("Your secret ballot {choice} was cast at {time}.", choice=word, time=clock(at, _)),
            _("Your receipt number: {receipt}", receipt=f"<code>{receipt}</code>"),
            _(
                "Keep it to yourself. When the vote closes, the list of receipts with their "
                "choices is published, so you can check that your ballot was counted."
            ),
        ]
    else:
        lines = [
            heading,
            _("Your vote {choice} was recorded at {time}.", choice=word, time=clock(at, _)),
        ]
    return OutgoingMessage(html="\n".join(lines))


def spent_ballot(heading: str, at: datetime, _: Translator) -> OutgoingMessage:
    """A ballot once used: no buttons, and a pointer to the confirmation that follows."""
    return OutgoingMessage(
        html=f"<b>{heading}</b>\n"
        + _("Your vote was cast at {time}; the confirmation follows.", time=clock(at, _))
    )


def closed_ballot(heading: str, closed_at: datetime, _: Translator) -> OutgoingMessage:
    """A ballot still unused when its vote closed: no buttons, and why they went."""
    return OutgoingMessage(
        html=f"<b>{heading}</b>\n"
        + _(
            "The vote was closed at {time}; this ballot can no longer be used. The result is "
            "in a message of its own.",
            time=clock(closed_at, _),
        )
    )


def refusal_text(refusal: CastRefusal, _: Translator, **params: object) -> str:
    values = {
        name: when(value, _) if isinstance(value, datetime) else value
        for name, value in params.items()
    }
    return _(CAST_REFUSALS[refusal], **values)


# --- election ballots ---------------------------------------------------------------------------


def election_heading(number: int | None, election: Election, stage: int, _: Translator) -> str:
    if stage == 2:
        return _("Election, second round: {title}", title=escape(election.title))
    return _("Election on item {number}: {title}", number=number, title=escape(election.title))


def election_ballot(
    election: Election,
    number: int | None,
    round_number: int,
    stage: int,
    ballot: Sequence[Candidate],
    mask: int,
    closes_at: datetime | None,
    letter: str,
    _: Translator,
    *,
    terms: BallotTerms | None = None,
) -> OutgoingMessage:
    """The ballot: one post is chosen with one press; several posts are marked, then cast.

    Its marks are secret: it has the same size with no marks and with all of them."""
    args = (election, number, round_number, stage, ballot)
    rest = (closes_at, letter, _)
    message = _election_ballot(*args, mask, *rest)
    full = (1 << len(ballot)) - 1
    others = tuple(_election_ballot(*args, other, *rest) for other in (0, full) if other != mask)
    return _secret(message, others, terms)


def _election_ballot(
    election: Election,
    number: int | None,
    round_number: int,
    stage: int,
    ballot: Sequence[Candidate],
    mask: int,
    closes_at: datetime | None,
    letter: str,
    _: Translator,
) -> OutgoingMessage:
    assert election.id is not None
    posts = election.posts if stage == 1 else 1
    heading = election_heading(number, election, stage, _)
    lines = [f"<b>{heading}</b>"]
    lines.append(
        _.plural(
            "Vote for at most {count} candidate.", "Vote for at most {count} candidates.", posts
        )
    )
    if letter:
        lines.append(
            _(
                "Candidates are listed by surname from the letter {letter}, drawn by lot.",
                letter=letter,
            )
        )
    if stage == 2:
        lines.append(_("Candidates are listed by their votes in the first round."))
    lines.append(
        _(
            "The vote is secret: nobody can learn how you voted. You will get a receipt "
            "number to check your ballot in the published list."
        )
    )
    if closes_at is not None:
        lines.append(_("Voting is open until {time}.", time=clock(closes_at, _)))
    rows: list[tuple[Choice, ...]] = []
    for index, candidate in enumerate(ballot):
        label = f"{index + 1}. {candidate.surname} {candidate.name}".strip()
        if posts == 1:
            payload = payloads.election_payload(
                payloads.ELECTION_ASK, election.id, round_number, 1 << index
            )
        else:
            label = ("☑ " if mask >> index & 1 else "☐ ") + label
            payload = payloads.election_payload(
                payloads.ELECTION_SHOW, election.id, round_number, mask ^ (1 << index)
            )
        rows.append((Choice(label, payload),))
    if posts > 1:
        rows.append(
            (
                Choice(
                    _("Cast the ballot"),
                    payloads.election_payload(
                        payloads.ELECTION_ASK, election.id, round_number, mask
                    ),
                ),
            )
        )
        lines.append(_('Mark your candidates, then press "Cast the ballot".'))
    else:
        lines.append(_("Press the candidate you vote for; you will be asked to confirm."))
        rows.append(
            (
                Choice(
                    _("Blank ballot"),
                    payloads.election_payload(payloads.ELECTION_ASK, election.id, round_number, 0),
                ),
            )
        )
    # Elections are secret (art. 43): the marks a member made are never kept with their chat.
    return OutgoingMessage(html="\n".join(lines), choices=tuple(rows), poll_question=heading)


def election_confirm(
    election: Election,
    number: int | None,
    round_number: int,
    stage: int,
    marked: Sequence[Candidate],
    mask: int,
    valid: bool,
    _: Translator,
    *,
    ballot: Sequence[Candidate] = (),
    terms: BallotTerms | None = None,
) -> OutgoingMessage:
    """Asks to confirm the marks. Of the same size whatever was marked: no text is longer than
    the one naming every candidate of ``ballot``, or the one naming nobody."""
    args = (election, number, round_number, stage)
    message = _election_confirm(*args, marked, mask, valid, _)
    full = (1 << len(ballot)) - 1
    others = tuple(
        _election_confirm(*args, every, every_mask, every_valid, _)
        for every, every_mask in ((ballot, full), ((), 0))
        for every_valid in (True, False)
    )
    return _secret(message, others, terms)


def _election_confirm(
    election: Election,
    number: int | None,
    round_number: int,
    stage: int,
    marked: Sequence[Candidate],
    mask: int,
    valid: bool,
    _: Translator,
) -> OutgoingMessage:
    assert election.id is not None
    heading = election_heading(number, election, stage, _)
    names = ", ".join(escape(f"{c.surname} {c.name}".strip()) for c in marked)
    lines = [f"<b>{heading}</b>"]
    if marked:
        lines.append(_("You marked: {names}.", names=f"<b>{names}</b>"))
    else:
        lines.append(_("You marked nobody."))
    if not valid:
        lines.append(_("This ballot will be cast but counted as invalid."))
    lines.append(_('Press "Confirm" to cast the ballot, or "Back" to change it.'))
    return OutgoingMessage(
        html="\n".join(lines),
        choices=(
            (
                Choice(
                    _("Confirm"),
                    payloads.election_payload(
                        payloads.ELECTION_CAST, election.id, round_number, mask
                    ),
                ),
                Choice(
                    _("Back"),
                    payloads.election_payload(payloads.ELECTION_SHOW, election.id, round_number, 0),
                ),
            ),
        ),
        poll_question=_("Confirm your ballot?"),
    )


def election_recorded(
    election: Election,
    number: int | None,
    stage: int,
    marked: Sequence[Candidate],
    valid: bool,
    at: datetime,
    receipt: str,
    _: Translator,
    *,
    ballot: Sequence[Candidate] = (),
) -> OutgoingMessage:
    """What was cast, with the receipt; of the same size whatever was marked."""
    args = (election, number, stage)
    message = _election_recorded(*args, marked, valid, at, receipt, _)
    others = tuple(
        _election_recorded(*args, every, every_valid, at, receipt, _)
        for every in (ballot, ())
        for every_valid in (True, False)
    )
    return _secret(message, others)


def _election_recorded(
    election: Election,
    number: int | None,
    stage: int,
    marked: Sequence[Candidate],
    valid: bool,
    at: datetime,
    receipt: str,
    _: Translator,
) -> OutgoingMessage:
    names = ", ".join(escape(f"{c.surname} {c.name}".strip()) for c in marked) or _("nobody")
    lines = [
        f"<b>{election_heading(number, election, stage, _)}</b>",
        _("Your secret ballot ({names}) was cast at {time}.", names=names, time=clock(at, _)),
    ]
    if not valid:
        lines.append(_("It is counted as an invalid ballot."))
    lines.append(_("Your receipt number: {receipt}", receipt=f"<code>{receipt}</code>"))
    lines.append(
        _(
            "Keep it to yourself. When the vote closes, the list of receipts with their "
            "choices is published, so you can check that your ballot was counted."
        )
    )
    return OutgoingMessage(html="\n".join(lines))
