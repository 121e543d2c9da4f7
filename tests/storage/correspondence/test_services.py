"""Correspondence services on a real database, with an App that has no chat transport (so
nothing leaves the process): opening, the checks before a vote, closing with the body's rule
set, announcing once (charts and minutes really rendered), reminders once, minutes content."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.audit.trail import verify
from bot.correspondence.closing import announce_results, close_due_sessions, close_session
from bot.correspondence.create import MotionDraft, SessionDraft, store_ready_session
from bot.correspondence.invitations import rules_of
from bot.correspondence.minutes import (
    build_minutes,
    delivery_and_votes_table,
    gather_minutes,
)
from bot.correspondence.outbox import open_session
from bot.correspondence.reminders import remind_session
from bot.correspondence.voting import (
    Ballot,
    Refusal,
    Refused,
    ballot,
    cast_vote,
    confirm_delivery,
    quorum_just_reached,
)
from bot.domain.models import (
    Body,
    BodyKind,
    DeliveryConfirmation,
    Membership,
    Motion,
    MotionCategory,
    Person,
    Platform,
    Role,
    Session,
    SessionKind,
    SessionStatus,
    VoteChoice,
)
from bot.domain.outcomes import MotionReason
from bot.i18n import Translator
from bot.messenger import Messenger
from bot.reports.render_text import to_markdown
from bot.scheduler import Scheduler
from storage.database import Database
from storage.repositories.correspondence.progress import Source
from storage.repositories.correspondence.reminders import ReminderOutcome

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)
GRACE = timedelta(seconds=30)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def app(db: Database, clock: Clock) -> App:
    return App(db=db, messenger=Messenger(db, {}), scheduler=Scheduler(), clock=clock)


async def body_with_members(
    db: Database, members: int = 11, rule_set: str = "gornji-grad-2016", slug: str = "svet"
) -> tuple[Body, list[int], int]:
    """A council with voting members, a chair and a clerk; returns (body, member ids, chair)."""
    async with db.transaction() as repos:
        body = await repos.bodies.upsert(
            Body(None, slug, f"Svet {slug}", BodyKind.COUNCIL, rule_set)
        )
        ids = []
        for number in range(1, members + 2):
            person = await repos.persons.add(
                Person(None, f"Ime{number}", f"Priimek{number:02d}", f"p{number}@{slug}.si")
            )
            role = Role.MEMBER if number <= members else Role.CHAIR
            await repos.memberships.upsert(Membership(None, person.id, body.id, role))
            ids.append(person.id)
    return body, ids[:members], ids[members]


async def convened(db: Database, body: Body, motions: int = 1) -> int:
    draft = SessionDraft(
        body_id=body.id, title="5. dopisna seja", deadline=DEADLINE,
        motions=tuple(MotionDraft(f"Sklep {n}", f"Besedilo sklepa {n}.", MotionCategory.GENERAL)
                      for n in range(1, motions + 1)),
    )  # fmt: skip
    async with db.transaction() as repos:
        session = await store_ready_session(repos, draft, now=NOW, source=Source.CLI)
    return session.id


async def opened(app: App, body: Body, motions: int = 1) -> tuple[int, list[int]]:
    session_id = await convened(app.db, body, motions)
    assert await open_session(app, session_id)
    motion_ids = [m.id for m in await app.db.read.motions.list_for_session(session_id)]
    return session_id, motion_ids


def rules_for(app: App):  # type: ignore[no-untyped-def]
    return lambda body: rules_of(app, body)


async def vote(
    app: App, motion_id: int, person_id: int, choice: VoteChoice, when: datetime = NOW
) -> Ballot | Refusal:
    async with app.db.transaction() as repos:
        found = await ballot(repos, rules_for(app), motion_id, person_id, when, choice)
        if isinstance(found, Ballot) and found.earlier is None:
            await cast_vote(repos, found, person_id, choice, when, Platform.MATRIX)
    return found


async def confirm(
    app: App, session_id: int, person_ids: Iterable[int], when: datetime = NOW
) -> None:
    async with app.db.transaction() as repos:
        for person_id in person_ids:
            result = await confirm_delivery(repos, rules_for(app), session_id, person_id, when,
                                            Platform.TELEGRAM)  # fmt: skip
            assert not isinstance(result, Refusal), result


async def test_opening_lists_the_voting_members_and_opens_the_votes(app: App) -> None:
    body, members, chair = await body_with_members(app.db)
    session_id = await convened(app.db, body, motions=2)
    assert await open_session(app, session_id)
    assert not await open_session(app, session_id)  # once
    read = app.db.read
    listed = [i.person_id for i in await read.correspondence.progress.invitations(session_id)]
    assert listed == members and chair not in listed
    session = await read.sessions.get(session_id)
    assert session.status is SessionStatus.OPEN
    for motion in await read.motions.list_for_session(session_id):
        vote_round = await read.rounds.latest(motion.id)
        assert vote_round.round == 1 and vote_round.closes_at == DEADLINE and vote_round.is_open


async def test_every_check_before_a_vote(app: App, clock: Clock) -> None:
    body, members, chair = await body_with_members(app.db)
    waiting = await convened(app.db, body)
    waiting_motion = (await app.db.read.motions.list_for_session(waiting))[0].id
    found = await vote(app, waiting_motion, members[0], VoteChoice.ZA)
    assert isinstance(found, Refusal) and found.code is Refused.NOT_OPEN  # not yet sent

    session_id, [motion_id] = await opened(app, body)
    assert (await vote(app, motion_id, chair, VoteChoice.ZA)).code is Refused.NOT_INVITED
    assert (await vote(app, 9999, members[0], VoteChoice.ZA)).code is Refused.UNKNOWN
    abstain = await vote(app, motion_id, members[0], VoteChoice.VZDRZAN)
    assert abstain.code is Refused.CHOICE_NOT_ALLOWED  # Gornji Grad knows no abstention
    late = await vote(app, motion_id, members[0], VoteChoice.ZA, DEADLINE + timedelta(seconds=1))
    assert late.code is Refused.DEADLINE_PASSED and late.deadline == DEADLINE
    _ = Translator("sl")
    assert "18. 11. 2026 ob 12.00" in late.text(_) and "po izteku roka" in late.text(_)

    async with app.db.transaction() as repos:  # a member who left the body
        await repos.memberships.deactivate_except(body.id, members[1:])
    assert (await vote(app, motion_id, members[0], VoteChoice.ZA)).code is Refused.NOT_INVITED

    assert isinstance(await vote(app, motion_id, members[1], VoteChoice.ZA, DEADLINE), Ballot)
    again = await vote(app, motion_id, members[1], VoteChoice.PROTI)
    assert isinstance(again, Ballot) and again.earlier is not None
    assert again.earlier.choice is VoteChoice.ZA and again.earlier.cast_at == DEADLINE

    clock.moment = DEADLINE + GRACE
    assert await close_due_sessions(app, GRACE) == [session_id]
    closed = await vote(app, motion_id, members[2], VoteChoice.ZA, DEADLINE)
    assert closed.code is Refused.CLOSED  # stamped in time, but after the count


async def test_a_vote_confirms_delivery_with_its_time_and_platform(app: App) -> None:
    body, members, _chair = await body_with_members(app.db)
    session_id, [motion_id] = await opened(app, body)
    await confirm(app, session_id, [members[0]], NOW)
    await vote(app, motion_id, members[0], VoteChoice.ZA, NOW + timedelta(hours=1))
    await vote(app, motion_id, members[1], VoteChoice.ZA, NOW + timedelta(hours=2))
    deliveries = {d.person_id: d for d in await app.db.read.deliveries.list_for_session(session_id)}
    assert deliveries[members[0]] == DeliveryConfirmation(
        session_id, members[0], NOW, Platform.TELEGRAM
    )
    assert deliveries[members[1]] == DeliveryConfirmation(
        session_id, members[1], NOW + timedelta(hours=2), Platform.MATRIX
    )
    async with app.db.transaction() as repos:
        again = await confirm_delivery(repos, rules_for(app), session_id, members[0],
                                       NOW + timedelta(hours=3), Platform.MATRIX)  # fmt: skip
        late = await confirm_delivery(repos, rules_for(app), session_id, members[2],
                                      DEADLINE + timedelta(minutes=1), Platform.MATRIX)  # fmt: skip
    assert not isinstance(again, Refusal) and not again.first
    assert again.confirmation.confirmed_at == NOW
    assert isinstance(late, Refusal) and late.code is Refused.DEADLINE_PASSED


async def test_the_quorum_notice_is_claimed_once(app: App) -> None:
    body, members, _chair = await body_with_members(app.db)
    session_id, _motions = await opened(app, body)
    rules = rules_of(app, body)
    await confirm(app, session_id, members[:5])
    async with app.db.transaction() as repos:
        assert await quorum_just_reached(repos, session_id, rules, NOW) is None
    await confirm(app, session_id, members[5:6])
    async with app.db.transaction() as repos:
        reached = await quorum_just_reached(repos, session_id, rules, NOW)
        assert reached is not None and (reached.confirmed, reached.quorum_needed) == (6, 6)
        assert await quorum_just_reached(repos, session_id, rules, NOW) is None


@pytest.mark.parametrize(
    ("confirmed_only", "za", "proti", "expected"),
    [
        (0, 6, 0, (True, True, False, MotionReason.ADOPTED, 6)),  # 6 > 5.5: adopted
        (5, 0, 0, (False, False, False, MotionReason.NOT_QUORATE, 5)),  # 5 confirm: not quorate
        (0, 8, 1, (True, False, True, MotionReason.VOTED_AGAINST, 9)),  # one PROTI: next session
    ],
)
async def test_the_three_worked_examples_close_as_the_rules_say(
    app: App, clock: Clock, confirmed_only: int, za: int, proti: int,
    expected: tuple[bool, bool, bool, MotionReason, int],
) -> None:  # fmt: skip
    body, members, _chair = await body_with_members(app.db)
    session_id, [motion_id] = await opened(app, body)
    await confirm(app, session_id, members[:confirmed_only])
    for person_id in members[:za]:
        await vote(app, motion_id, person_id, VoteChoice.ZA)
    for person_id in members[za : za + proti]:
        await vote(app, motion_id, person_id, VoteChoice.PROTI)

    clock.moment = DEADLINE + GRACE - timedelta(seconds=1)
    assert await close_due_sessions(app, GRACE) == []  # still within the grace
    clock.moment = DEADLINE + GRACE
    assert await close_due_sessions(app, GRACE) == [session_id]
    assert not await close_session(app, session_id)  # once

    [outcome] = await app.db.read.correspondence.outcomes.list_for_session(session_id)
    quorate, adopted, referred, reason, confirmed = expected
    assert (outcome.quorate, outcome.adopted, outcome.referred, outcome.reason) == (
        quorate, adopted, referred, reason)  # fmt: skip
    assert (outcome.member_count, outcome.confirmed, outcome.quorum_needed) == (11, confirmed, 6)
    assert (outcome.za, outcome.proti, outcome.voted) == (za, proti, za + proti)
    session = await app.db.read.sessions.get(session_id)
    assert session.status is SessionStatus.CLOSED
    assert (await app.db.read.rounds.latest(motion_id)).closed_at == clock.moment

    assert await announce_results(app, session_id)  # renders the chart and the minutes
    assert not await announce_results(app, session_id)
    assert (await verify(app.db)).intact  # every step left a consistent audit trail


async def test_a_majority_rule_set_with_abstention(app: App, clock: Clock) -> None:
    body, members, _chair = await body_with_members(app.db, rule_set="majority-of-all-members")
    session_id, [first, second] = await opened(app, body, motions=2)
    for person_id in members[:6]:
        assert isinstance(await vote(app, first, person_id, VoteChoice.ZA), Ballot)
    for person_id in members[:5]:
        await vote(app, second, person_id, VoteChoice.ZA)
    await vote(app, second, members[5], VoteChoice.VZDRZAN)  # allowed by this rule set
    clock.moment = DEADLINE + GRACE
    await close_due_sessions(app, GRACE)
    by_motion = {
        o.motion_id: o
        for o in await app.db.read.correspondence.outcomes.list_for_session(session_id)
    }
    assert by_motion[first].adopted and by_motion[first].adoption_needed == 6
    assert (
        not by_motion[second].adopted and by_motion[second].reason is MotionReason.NOT_ENOUGH_VOTES
    )
    assert (by_motion[second].za, by_motion[second].vzdrzan) == (5, 1)

    _ = Translator("sl")
    facts = await gather_minutes(
        app.db.read, session_id, lambda b: app.rule_set(b.rule_set), clock()
    )
    text = to_markdown(build_minutes(facts, _))
    assert "Sklep je sprejet: ZA je glasovalo 6 (potrebno več kot polovica vseh članov: 6)." in text
    assert "Sklep ni sprejet: ZA je glasovalo 5 (potrebno več kot polovica vseh članov: 6)." in text
    assert "VZDRŽAN: 1" in text


async def test_the_minutes_list_each_member_and_the_rule_with_its_numbers(
    app: App, clock: Clock
) -> None:
    body, members, _chair = await body_with_members(app.db)
    session_id, [motion_id] = await opened(app, body)
    await confirm(app, session_id, members[:2], NOW + timedelta(minutes=5))
    for person_id in members[2:9]:
        await vote(app, motion_id, person_id, VoteChoice.ZA, NOW + timedelta(hours=1))
    await vote(app, motion_id, members[9], VoteChoice.PROTI, NOW + timedelta(hours=1))
    _ = Translator("sl")

    interim = await gather_minutes(
        app.db.read, session_id, lambda b: app.rule_set(b.rule_set), clock()
    )
    assert not interim.final
    assert "Vmesno stanje" in to_markdown(build_minutes(interim, _))

    clock.moment = DEADLINE + GRACE
    await close_due_sessions(app, GRACE)
    facts = await gather_minutes(
        app.db.read, session_id, lambda b: app.rule_set(b.rule_set), clock()
    )
    assert facts.final and len(facts.members) == 11
    text = to_markdown(build_minutes(facts, _))
    assert (
        "Sklepčnost: potrdilo 10 od 11 članov (potrebno več kot polovica: 6). Seja je sklepčna."
        in text
    )
    assert "NI SPREJET" in text and "prvo naslednjo redno sejo" in text
    assert "Osebno vročitev je potrdilo 10 od 11 članov." in text
    assert "Na tej dopisni seji je glasovalo 8 od 11 članov." in text
    assert (
        "| Priimek01 Ime1 | ni bilo poslano v klepetu | 16. 11. 2026 ob 10.05 | Telegram |" in text
    )
    assert "Matrix, z glasovanjem" in text
    assert "Potrditev tega zapisnika se uvrsti na dnevni red prve naslednje redne seje." in text
    closed = [e for e in await app.db.read.audit.for_subject(f"session:{session_id}")
              if e.kind == "session_closed"]  # fmt: skip
    assert (
        len(closed) == 1
        and f"Revizijska sled: zapis {closed[0].seq}, {closed[0].hash[:16]}…" in text
    )
    outcome_entries = await app.db.read.audit.for_subject(f"motion:{motion_id}/round:1")
    assert [e.kind for e in outcome_entries][-2:] == ["vote_round_closed", "outcome"]
    assert '"result":"rejected"' in outcome_entries[-1].details

    headers, rows = delivery_and_votes_table(facts, _)
    assert headers[:4] == ["Član", "Vabilo poslano", "Prejem potrjen", "Način"]
    assert len(rows) == 11 and all(len(row) == len(headers) == 7 for row in rows)
    assert rows[10][4] == "ni glasoval"


async def test_a_reminder_goes_once_and_overtaken_ones_are_skipped(app: App, clock: Clock) -> None:
    body, members, _chair = await body_with_members(app.db)
    session_id, [motion_id] = await opened(app, body)
    leads = (timedelta(hours=24), timedelta(hours=2))
    await vote(app, motion_id, members[0], VoteChoice.ZA)

    clock.moment = DEADLINE - timedelta(hours=1)  # down over both reminder times
    await remind_session(app, session_id, leads)
    await remind_session(app, session_id, leads)
    handled = await app.db.read.correspondence.reminders.list_for_session(session_id)
    assert [(r.lead_minutes, r.outcome) for r in handled] == [
        (1440, ReminderOutcome.SKIPPED),
        (120, ReminderOutcome.SENT),
    ]
    # Nobody has a chat in this test, so the reminder reached no one.
    assert handled[1].recipients == 0


async def test_a_session_of_another_kind_is_not_a_correspondence_ballot(app: App) -> None:
    body, members, _chair = await body_with_members(app.db)
    async with app.db.transaction() as repos:
        live = await repos.sessions.add(Session(None, body.id, SessionKind.REGULAR, "Redna",
                                                created_at=NOW))  # fmt: skip
        item = await repos.motions.add(Motion(None, live.id, 1, "Točka", "Sklep"))
        await repos.rounds.open(item.id, item.vote_kind, NOW)
        found = await ballot(repos, rules_for(app), item.id, members[0], NOW, VoteChoice.ZA)
    assert isinstance(found, Refusal) and found.code is Refused.UNKNOWN
