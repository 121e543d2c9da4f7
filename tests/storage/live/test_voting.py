"""Votes at a live session on a real database: who may vote, when, how often, and the result."""

from __future__ import annotations

from datetime import timedelta

import aiosqlite

from bot.domain.models import Platform, VoteChoice, VoteKind
from bot.domain.outcomes import MotionReason
from bot.live.agenda import load_agenda
from bot.live.presence import confirm_presence
from bot.live.voting import (
    CastRefusal,
    OpenRefusal,
    cast_vote,
    close_vote,
    open_practice_vote,
    open_vote,
    round_result,
)
from storage.database import Database
from storage.repositories.live.rounds import ClosedBy
from tests.storage.live.factories import (
    STARTS,
    app_for,
    convened_session,
    later,
    live_council,
    open_with_present,
)


async def setup(db: Database, present: int = 12):  # type: ignore[no-untyped-def]
    app = app_for(db)
    body_id, people, _chair, _clerk = await live_council(db, members=15)
    session = await convened_session(db, app, body_id)
    await open_with_present(db, session.id or 0, people[:present])
    agenda = await load_agenda(db.read, session.id or 0)
    return app, session.id or 0, people, agenda


async def test_two_thirds_of_members_present_with_the_numbers(db: Database) -> None:
    app, sid, people, agenda = await setup(db, present=12)
    rules = app.rule_set("gornji-grad-2016")
    motion = agenda[0].motion
    assert motion is not None
    async with db.transaction() as repos:
        opened = await open_vote(repos, rules, sid, motion, STARTS, timedelta(minutes=2))
        assert opened.round is not None and not opened.new_checkpoint  # the start's check serves
        for index, person in enumerate(people[:12]):
            choice = VoteChoice.ZA if index < 8 else VoteChoice.PROTI
            outcome = await cast_vote(
                repos, rules, motion.id or 0, 1, person.id or 0, choice, later(1), Platform.MATRIX
            )
            assert outcome.recorded
        closed = await close_vote(repos, opened.round, later(1.5), ClosedBy.CHAIR)
        assert closed is not None
        result = await round_result(repos, rules, motion, closed)
    assert result.outcome is not None
    assert (result.outcome.present, result.outcome.za, result.outcome.proti) == (12, 8, 4)
    assert result.outcome.majority.needed == 8 and result.adopted  # at least 2/3 of 12


async def test_only_members_present_vote_once_and_in_time(db: Database) -> None:
    app, sid, people, agenda = await setup(db, present=10)
    rules = app.rule_set("gornji-grad-2016")
    motion = agenda[0].motion
    assert motion is not None
    async with db.transaction() as repos:
        opened = await open_vote(repos, rules, sid, motion, STARTS, timedelta(minutes=2))
        assert opened.round is not None
        mid = motion.id or 0
        absent = people[12].id or 0
        assert (
            await cast_vote(
                repos, rules, mid, 1, absent, VoteChoice.ZA, later(1), Platform.TELEGRAM
            )
        ).refusal is CastRefusal.NOT_PRESENT
        # Confirming presence during the vote makes the member eligible.
        await confirm_presence(repos, sid, absent, later(1), Platform.TELEGRAM)
        assert (
            await cast_vote(
                repos, rules, mid, 1, absent, VoteChoice.ZA, later(1), Platform.TELEGRAM
            )
        ).recorded
        again = await cast_vote(
            repos, rules, mid, 1, absent, VoteChoice.PROTI, later(1), Platform.TELEGRAM
        )
        assert again.refusal is CastRefusal.ALREADY_VOTED and again.earlier is not None
        assert again.earlier.choice is VoteChoice.ZA
        late = await cast_vote(
            repos, rules, mid, 1, people[0].id or 0, VoteChoice.ZA, later(2.5), Platform.TELEGRAM
        )
        assert late.refusal is CastRefusal.LATE
        abstain = await cast_vote(
            repos, rules, mid, 1, people[1].id or 0, VoteChoice.VZDRZAN, later(1), Platform.TELEGRAM
        )
        assert abstain.refusal is CastRefusal.NOT_ALLOWED  # art. 40(5): ZA or PROTI
        assert (
            await open_vote(repos, rules, sid, agenda[1].motion, STARTS, None)
        ).refusal is OpenRefusal.ANOTHER_VOTE_OPEN  # type: ignore[arg-type]
        await close_vote(repos, opened.round, later(3), ClosedBy.TIMER)
        closed = await repos.live.rounds.get(mid, 1)
        assert closed is not None and closed.closed_at == later(2)  # its set time
        after = await cast_vote(
            repos, rules, mid, 1, people[2].id or 0, VoteChoice.ZA, later(1), Platform.MATRIX
        )
        assert after.refusal is CastRefusal.CLOSED


async def test_the_presence_behind_a_result_is_frozen_when_the_vote_closes(db: Database) -> None:
    app, sid, people, agenda = await setup(db, present=9)
    rules = app.rule_set("gornji-grad-2016")
    motion = agenda[0].motion
    assert motion is not None
    async with db.transaction() as repos:
        opened = await open_vote(repos, rules, sid, motion, STARTS, None)
        assert opened.round is not None
        for person in people[:9]:
            await cast_vote(
                repos,
                rules,
                motion.id or 0,
                1,
                person.id or 0,
                VoteChoice.ZA if person.id != people[0].id else VoteChoice.PROTI,
                later(1),
                Platform.TELEGRAM,
            )
        closed = await close_vote(repos, opened.round, later(2), ClosedBy.CHAIR)
        assert closed is not None
        before = await round_result(repos, rules, motion, closed)
        # A confirmation arriving after the close does not change the announced result.
        for person in people[9:15]:
            await confirm_presence(repos, sid, person.id or 0, later(3), Platform.TELEGRAM)
        after = await round_result(repos, rules, motion, closed)
    assert before.outcome == after.outcome and after.outcome is not None
    assert after.outcome.present == 9


