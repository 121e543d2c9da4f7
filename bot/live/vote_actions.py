"""Votes and elections at a live session with the messages they cause.

Opening a vote sends the ballot to the members present at its presence check and asks the
others to confirm presence first (their ballot follows the confirmation). Closing it, by the
chair or by its timer, announces the result with its numbers to everyone; a secret round adds
the list of receipts with their choices. The ballots nobody used lose their buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import send_ledger
from bot.audit.trail import chain_head
from bot.domain.audit_chain import SYSTEM_ACTOR, ChainHead
from bot.domain.models import Election, Motion, VoteKind
from bot.domain.rules import RuleSet
from bot.i18n import Translator
from bot.live import payloads
from bot.live.agenda import (
    everyone,
    item_for_election,
    item_for_motion,
    load_agenda,
    persons_by_id,
    session_context,
)
from bot.live.audit import record_election_outcome, record_motion_outcome
from bot.live.ballot_closing import BallotClosing, close_ballots
from bot.live.effects import Effects
from bot.live.elections import (
    ElectionOpenOutcome,
    ballot_candidates,
    close_election_round,
    election_result,
    first_letter,
    open_election_round,
)
from bot.live.voting import (
    ARRIVAL_GRACE,
    OpenOutcome,
    close_vote,
    has_voted,
    open_practice_vote,
    open_vote,
    round_result,
)
from bot.live.wording.common import session_name
from bot.live.wording.results import (
    election_receipt_lines,
    election_result_lines,
    motion_result_lines,
    receipt_lines,
)
from bot.live.wording.votes import (
    ballot_message,
    closed_ballot,
    election_ballot,
    election_heading,
    presence_request,
    secret_ballot_terms,
    vote_heading,
)
from bot.transport.events import OutgoingMessage
from storage.columns import parse_utc, utc_text
from storage.repositories import Repositories
from storage.repositories.live.elections import LiveElectionRound
from storage.repositories.live.rounds import ClosedBy, LiveRound
from storage.repositories.send_ledger import SendBatch

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


async def rule_set_of(repos: Repositories, app: App, session_id: int) -> RuleSet:
    context = await session_context(repos, session_id)
    return app.rule_set(context.body.rule_set if context else app.settings.default_rule_set)


async def _session_title(repos: Repositories, session_id: int, _: Translator) -> str:
    context = await session_context(repos, session_id)
    return session_name(context.session, context.body.name, _) if context else ""


async def _motion_ballot(
    repos: Repositories, app: App, live_round: LiveRound, _: Translator
) -> OutgoingMessage | None:
    motion = await repos.motions.get(live_round.motion_id)
    if motion is None:
        return None
    item = item_for_motion(await load_agenda(repos, live_round.session_id), live_round.motion_id)
    return ballot_message(
        motion,
        item.number if item else None,
        live_round.round,
        await rule_set_of(repos, app, live_round.session_id),
        live_round.closes_at,
        live_round.repeat_reason,
        _,
    )


async def _election_ballot(
    repos: Repositories, app: App, live_round: LiveElectionRound, _: Translator
) -> OutgoingMessage | None:
    election = await repos.elections.get(live_round.election_id)
    if election is None:
        return None
    rule_set = await rule_set_of(repos, app, live_round.session_id)
    item = item_for_election(
        await load_agenda(repos, live_round.session_id), live_round.election_id
    )
    letter = (
        first_letter(election)
        if live_round.stage == 1 and rule_set.elections.alphabet_start_by_lot
        else ""
    )
    return election_ballot(
        election,
        item.number if item else None,
        live_round.round,
        live_round.stage,
        await ballot_candidates(repos, election, live_round.round),
        0,
        live_round.closes_at,
        letter,
        _,
        terms=secret_ballot_terms(rule_set, _),
    )


async def send_open_ballots(
    repos: Repositories, app: App, session_id: int, person_id: int, effects: Effects
) -> None:
    """Sends a present member the ballot of every open vote they have not voted in yet."""
    person = await repos.persons.get(person_id)
    if person is None:
        return
    _ = Translator(person.language)
    present_at: dict[int, bool] = {}

    async def is_present(checkpoint: int | None) -> bool:
        if checkpoint is None:
            return True
        if checkpoint not in present_at:
            present_at[checkpoint] = person_id in await repos.live.presence.present(
                session_id, checkpoint
            )
        return present_at[checkpoint]

    for live_round in await repos.live.rounds.open_rounds(session_id):
        if live_round.checkpoint is None or not await is_present(live_round.checkpoint):
            continue
        if await has_voted(repos, live_round, person_id):
            continue
        message = await _motion_ballot(repos, app, live_round, _)
        if message is not None:
            effects.send(person_id, message)
    for election_round in await repos.live.elections.open_rounds(session_id):
        if not await is_present(election_round.checkpoint):
            continue
        voters = await repos.elections.participants(
            election_round.election_id, election_round.round
        )
        if person_id in voters:
            continue
        message = await _election_ballot(repos, app, election_round, _)
        if message is not None:
            effects.send(person_id, message)


async def _distribute(
    repos: Repositories,
    app: App,
    session_id: int,
    checkpoint: int,
    new_checkpoint: bool,
    effects: Effects,
) -> None:
    """Ballots to members present at the check; a presence request to the others."""
    present = set(await repos.live.presence.present(session_id, checkpoint))
    roll_ids = await repos.live.sessions.roll(session_id)
    for person_id, person in (await persons_by_id(repos, roll_ids)).items():
        if person_id in present:
            await send_open_ballots(repos, app, session_id, person_id, effects)
            continue
        _ = Translator(person.language)
        reason = _("a vote is starting; your ballot follows your confirmation")
        effects.send(
            person_id,
            presence_request(await _session_title(repos, session_id, _), session_id, reason, _),
        )
    if new_checkpoint:
        effects.new_panels.add(session_id)
    else:
        effects.panels.add(session_id)


async def start_vote(
    repos: Repositories,
    app: App,
    session_id: int,
    motion: Motion,
    now: datetime,
    duration: timedelta | None,
    repeat_reason: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> tuple[OpenOutcome, Effects]:
    effects = Effects()
    rule_set = await rule_set_of(repos, app, session_id)
    outcome = await open_vote(
        repos,
        rule_set,
        session_id,
        motion,
        now,
        duration,
        repeat_reason=repeat_reason,
        actor=actor,
    )
    if outcome.round is None or outcome.checkpoint is None:
        return outcome, effects
    await _distribute(
        repos, app, session_id, outcome.checkpoint.checkpoint, outcome.new_checkpoint, effects
    )
    if outcome.round.closes_at is not None:
        effects.deadlines.append(outcome.round.closes_at + ARRIVAL_GRACE)
    return outcome, effects


async def start_election(
    repos: Repositories,
    app: App,
    session_id: int,
    election: Election,
    now: datetime,
    duration: timedelta | None,
    actor: str = SYSTEM_ACTOR,
) -> tuple[ElectionOpenOutcome, Effects]:
    effects = Effects()
    rule_set = await rule_set_of(repos, app, session_id)
    outcome = await open_election_round(repos, rule_set, session_id, election, now, duration, actor)
    if outcome.round is None or outcome.checkpoint is None:
        return outcome, effects
    await _distribute(
        repos, app, session_id, outcome.checkpoint.checkpoint, outcome.new_checkpoint, effects
    )
    if outcome.round.closes_at is not None:
        effects.deadlines.append(outcome.round.closes_at + ARRIVAL_GRACE)
    return outcome, effects


async def start_practice(
    repos: Repositories,
    app: App,
    session_id: int,
    vote_kind: VoteKind,
    now: datetime,
    duration: timedelta | None,
    _: Translator,
    actor: str = SYSTEM_ACTOR,
) -> tuple[LiveRound, Effects]:
    """A practice vote for the whole roll, in the language of whoever started it."""
    effects = Effects()
    live_round = await open_practice_vote(
        repos,
        session_id,
        _("Practice vote"),
        _("Do you see the buttons FOR and AGAINST and can you confirm your choice?"),
        vote_kind,
        now,
        duration,
        actor,
    )
    for person_id, person in (
        await persons_by_id(repos, await repos.live.sessions.roll(session_id))
    ).items():
        message = await _motion_ballot(repos, app, live_round, Translator(person.language))
        if message is not None:
            effects.send(person_id, message)
    effects.panels.add(session_id)
    if live_round.closes_at is not None:
        effects.deadlines.append(live_round.closes_at + ARRIVAL_GRACE)
    return live_round, effects


@dataclass(frozen=True, slots=True)
class _ClosedRound:
    """What the announcement of a closed vote or election round says, in any language."""

    session_id: int
    closed_at: datetime
    ballot_stems: tuple[str, ...]  # the payload stems of the round's ballot buttons
    heading: Callable[[Translator], str]  # the ballot's heading
    result: Callable[[Translator], list[str]]
    receipts: Callable[[Translator], list[str]] | None  # after a secret vote


# The announcement of a closed round goes through the send ledger (issue 15): the batch and its
# recipients are stored in the closing transaction, so a stop or a crash after the commit leaves
# the members not yet told to the next pass (at start and on every scan) instead of losing the
# result. The texts are computed again from the database when sent: the round is closed and its
# result is computed from what is stored (the same every time); the audit head the result cites
# is the one of the closing transaction, kept with the batch. The receipts of a secret vote are
# never written down anywhere but in their own tables.
RESULT_KIND = "live_result"


async def _plan_announcement(
    repos: Repositories, session_id: int, scope: str, detail: dict[str, object], now: datetime
) -> Effects:
    """In the closing transaction: everyone is to get the result (and the receipts after a
    secret vote); the quorum panels are brought up to date after the commit."""
    recipients = await everyone(repos, session_id)
    batch_id = await send_ledger.plan(
        repos, RESULT_KIND, scope, [(person_id, {}) for person_id in recipients], now,
        {**detail, "session": session_id},
    )  # fmt: skip
    effects = Effects()
    effects.batches.append(batch_id)
    effects.panels.add(session_id)
    return effects


def _head_detail(head: ChainHead) -> list[object]:
    return [head.seq, head.hash]


async def _motion_closed(
    repos: Repositories, app: App, detail: Mapping[str, Any]
) -> _ClosedRound | None:
    motion_id, round_number = int(detail["motion"]), int(detail["round"])
    closed = await repos.live.rounds.get(motion_id, round_number)
    motion = await repos.motions.get(motion_id)
    if closed is None or motion is None:
        return None
    rule_set = await rule_set_of(repos, app, closed.session_id)
    result = await round_result(repos, rule_set, motion, closed)
    head = ChainHead(int(detail["head"][0]), str(detail["head"][1]))
    item = item_for_motion(await load_agenda(repos, closed.session_id), motion_id)
    number = item.number if item else None
    return _ClosedRound(
        closed.session_id,
        parse_utc(str(detail["closed_at"])),
        payloads.motion_round_stems(motion_id, round_number),
        heading=lambda _: vote_heading(number, motion.title, _),
        result=lambda _: motion_result_lines(result, number, rule_set, _, head),
        receipts=(lambda _: receipt_lines(result, _)) if result.secret is not None else None,
    )


async def _election_closed(
    repos: Repositories, app: App, detail: Mapping[str, Any]
) -> _ClosedRound | None:
    election_id, round_number = int(detail["election"]), int(detail["round"])
    closed = await repos.live.elections.get_round(election_id, round_number)
    election = await repos.elections.get(election_id)
    if closed is None or election is None:
        return None
    rule_set = await rule_set_of(repos, app, closed.session_id)
    result = await election_result(repos, rule_set, election, closed)
    head = ChainHead(int(detail["head"][0]), str(detail["head"][1]))
    item = item_for_election(await load_agenda(repos, closed.session_id), election_id)
    number = item.number if item else None
    return _ClosedRound(
        closed.session_id,
        parse_utc(str(detail["closed_at"])),
        payloads.election_round_stems(election_id, round_number),
        heading=lambda _: election_heading(number, election, closed.stage, _),
        result=lambda _: election_result_lines(result, number, rule_set, _, head),
        receipts=(
            (lambda _: election_receipt_lines(result, _)) if result.outcome is not None else None
        ),
    )


async def _closed_round(app: App, batch: SendBatch) -> _ClosedRound | None:
    if "motion" in batch.detail:
        return await _motion_closed(app.db.read, app, batch.detail)
    return await _election_closed(app.db.read, app, batch.detail)


async def _close_round_ballots(app: App, batch: SendBatch) -> None:
    """Before a pass over the announcement: the ballots still open on members' screens are
    closed (safe to repeat: only those still offering buttons are edited)."""
    closed = await _closed_round(app, batch)
    if closed is None:
        return
    notices: dict[int, OutgoingMessage] = {}
    for person_id, person in (
        await persons_by_id(app.db.read, await everyone(app.db.read, closed.session_id))
    ).items():
        _ = Translator(person.language)
        notices[person_id] = closed_ballot(closed.heading(_), closed.closed_at, _)
    default = Translator()
    fallback = closed_ballot(closed.heading(default), closed.closed_at, default)
    await close_ballots(app, BallotClosing(closed.ballot_stems, notices, fallback))


async def _send_result(recipient: send_ledger.Recipient) -> None:
    """One person's announcement: the result, then the receipts after a secret vote."""
    app = recipient.app
    closed = await _closed_round(app, recipient.batch)
    person = await app.db.read.persons.get(recipient.person_id)
    if closed is None or person is None:
        recipient.skipped = True
        return
    _ = Translator(person.language)
    await recipient.send("result", OutgoingMessage(html="\n".join(closed.result(_))))
    if closed.receipts is not None:
        # Public, but the ballots' only copy stays in secret_ballots: computed again, never kept.
        await recipient.send(
            "receipts", OutgoingMessage(html="\n".join(closed.receipts(_)), secret=True)
        )


