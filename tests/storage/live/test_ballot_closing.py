"""Ballots of a closed vote lose their buttons: found by the bot's record of its messages with
choices, edited through the real messenger into a chat transport kept in memory."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.models import Platform
from bot.live.agenda import load_agenda
from bot.live.ballot_closing import offered_messages
from bot.live.follow_up import close_due_votes, deliver_all
from bot.live.vote_actions import start_vote
from storage.database import Database
from tests.storage.live.factories import (
    convened_session,
    later,
    live_council,
    open_with_present,
)
from tests.storage.live.test_outbox import linked_app


async def test_only_messages_still_offering_a_button_of_the_round_are_found(db: Database) -> None:
    telegram = Platform.TELEGRAM
    async with db.transaction() as repos:
        offered = repos.sent_messages.offered
        await offered(telegram, "1", "10", ["lvb:12:1:za", "lvb:12:1:proti"])
        await offered(telegram, "1", "11", ["lvb:12:10:za"])  # round 10, not round 1
        await offered(telegram, "2", "20", ["lvc:12:1:za", "lvn:12:1"])  # the confirmation
        await offered(telegram, "2", "21", ["lvb:12:1:za"])
        await repos.sent_messages.withdraw(telegram, "2", "21")  # already used
        await offered(telegram, "3", "30", ["lex:12:1:1"])  # an election with the same ids
        found = await offered_messages(repos, ("lvb:12:1", "lvc:12:1", "lvn:12:1"))
    assert [(ref.chat.chat_id, ref.message_id) for ref in found] == [("1", "10"), ("2", "20")]
    assert await offered_messages(db.read, ()) == []


async def test_ballots_of_a_vote_whose_time_ended_unseen_are_closed_at_the_next_sweep(
    db: Database,
) -> None:
    body_id, people, chair, clerk = await live_council(db, members=5)
    app, chats, clock = await linked_app(db, [*people, chair, clerk])
    session = await convened_session(db, app, body_id)
    sid = session.id or 0
    await open_with_present(db, sid, people)
    item = (await load_agenda(db.read, sid))[1]
    assert item.motion is not None
    async with db.transaction() as repos:
        outcome, effects = await start_vote(
            repos, app, sid, item.motion, later(1), timedelta(minutes=1)
        )
    assert outcome.round is not None
    effects.deadlines.clear()  # no timer: the sweep after a restart does the closing
    await deliver_all(app, effects)
    ballots = [m for p in people for m in chats.messages_to(str(p.id)) if m.choices]
    assert len(ballots) == len(people)

    clock.moment = later(5)
    assert await close_due_votes(app) == 1
    for person in people:
        shown = chats.messages_to(str(person.id))
        assert not any(message.choices for message in shown)
        assert any("Glasovanje je bilo zaključeno ob" in m.html for m in shown)
        assert any("Izid glasovanja o točki 2" in m.html for m in shown)
    assert len(chats.edited) == len(people)
    assert await offered_messages(db.read, ("lvb", "lvc", "lvn")) == []  # nothing left to press
