"""Closing a correspondence session at its deadline and announcing the result.

Closing (once, claimed in the database) closes every vote round, computes each motion's
outcome with the body's rule set (quorate or not, adopted or not, referred to an extraordinary
or the next regular session when somebody voted PROTI) and stores it with the numbers behind
it. A session whose deadline passed while the bot was down is closed at start.

Announcing (once as well) edits the clerks' live tally into its final state, takes the spent
buttons off the members' messages, tells every member the result and sends the clerks a final
summary with a chart and the minutes as an editable DOCX draft and a PDF; each exactly once,
across stops, crashes and restarts (bot/send_ledger.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from bot import send_ledger
from bot.audit.trail import chain_head, closing_head, result_head_line
from bot.correspondence.invitations import invitation_message, rules_of, vote_message
from bot.correspondence.minutes import build_minutes, gather_minutes
from bot.correspondence.results import session_outcomes
from bot.correspondence.tally import (
    SessionTally,
    clerk_ids,
    load_tally,
    message_ref,
    refresh_tallies,
)
from bot.correspondence.wording import (
    adoption_sentence,
    choice_label,
    counts_line,
    motion_heading,
    quorum_sentence,
    quoted,
    verdict_word,
    when,
)
from bot.domain.audit_chain import (
    SYSTEM_ACTOR,
    AuditKind,
    ChainHead,
    DetailValue,
    motion_round_subject,
    session_subject,
)
from bot.domain.models import Body, SessionStatus, VoteChoice
from bot.i18n import Translator
from bot.reports import render
from bot.reports.charts import bar_chart
from bot.transport.events import MessageRef, OutgoingFile, OutgoingMessage
from storage.repositories.correspondence.messages import MessagePurpose
from storage.repositories.correspondence.outcomes import StoredOutcome
from storage.repositories.correspondence.progress import Milestone
from storage.repositories.send_ledger import SendBatch

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


def closes_at(deadline: datetime, grace: timedelta) -> datetime:
    """Actions stamped before the deadline may arrive a little later; closing waits for them."""
    return deadline + grace


async def close_due_sessions(
    app: App, grace: timedelta, not_before: datetime | None = None
) -> list[int]:
    """Close every running session whose deadline plus ``grace`` has passed.

    ``not_before`` holds all closing back until then (after a start: see the feature).
    """
    now = app.now()
    if not_before is not None and now < not_before:
        return []
    closed = []
    for session_id in await app.db.read.correspondence.progress.running():
        session = await app.db.read.sessions.get(session_id)
        if session is None or session.deadline is None:
            continue
        if closes_at(session.deadline, grace) <= now and await close_session(app, session_id):
            closed.append(session_id)
    return closed


async def close_session(app: App, session_id: int) -> bool:
    """Close the votes and store the outcomes, once; False if another caller did it."""
    now = app.now()
    async with app.db.transaction() as repos:
        session = await repos.sessions.get(session_id)
        if session is None or session.status is not SessionStatus.OPEN:
            return False
        if not await repos.correspondence.progress.claim(session_id, Milestone.CLOSED, now):
            return False
        body = await repos.bodies.get(session.body_id)
        assert body is not None
        rule_set = app.rule_set(body.rule_set)
        for motion in await repos.motions.list_for_session(session_id):
            assert motion.id is not None
            vote_round = await repos.rounds.latest(motion.id)
            if vote_round is not None and vote_round.is_open:
                await repos.rounds.close(motion.id, vote_round.round, now)
        tally = await load_tally(repos, session_id, rule_set.correspondence)
        outcomes = session_outcomes(tally, rule_set.name, now)
        for outcome in outcomes:
            await repos.correspondence.outcomes.add(outcome)
            await repos.audit.append(
                AuditKind.OUTCOME, motion_round_subject(outcome.motion_id, outcome.round),
                SYSTEM_ACTOR, outcome_facts(outcome), now,
            )  # fmt: skip
        await repos.sessions.set_status(session_id, SessionStatus.CLOSED, at=now)
        # Last in the transaction: its entry is the head of the audit trail the minutes cite.
        await repos.audit.append(
            AuditKind.SESSION_CLOSED, session_subject(session_id), SYSTEM_ACTOR,
            {"reason": "deadline", "members": tally.member_count, "confirmed": tally.confirmed,
             "voted": len(tally.voter_ids)},
            now,
        )  # fmt: skip
        # The minutes and the members' result messages cite this head: recorded once, here,
        # so that a later regeneration shows it and can tell whether the trail still has it.
        await repos.minutes_heads.record(session_id, await chain_head(repos), now)
    log.info("correspondence session %s closed: %s", session_id,
             [(o.motion_id, o.reason.value) for o in outcomes])  # fmt: skip
    return True


def outcome_facts(outcome: StoredOutcome) -> dict[str, DetailValue]:
    """The audit trail's record of an outcome: the verdict and the numbers behind it."""
    if outcome.adopted:
        result = "adopted"
    elif not outcome.quorate:
        result = "not_quorate"
    else:
        result = "rejected"
    return {
        "result": result,
        "reason": outcome.reason.value,
        "referred": outcome.referred,
        "quorum_needed": outcome.quorum_needed,
        "confirmed": outcome.confirmed,
        "needed": outcome.adoption_needed,
        "got": outcome.adoption_got,
        "za": outcome.za,
        "proti": outcome.proti,
        "vzdrzan": outcome.vzdrzan,
    }