send_ledger.register(RESULT_KIND, _send_result, before=_close_round_ballots)


async def finish_round(
    repos: Repositories,
    app: App,
    live_round: LiveRound,
    now: datetime,
    closed_by: ClosedBy,
    actor: str = SYSTEM_ACTOR,
) -> Effects:
    """Closes a vote and announces its result to everyone (nothing if it was closed already).
    The announcement is a send-ledger batch (``Effects.batches``) run after the commit."""
    closed = await close_vote(repos, live_round, now, closed_by, actor)
    motion = await repos.motions.get(closed.motion_id) if closed is not None else None
    if closed is None or motion is None:
        return Effects()
    rule_set = await rule_set_of(repos, app, closed.session_id)
    result = await round_result(repos, rule_set, motion, closed)
    await record_motion_outcome(repos, result, now, actor)
    head = await chain_head(repos)  # in the closing transaction: the result cites it
    return await _plan_announcement(
        repos,
        closed.session_id,
        f"motion:{closed.motion_id}:{closed.round}",
        {
            "motion": closed.motion_id,
            "round": closed.round,
            "head": _head_detail(head),
            # a round whose time ran out closed at its set time
            "closed_at": utc_text(closed.closed_at or now),
        },
        now,
    )


async def finish_election_round(
    repos: Repositories,
    app: App,
    live_round: LiveElectionRound,
    now: datetime,
    closed_by: ClosedBy,
    actor: str = SYSTEM_ACTOR,
) -> Effects:
    """Closes an election round and announces its result to everyone."""
    closed = await close_election_round(repos, live_round, now, closed_by, actor)
    election = await repos.elections.get(closed.election_id) if closed is not None else None
    if closed is None or election is None:
        return Effects()
    rule_set = await rule_set_of(repos, app, closed.session_id)
    result = await election_result(repos, rule_set, election, closed)
    await record_election_outcome(repos, result, now, actor)
    head = await chain_head(repos)  # in the closing transaction: the result cites it
    return await _plan_announcement(
        repos,
        closed.session_id,
        f"election:{closed.election_id}:{closed.round}",
        {
            "election": closed.election_id,
            "round": closed.round,
            "head": _head_detail(head),
            "closed_at": utc_text(closed.closed_at or now),
        },
        now,
    )