async def test_a_vote_is_repeated_once_on_an_objection_never_a_roll_call(db: Database) -> None:
    app, sid, _people, agenda = await setup(db)
    rules = app.rule_set("gornji-grad-2016")
    public, roll_call = agenda[0].motion, agenda[1].motion
    assert public is not None and roll_call is not None
    async with db.transaction() as repos:
        assert (
            await open_vote(repos, rules, sid, public, STARTS, None, repeat_reason="x")
        ).refusal is OpenRefusal.NOTHING_TO_REPEAT
        first = await open_vote(repos, rules, sid, public, STARTS, None)
        assert first.round is not None
        await close_vote(repos, first.round, later(1), ClosedBy.CHAIR)
        assert (
            await open_vote(repos, rules, sid, public, later(2), None)
        ).refusal is OpenRefusal.ALREADY_VOTED
        second = await open_vote(repos, rules, sid, public, later(2), None, repeat_reason="ugovor")
        assert second.round is not None and second.round.round == 2 and second.new_checkpoint
        assert second.round.repeat_reason == "ugovor"
        await close_vote(repos, second.round, later(3), ClosedBy.CHAIR)
        third = await open_vote(
            repos, rules, sid, public, later(4), None, repeat_reason="še enkrat"
        )
        assert third.refusal is OpenRefusal.REPEAT_LIMIT
        roll = await open_vote(repos, rules, sid, roll_call, later(5), None)
        assert roll.round is not None
        await close_vote(repos, roll.round, later(6), ClosedBy.CHAIR)
        again = await open_vote(
            repos, rules, sid, roll_call, later(7), None, repeat_reason="ugovor"
        )
        assert again.refusal is OpenRefusal.ROLL_CALL_NOT_REPEATED


async def test_an_inquorate_vote_decides_nothing(db: Database) -> None:
    app, sid, people, agenda = await setup(db, present=7)  # 7 of 15: no quorum (8 needed)
    rules = app.rule_set("gornji-grad-2016")
    motion = agenda[0].motion
    assert motion is not None
    async with db.transaction() as repos:
        opened = await open_vote(repos, rules, sid, motion, STARTS, None)
        assert opened.round is not None
        for person in people[:7]:
            await cast_vote(
                repos,
                rules,
                motion.id or 0,
                1,
                person.id or 0,
                VoteChoice.ZA,
                later(1),
                Platform.TELEGRAM,
            )
        closed = await close_vote(repos, opened.round, later(2), ClosedBy.CHAIR)
        assert closed is not None
        result = await round_result(repos, rules, motion, closed)
    assert result.outcome is not None and result.outcome.reason is MotionReason.NOT_QUORATE
    assert not result.adopted


async def test_a_secret_vote_keeps_who_voted_apart_from_the_ballots(
    db: Database, raw: aiosqlite.Connection
) -> None:
    app, sid, people, agenda = await setup(db, present=11)
    rules = app.rule_set("gornji-grad-2016")
    motion = agenda[2].motion
    assert motion is not None and motion.vote_kind is VoteKind.SECRET
    receipts = {}
    async with db.transaction() as repos:
        opened = await open_vote(repos, rules, sid, motion, STARTS, None)
        assert opened.round is not None
        for index, person in enumerate(people[:10]):
            outcome = await cast_vote(
                repos,
                rules,
                motion.id or 0,
                1,
                person.id or 0,
                VoteChoice.ZA if index < 6 else VoteChoice.PROTI,
                later(1),
                Platform.TELEGRAM,
            )
            assert outcome.recorded and outcome.receipt
            receipts[person.id] = outcome.receipt
        assert not await repos.votes.list_for_motion(motion.id or 0, 1)  # nothing named
        closed = await close_vote(repos, opened.round, later(2), ClosedBy.CHAIR)
        assert closed is not None
        result = await round_result(repos, rules, motion, closed)
    assert result.secret is not None
    report = result.secret.report
    assert (report.distributed, report.cast, report.invalid, report.valid) == (11, 10, 0, 10)
    assert (report.za, report.proti, result.secret.adopted) == (6, 4, True)
    assert sorted(r for r, _ in result.secret.receipts) == sorted(receipts.values())
    columns = [row[1] for row in await raw.execute_fetchall("PRAGMA table_info(secret_ballots)")]
    assert "person_id" not in columns and not any("at" in c.split("_") for c in columns)


async def test_a_practice_vote_is_open_to_the_whole_roll_and_off_the_agenda(db: Database) -> None:
    app, sid, people, agenda = await setup(db, present=0)
    rules = app.rule_set("gornji-grad-2016")
    async with db.transaction() as repos:
        practice = await open_practice_vote(
            repos, sid, "Poskus", "Ali vidite gumbe?", VoteKind.PUBLIC, STARTS, None
        )
        assert practice.checkpoint is None
        assert (
            await cast_vote(
                repos,
                rules,
                practice.motion_id,
                1,
                people[14].id or 0,
                VoteChoice.ZA,
                later(1),
                Platform.TELEGRAM,
            )
        ).recorded
        closed = await close_vote(repos, practice, later(2), ClosedBy.CHAIR)
        assert closed is not None
        motion = await repos.motions.get(practice.motion_id)
        assert motion is not None
        result = await round_result(repos, rules, motion, closed)
        assert result.practice and result.outcome is not None and result.outcome.za == 1
        assert [item.title for item in await load_agenda(repos, sid)] == [
            item.title for item in agenda
        ]
