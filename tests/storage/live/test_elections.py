"""Elections at a live session: ballot order by lot, two rounds, lack of ballots, new nomination."""

from __future__ import annotations

from bot.domain.lot import draw_letter
from bot.domain.models import Election, Platform
from bot.domain.outcomes import ElectionStatus
from bot.live.agenda import load_agenda
from bot.live.convening import CandidateSpec
from bot.live.elections import (
    ElectionRefusal,
    ballot_candidates,
    cast_election_ballot,
    close_election_round,
    election_result,
    new_nomination,
    open_election_round,
)
from bot.live.presence import confirm_presence
from bot.live.voting import CastRefusal
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
    election = next(
        item.election for item in await load_agenda(db.read, session.id or 0) if item.election
    )
    return app.rule_set("gornji-grad-2016"), session.id or 0, people, election


async def vote_round(
    db: Database, rules, sid: int, election: Election, voters, plan: list[int | None]
):  # type: ignore[no-untyped-def]
    """Opens the next round; voter i marks ballot position plan[i] (None: a blank ballot)."""
    async with db.transaction() as repos:
        opened = await open_election_round(repos, rules, sid, election, STARTS, None)
        assert opened.round is not None, opened.refusal
        if opened.new_checkpoint:  # presence is established again before every vote
            for person in voters:
                await confirm_presence(repos, sid, person.id, later(0.5), Platform.MATRIX)
        ballot = await ballot_candidates(repos, election, opened.round.round)
        for person, position in zip(voters, plan, strict=True):
            marks = set() if position is None else {ballot[position].id}
            cast = await cast_election_ballot(
                repos, election, opened.round.round, person.id, marks, later(1)
            )
            assert cast.recorded and cast.receipt
        closed = await close_election_round(repos, opened.round, later(2), ClosedBy.CHAIR)
        assert closed is not None
        return opened, ballot, await election_result(repos, rules, election, closed)


async def test_the_ballot_starts_at_the_letter_drawn_from_the_recorded_seed(db: Database) -> None:
    rules, sid, _people, election = await setup(db)
    assert election.lot_seed  # recorded before any draw
    async with db.transaction() as repos:
        opened = await open_election_round(repos, rules, sid, election, STARTS, None)
        assert opened.letter == draw_letter(election.lot_seed)
        assert opened.round is not None
        ballot = await ballot_candidates(repos, election, opened.round.round)
    assert sorted(c.surname for c in ballot) == ["Kos", "Novak", "Zorko"]
    assert len({c.id for c in ballot}) == 3


async def test_no_majority_leads_to_a_second_round_that_elects(db: Database) -> None:
    rules, sid, people, election = await setup(db)
    _opened, ballot, first = await vote_round(
        db, rules, sid, election, people[:12], [0] * 5 + [1] * 4 + [2] * 2 + [None]
    )
    assert first.outcome is not None and first.outcome.status is ElectionStatus.RUNOFF
    assert first.outcome.invalid_ballots == 1 and first.outcome.needed == 7  # > half of 12 voters
    assert list(first.outcome.runoff) == [ballot[0].id, ballot[1].id]
    opened, runoff_ballot, second = await vote_round(
        db, rules, sid, election, people[:12], [0] * 8 + [1] * 4
    )
    assert opened.round is not None and opened.round.stage == 2
    assert [c.id for c in runoff_ballot] == [ballot[0].id, ballot[1].id]  # by first-round votes
    assert second.outcome is not None and second.outcome.status is ElectionStatus.ELECTED
    assert list(second.outcome.elected) == [ballot[0].id]
    async with db.transaction() as repos:
        done = await open_election_round(repos, rules, sid, election, later(5), None)
    assert done.refusal is ElectionRefusal.DECIDED


async def test_a_tie_for_the_second_round_is_drawn_by_lot_and_recorded(db: Database) -> None:
    rules, sid, people, election = await setup(db)
    _opened, ballot, first = await vote_round(
        db, rules, sid, election, people[:12], [0] * 6 + [1] * 3 + [2] * 3
    )
    assert first.outcome is not None and first.outcome.status is ElectionStatus.RUNOFF
    assert len(first.outcome.lots) == 1 and first.outcome.lots[0].seed == election.lot_seed
    assert ballot[0].id in first.outcome.runoff and len(first.outcome.runoff) == 2


async def test_too_few_ballots_taken_voids_the_round_which_is_held_again(db: Database) -> None:
    rules, sid, people, election = await setup(db, present=7)  # 7 of 15: no quorum
    _opened, _ballot, result = await vote_round(db, rules, sid, election, people[:7], [0] * 7)
    assert result.outcome is None and not result.counts.may_proceed
    async with db.transaction() as repos:
        again = await open_election_round(repos, rules, sid, election, later(5), None)
    assert again.round is not None and again.round.stage == 1 and again.round.round == 2


async def test_a_second_round_without_majority_needs_a_new_nomination(db: Database) -> None:
    rules, sid, people, election = await setup(db)
    await vote_round(db, rules, sid, election, people[:12], [0] * 5 + [1] * 5 + [2] * 2)
    _opened, _ballot, second = await vote_round(
        db, rules, sid, election, people[:12], [0] * 6 + [1] * 6
    )
    assert second.outcome is not None and second.outcome.status is ElectionStatus.NEW_NOMINATION
    async with db.transaction() as repos:
        refused = await open_election_round(repos, rules, sid, election, later(9), None)
        assert refused.refusal is ElectionRefusal.NEEDS_NOMINATION
        created = await new_nomination(repos, rules, election, [CandidateSpec("Irena", "Zidar")])
        assert isinstance(created, Election) and created.posts == 1
        agenda = await load_agenda(repos, sid)
    titles = [item.title for item in agenda]
    assert titles.count("Predsednik NO") == 2  # the new nomination sits with the old item


async def test_members_not_present_get_no_ballot_and_nobody_votes_twice(db: Database) -> None:
    rules, sid, people, election = await setup(db, present=10)
    async with db.transaction() as repos:
        opened = await open_election_round(repos, rules, sid, election, STARTS, None)
        assert opened.round is not None
        ballot = await ballot_candidates(repos, election, 1)
        absent = await cast_election_ballot(
            repos, election, 1, people[12].id, {ballot[0].id}, later(1)
        )
        assert absent.refusal is CastRefusal.NOT_PRESENT
        first = await cast_election_ballot(
            repos, election, 1, people[0].id, {ballot[0].id}, later(1)
        )
        second = await cast_election_ballot(
            repos, election, 1, people[0].id, {ballot[1].id}, later(1)
        )
        assert first.recorded and second.refusal is CastRefusal.ALREADY_VOTED
        too_many = await cast_election_ballot(
            repos, election, 1, people[1].id, {ballot[0].id, ballot[1].id}, later(1)
        )
        assert too_many.recorded and not too_many.valid  # one post: two marks spoil the ballot