RESULTS_KIND = "correspondence_results"
SUMMARY_KIND = "correspondence_summary"


async def announce_unsent_results(app: App) -> None:
    # Results a stop or a crash interrupted go on first, to the members not yet told.
    await send_ledger.resume(app, (RESULTS_KIND, SUMMARY_KIND))
    for session_id in await app.db.read.correspondence.progress.results_unsent():
        await announce_results(app, session_id)


async def announce_results(app: App, session_id: int) -> bool:
    """Tell everyone the result, once; False if it was told before.

    Exactly once (issue 15): the claim stores the members and the clerks to tell as batches
    (bot/send_ledger.py) in the same transaction; each member's spent buttons are
    taken off and the result sent and recorded as the platform accepts it, so a stop or a
    crash leaves the members not yet told to the next pass and tells nobody twice."""
    now = app.now()
    async with app.db.transaction() as repos:
        if not await repos.correspondence.progress.claim(session_id, Milestone.RESULTS_SENT, now):
            return False
        session = await repos.sessions.get(session_id)
        assert session is not None
        body = await repos.bodies.get(session.body_id)
        assert body is not None
        tally = await load_tally(repos, session_id, rules_of(app, body))
        detail = {"session": session_id}
        await send_ledger.plan(repos, RESULTS_KIND, str(session_id),
                               [(p, {}) for p in tally.member_ids], now, detail)  # fmt: skip
        await send_ledger.plan(repos, SUMMARY_KIND, str(session_id),
                               [(c, {}) for c in await clerk_ids(repos, body.id or 0)], now, detail)  # fmt: skip
    await send_ledger.run_planned(app, RESULTS_KIND, str(session_id))
    await send_ledger.run_planned(app, SUMMARY_KIND, str(session_id))
    return True


async def _session_parts(app: App, session_id: int) -> tuple[SessionTally, Body]:
    read = app.db.read
    session = await read.sessions.get(session_id)
    assert session is not None
    body = await read.bodies.get(session.body_id)
    assert body is not None
    return await load_tally(read, session_id, rules_of(app, body)), body


async def _final_tallies(app: App, batch: SendBatch) -> None:
    """The clerks' live tally in its final state (an edit: safe to repeat on a resumed pass)."""
    session_id = int(batch.detail["session"])
    tally, _body = await _session_parts(app, session_id)
    await refresh_tallies(app, session_id, tally.rules, final=True)


async def _tell_member_once(recipient: send_ledger.Recipient) -> None:
    """A member's invitation and ballots lose their buttons (Matrix: polls end), then the
    result; each step recorded, so a resumed pass does only what is left."""
    app = recipient.app
    session_id = int(recipient.batch.detail["session"])
    tally, _body = await _session_parts(app, session_id)
    if not any(recipient.holds("spent", chat) for chat in recipient.chats):
        await _spend_member_messages(app, tally, recipient.person_id)
        for chat in recipient.chats:  # a marker: the edits are done (not a message of its own)
            await recipient.record("spent", MessageRef(chat, "-"))
    outcomes = await app.db.read.correspondence.outcomes.list_for_session(session_id)
    head = await closing_head(app.db.read, session_id)
    person = await app.db.read.persons.get(recipient.person_id)
    if person is None:
        return
    _ = Translator(person.language)
    message = OutgoingMessage(html=result_html(tally, outcomes, _, for_clerk=False, head=head))
    await recipient.send("result", message)


async def _summary_to_clerk(recipient: send_ledger.Recipient) -> None:
    app = recipient.app
    session_id = int(recipient.batch.detail["session"])
    tally, _body = await _session_parts(app, session_id)
    outcomes = await app.db.read.correspondence.outcomes.list_for_session(session_id)
    head = await closing_head(app.db.read, session_id)
    clerk = await app.db.read.persons.get(recipient.person_id)
    if clerk is None:
        return
    _ = Translator(clerk.language)
    files: list[OutgoingFile] = []
    if outcomes:
        png = await asyncio.to_thread(chart_png, tally, outcomes, _)
        files.append(OutgoingFile(f"dopisna-seja-{session_id}.png", "image/png", png))
    files.extend(await minutes_files(app, session_id, _))
    message = OutgoingMessage(html=result_html(tally, outcomes, _, for_clerk=True, head=head),
                              files=tuple(files))  # fmt: skip
    await recipient.send("summary", message)


