"""Migration 0002: correspondence bookkeeping, claimed once; drafts; outcomes; reminders."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from fractions import Fraction

import pytest

from bot.domain.models import Platform, Session, SessionKind, SessionStatus
from bot.domain.outcomes import MotionReason
from bot.domain.rules import Basis, Comparison, CorrespondenceAdoption, Threshold
from storage.database import Database
from storage.errors import CheckViolation, UniqueViolation
from storage.repositories.correspondence.drafts import DraftState, DraftStep
from storage.repositories.correspondence.messages import MessagePurpose, SessionMessage
from storage.repositories.correspondence.outcomes import StoredOutcome
from storage.repositories.correspondence.progress import Milestone, Source
from storage.repositories.correspondence.reminders import ReminderOutcome
from tests.storage.factories import T0, at, correspondence_session, council, motion

QUORUM = Threshold(Basis.ALL_MEMBERS, Fraction(1, 2), Comparison.MORE_THAN, "več kot polovica")


async def test_milestones_are_claimed_once_and_sessions_move_through_the_lists(
    db: Database,
) -> None:
    async with db.transaction() as repos:
        body, _people = await council(repos)
        session = await correspondence_session(repos, body)
        progress = await repos.correspondence.progress.add_ready(session.id, Source.CLI, None, T0)
        assert progress.opened_at is None and progress.source is Source.CLI
        assert await repos.correspondence.progress.waiting_to_open() == [session.id]

        assert await repos.correspondence.progress.claim(session.id, Milestone.OPENED, at(1))
        assert not await repos.correspondence.progress.claim(session.id, Milestone.OPENED, at(2))
        assert await repos.correspondence.progress.waiting_to_open() == []
        assert await repos.correspondence.progress.running() == [session.id]

        assert await repos.correspondence.progress.claim(session.id, Milestone.CLOSED, at(3))
        assert await repos.correspondence.progress.running() == []
        assert await repos.correspondence.progress.results_unsent() == [session.id]
        assert await repos.correspondence.progress.claim(session.id, Milestone.RESULTS_SENT, at(4))
        assert await repos.correspondence.progress.results_unsent() == []
        stored = await repos.correspondence.progress.get(session.id)
    assert stored is not None
    assert (stored.opened_at, stored.closed_at, stored.results_sent_at) == (at(1), at(3), at(4))


async def test_invitations_are_listed_once_claimed_exclusively_and_retried(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=3)
        session = await correspondence_session(repos, body)
        progress = repos.correspondence.progress
        ids = [p.id for p in people]
        await progress.list_members(session.id, ids, T0)
        await progress.list_members(session.id, ids, at(5))  # listing again changes nothing
        listed = await progress.invitations(session.id)
        assert [(i.person_id, i.listed_at) for i in listed] == [(pid, T0) for pid in ids]

        first = ids[0]
        assert await progress.claim_invitation(
            session.id, first, at(1), at(1) - timedelta(minutes=5)
        )
        assert not await progress.claim_invitation(
            session.id, first, at(2), at(2) - timedelta(minutes=5)
        )
        # A claim older than the lease lapses (a sender that died mid-sending).
        assert await progress.claim_invitation(session.id, first, at(10), at(9))
        await progress.mark_sent(session.id, first, at(11), chats=2)
        assert not await progress.claim_invitation(session.id, first, at(30), at(29))

        second, third = ids[1], ids[2]
        await progress.claim_invitation(session.id, second, at(1), at(0))
        await progress.mark_failed(session.id, second, counts=True)
        await progress.claim_invitation(session.id, third, at(1), at(0))
        await progress.mark_failed(session.id, third, counts=False)  # no chat yet: not a failure
        unsent = await progress.unsent(session.id, max_attempts=1)
        assert [i.person_id for i in unsent] == [third]
        assert [i.person_id for i in await progress.unsent(session.id, max_attempts=5)] == [
            second,
            third,
        ]

        await progress.claim_invitation(session.id, third, at(40), at(39))
        assert await progress.release_claims() == 1
        record = await progress.invitation(session.id, first)
    assert record is not None and (record.sent_at, record.chats, record.attempts) == (at(11), 2, 1)


async def test_an_invitation_marked_sent_reached_at_least_one_chat(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=1)
        session = await correspondence_session(repos, body)
        await repos.correspondence.progress.list_members(session.id, [people[0].id], T0)
        with pytest.raises(CheckViolation):
            await repos.correspondence.progress.mark_sent(session.id, people[0].id, at(1), chats=0)


async def test_message_refs_are_remembered_once_and_listed_by_purpose(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=2)
        session = await correspondence_session(repos, body)
        item = await motion(repos, session)
        messages = repos.correspondence.messages

        def ref(
            person: int, purpose: MessagePurpose, message_id: str, motion_id=None
        ) -> SessionMessage:  # type: ignore[no-untyped-def]
            return SessionMessage(None, session.id, person, purpose, Platform.TELEGRAM,
                                  str(person), message_id, T0, motion_id)  # fmt: skip

        await messages.add(ref(people[0].id, MessagePurpose.INVITATION, "1"))
        await messages.add(ref(people[0].id, MessagePurpose.VOTE, "2", item.id))
        await messages.add(ref(people[0].id, MessagePurpose.VOTE, "2", item.id))  # the same again
        await messages.add(ref(people[1].id, MessagePurpose.VOTE, "3", item.id))
        votes = await messages.list(session.id, MessagePurpose.VOTE)
        assert [m.message_id for m in votes] == ["2", "3"]
        mine = await messages.list(session.id, MessagePurpose.VOTE, person_id=people[1].id,
                                   motion_id=item.id)  # fmt: skip
        assert [m.message_id for m in mine] == ["3"]
        with pytest.raises(CheckViolation):  # a voting message names its motion
            await messages.add(ref(people[1].id, MessagePurpose.VOTE, "4"))


async def test_a_draft_keeps_its_step_and_discarding_removes_the_draft_session(
    db: Database,
) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=1)
        clerk = people[0]
        drafts = repos.correspondence.drafts
        draft = await drafts.save(DraftState(clerk.id, Platform.MATRIX, "!room:example",
                                             DraftStep.BODY, T0, T0))  # fmt: skip
        assert draft.body_id is None
        session = await repos.sessions.add(Session(None, body.id, SessionKind.CORRESPONDENCE,
                                                   "Osnutek", created_at=T0))  # fmt: skip
        await motion(repos, session)
        await repos.materials.add(session.id, "gradivo.pdf", "application/pdf", b"%PDF")
        draft = await drafts.save(draft.at(DraftStep.CATEGORY, at(1), body_id=body.id,
                                           session_id=session.id, pending_resolution="Sklep"))  # fmt: skip
        loaded = await drafts.get(clerk.id)
        assert loaded == draft and loaded.started_at == T0 and loaded.updated_at == at(1)
        with pytest.raises(CheckViolation):  # the category step needs the text
            await drafts.save(draft.at(DraftStep.CATEGORY, at(2), pending_resolution=""))

        assert await drafts.discard(clerk.id)
        assert await drafts.get(clerk.id) is None
        assert await repos.sessions.get(session.id) is None
        assert await repos.motions.list_for_session(session.id) == []
        assert await repos.materials.list_for_session(session.id) == []
        assert not await drafts.discard(clerk.id)


async def test_discarding_never_deletes_a_session_that_was_sent(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=1)
        session = await correspondence_session(repos, body)  # convened
        await repos.correspondence.drafts.save(
            DraftState(people[0].id, Platform.TELEGRAM, "1", DraftStep.CONFIRM, T0, T0,
                       body_id=body.id, session_id=session.id)
        )  # fmt: skip
        assert await repos.correspondence.drafts.discard(people[0].id)
        kept = await repos.sessions.get(session.id)
    assert kept is not None and kept.status is SessionStatus.CONVENED


def outcome_for(motion_id: int, session_id: int, **changes: object) -> StoredOutcome:
    base = StoredOutcome(
        motion_id=motion_id, session_id=session_id, round=1, decided_at=at(60),
        rule_set="gornji-grad-2016", quorate=True, adopted=False, referred=True,
        reason=MotionReason.VOTED_AGAINST, member_count=11, confirmed=9, voted=9, za=8, proti=1,
        vzdrzan=0, quorum_needed=6, quorum_base=11, quorum=QUORUM,
        adoption_rule=CorrespondenceAdoption.NO_VOTES_AGAINST, adoption_needed=9,
        adoption_got=8, adoption_base=9,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_outcomes_keep_the_rule_and_its_numbers(db: Database) -> None:
    majority = Threshold(Basis.ALL_MEMBERS, Fraction(1, 2), Comparison.MORE_THAN, "večina vseh")
    async with db.transaction() as repos:
        body, _people = await council(repos)
        session = await correspondence_session(repos, body)
        second = await motion(repos, session, position=2)
        first = await motion(repos, session, position=1)
        for item in (first, second):
            await repos.rounds.open(item.id, item.vote_kind, T0, session.deadline)
        stored = await repos.correspondence.outcomes.add(outcome_for(second.id, session.id))
        assert stored == outcome_for(second.id, session.id)
        by_majority = outcome_for(
            first.id, session.id, adoption_rule=CorrespondenceAdoption.MAJORITY,
            adoption=majority, adopted=True, referred=False, reason=MotionReason.ADOPTED,
            za=7, proti=2, adoption_needed=6, adoption_got=7, adoption_base=11,
        )  # fmt: skip
        await repos.correspondence.outcomes.add(by_majority)
        listed = await repos.correspondence.outcomes.list_for_session(session.id)
        assert [o.motion_id for o in listed] == [first.id, second.id]  # agenda order
        assert listed[0].adoption == majority
        with pytest.raises(UniqueViolation):  # decided once
            await repos.correspondence.outcomes.add(outcome_for(second.id, session.id))
        with pytest.raises(CheckViolation):  # the counts must add up
            await repos.correspondence.outcomes.add(outcome_for(first.id, session.id, voted=3))


async def test_a_reminder_is_claimed_once(db: Database) -> None:
    async with db.transaction() as repos:
        body, _people = await council(repos)
        session = await correspondence_session(repos, body)
        reminders = repos.correspondence.reminders
        assert await reminders.claim(session.id, 1440, at(10), at(11), ReminderOutcome.SKIPPED)
        assert await reminders.claim(session.id, 120, at(20), at(21), ReminderOutcome.SENT)
        assert not await reminders.claim(session.id, 120, at(20), at(22), ReminderOutcome.SENT)
        await reminders.set_recipients(session.id, 120, 4)
        listed = await reminders.list_for_session(session.id)
    assert [(r.lead_minutes, r.outcome, r.recipients) for r in listed] == [
        (1440, ReminderOutcome.SKIPPED, 0),
        (120, ReminderOutcome.SENT, 4),
    ]
