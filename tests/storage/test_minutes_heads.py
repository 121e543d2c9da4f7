"""The head of the audit trail that a correspondence session's minutes and result messages cite:
recorded once, at the closing; a later regeneration shows that head and says whether the trail
still has it; ``sejabot audit verify`` checks the recorded heads against the trail."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from bot.app import App
from bot.audit.trail import closing_head, describe_discrepancy, verify
from bot.correspondence.closing import close_due_sessions, result_html
from bot.correspondence.minutes import build_minutes, gather_minutes
from bot.correspondence.tally import load_tally
from bot.domain.audit_chain import ChainHead, entry_hash
from bot.domain.audit_findings import FactTable, Mismatch
from bot.domain.models import VoteChoice
from bot.i18n import Translator
from bot.reports.render_text import to_markdown
from storage.database import Database
from tests.storage.correspondence.test_services import (
    DEADLINE,
    GRACE,
    app,
    body_with_members,
    clock,
    confirm,
    opened,
    vote,
)


async def closed_session(app: App, clock) -> int:  # type: ignore[no-untyped-def]
    body, members, _chair = await body_with_members(app.db)
    session_id, [motion_id] = await opened(app, body)
    await confirm(app, session_id, members[:7])
    for person_id in members[:7]:
        await vote(app, motion_id, person_id, VoteChoice.ZA)
    clock.moment = DEADLINE + GRACE
    assert await close_due_sessions(app, GRACE) == [session_id]
    return session_id


async def minutes_text(app: App, session_id: int, now: datetime) -> str:
    facts = await gather_minutes(app.db.read, session_id, lambda b: app.rule_set(b.rule_set), now)
    return to_markdown(build_minutes(facts, Translator("sl")))


def rewrite(path, statements: list[str]) -> None:  # type: ignore[no-untyped-def]
    with sqlite3.connect(path) as connection:
        for trigger in ("audit_log_no_update", "audit_log_no_delete", "audit_log_append_only"):
            connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            connection.execute(statement)


async def test_the_closing_records_the_head_the_minutes_and_results_cite(
    app: App,
    clock,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    session_id = await closed_session(app, clock)
    recorded = await app.db.read.minutes_heads.get(session_id)
    closed = [e for e in await app.db.read.audit.for_subject(f"session:{session_id}")
              if e.kind == "session_closed"]  # fmt: skip
    assert recorded is not None and recorded.head == ChainHead(closed[-1].seq, closed[-1].hash)
    head = recorded.head

    # The members' result message carries it as `audit verify --anchor` takes it.
    session = await app.db.read.sessions.get(session_id)
    body = await app.db.read.bodies.get(session.body_id)
    tally = await load_tally(app.db.read, session_id, app.rule_set(body.rule_set).correspondence)
    outcomes = await app.db.read.correspondence.outcomes.list_for_session(session_id)
    html = result_html(tally, outcomes, Translator("sl"), for_clerk=False,
                       head=await closing_head(app.db, session_id))  # fmt: skip
    assert f"Revizijska sled ob zaključku: {head.seq}:{head.hash[:16]}" in html

    # Later entries (another session, say) do not change the head the minutes show.
    async with app.db.transaction() as repos:
        await repos.audit.append("outcome", "motion:999/round:1", "system", {}, clock())
    text = await minutes_text(app, session_id, clock())
    assert f"Revizijska sled: zapis {head.seq}, {head.hash[:16]}…" in text
    assert "revizijska sled ta zapis še vedno vsebuje nespremenjen" in text
    assert (await verify(app.db)).intact


async def test_a_regeneration_after_the_trail_was_rewritten_says_so(
    app: App,
    clock,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    session_id = await closed_session(app, clock)
    head = (await app.db.read.minutes_heads.get(session_id)).head
    entry = (await app.db.read.audit.entries_after(head.seq - 1, 1))[0]
    forged = entry_hash(entry.seq, entry.recorded_at, entry.kind, entry.subject, entry.actor,
                        '{"reason":"chair"}', entry.prev_hash)  # fmt: skip
    rewrite(db.path, [
        f"DELETE FROM audit_log WHERE seq > {head.seq}",
        (f"UPDATE audit_log SET details = '{{\"reason\":\"chair\"}}', hash = '{forged}', "
        f"mac = NULL WHERE seq = {head.seq}"),
    ])  # fmt: skip
    text = await minutes_text(app, session_id, clock())
    assert f"Revizijska sled: zapis {head.seq}, {head.hash[:16]}…" in text  # the head as made
    assert (
        "OPOZORILO: revizijska sled se je spremenila, odkar je bil ta zapisnik prvič izdelan"
        in text
        and f"zapis {head.seq} ima zdaj zgoščeno vrednost {forged[:16]}" in text
    )
    result = await verify(app.db)
    heads = [d for d in result.discrepancies if d.table is FactTable.MINUTES_HEADS]
    assert [(d.mismatch, d.field) for d in heads] == [(Mismatch.CHANGED, "hash")]
    assert describe_discrepancy(heads[0], Translator("en")) == (
        f"minutes_heads: the minutes of session {session_id} were made at entry {head.seq} with "
        f"hash {head.hash[:16]}, but that entry now has hash {forged[:16]}: the trail was "
        "rewritten."
    )

    rewrite(db.path, [f"DELETE FROM audit_log WHERE seq >= {head.seq}"])
    text = await minutes_text(app, session_id, clock())
    assert f"zapisa {head.seq} v njej ni več" in text


@pytest.mark.parametrize("column", ["seq", "mac"])
async def test_a_changed_minutes_head_is_found(
    app: App,
    clock,
    db: Database,
    column: str,  # type: ignore[no-untyped-def]
) -> None:
    session_id = await closed_session(app, clock)
    value = "1" if column == "seq" else "'" + "0" * 64 + "'"
    rewrite(db.path, [f"UPDATE minutes_heads SET {column} = {value}"])
    result = await verify(app.db)
    [found] = [d for d in result.discrepancies if d.table is FactTable.MINUTES_HEADS]
    assert "is not signed by this server" in describe_discrepancy(found, Translator("en"))
    assert found.key == (session_id,)