async def _spend_member_messages(app: App, tally: SessionTally, person_id: int) -> None:
    """A member's invitation and voting messages lose their buttons (Matrix: polls end)."""
    read = app.db.read
    session = tally.session
    assert session.id is not None
    motions = {m.motion.id: m for m in tally.motions}
    materials = await read.materials.list_for_session(session.id)
    person = await read.persons.get(person_id)
    _ = Translator(person.language if person else None)
    for purpose in (MessagePurpose.INVITATION, MessagePurpose.VOTE):
        for stored in await read.correspondence.messages.list(
            session.id, purpose, person_id=person_id
        ):
            if purpose is MessagePurpose.INVITATION:
                message = invitation_message(
                    session, tally.body, [m.motion for m in tally.motions], materials,
                    tally.rules, _, confirmation=tally.confirmations.get(stored.person_id),
                    closed=True,
                )  # fmt: skip
            else:
                motion = motions.get(stored.motion_id)
                if motion is None:
                    continue
                message = vote_message(session, motion.motion, tally.rules, _,
                                       recorded=motion.vote_of(stored.person_id), closed=True)  # fmt: skip
            await app.messenger.edit(message_ref(stored), message)


def result_html(
    tally: SessionTally,
    outcomes: list[StoredOutcome],
    _: Translator,
    *,
    for_clerk: bool,
    head: ChainHead | None = None,
) -> str:
    """The result for members and clerks; ``head``, the audit trail's head at the closing, is
    printed as ``sejabot audit verify --anchor`` takes it, so any member's copy can prove later
    that the trail was not rewritten."""
    session = tally.session
    assert session.deadline is not None
    lines = [
        "<b>" + _("The correspondence session {title} is closed.", title=quoted(session.title))
        + "</b>",
        escape(tally.body.name),
        _("It ran until {deadline}.", deadline=when(session.deadline, _)),
    ]  # fmt: skip
    if not outcomes:
        lines.append(_("Nobody was invited, so there is no outcome."))
        return "\n".join(lines)
    lines.append(quorum_sentence(outcomes[0], _))
    by_id = {outcome.motion_id: outcome for outcome in outcomes}
    for motion in tally.motions:
        outcome = by_id.get(motion.motion.id or 0)
        if outcome is None:
            continue
        lines.append("")
        lines.append(f"<b>{escape(motion_heading(motion.motion, _))}</b>: "
                     f"{quoted(motion.motion.title)}: <b>{verdict_word(outcome, _)}</b>")  # fmt: skip
        lines.append(escape(adoption_sentence(outcome, _)))
        lines.append(counts_line(outcome, _, abstention=tally.rules.allow_abstention))
    if head is not None:
        lines.append("")
        lines.append(escape(result_head_line(head, _)))
    if for_clerk:
        lines.append("")
        lines.append(_("The minutes are attached as an editable draft (DOCX) and as a PDF. "
                       "Their approval goes on the agenda of the next regular session."))  # fmt: skip
    return "\n".join(lines)


def chart_png(tally: SessionTally, outcomes: list[StoredOutcome], _: Translator) -> bytes:
    """Delivery confirmed and each resolution's votes as one horizontal bar chart."""
    labels = [_("Delivery confirmed"), _("Not confirmed")]
    values: list[float] = [tally.confirmed, tally.member_count - tally.confirmed]
    by_id = {outcome.motion_id: outcome for outcome in outcomes}
    choices = [VoteChoice.ZA, VoteChoice.PROTI]
    if tally.rules.allow_abstention:
        choices.append(VoteChoice.VZDRZAN)
    for motion in tally.motions:
        outcome = by_id.get(motion.motion.id or 0)
        if outcome is None:
            continue
        prefix = f"{motion.motion.position}. " if len(tally.motions) > 1 else ""
        counts = {VoteChoice.ZA: outcome.za, VoteChoice.PROTI: outcome.proti,
                  VoteChoice.VZDRZAN: outcome.vzdrzan}  # fmt: skip
        for choice in choices:
            labels.append(f"{prefix}{choice_label(choice, _)}")
            values.append(counts[choice])
        labels.append(f"{prefix}{_('Did not vote')}")
        values.append(outcome.member_count - outcome.voted)
    title = _("{title}: {count} members", title=tally.session.title, count=tally.member_count)
    return bar_chart(title, labels, values, horizontal=True, language=_.language)


async def minutes_files(app: App, session_id: int, _: Translator) -> tuple[OutgoingFile, ...]:
    """The minutes as DOCX (to edit) and PDF, rendered off the event loop."""
    facts = await gather_minutes(
        app.db.read, session_id, lambda body: app.rule_set(body.rule_set), app.now(),
        app.settings.zone,
    )  # fmt: skip
    doc = build_minutes(facts, _)
    files = []
    for fmt in ("docx", "pdf"):
        content, media_type, extension = await asyncio.to_thread(render, doc, fmt)
        files.append(
            OutgoingFile(f"zapisnik-dopisna-seja-{session_id}.{extension}", media_type, content)
        )
    return tuple(files)


send_ledger.register(RESULTS_KIND, _tell_member_once, before=_final_tallies)
send_ledger.register(SUMMARY_KIND, _summary_to_clerk)
