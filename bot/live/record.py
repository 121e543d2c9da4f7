"""Everything the minutes of a live session need (art. 45), read from the database at once.

The minutes builder (bot/live/minutes.py) is then a pure function of this record, so
the same record gives the DOCX, the PDF, the Markdown and the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.audit.trail import chain_head
from bot.domain.audit_chain import ChainHead
from bot.domain.models import AttendanceStatus, Body, Person, Platform, Session
from bot.domain.outcomes import live_quorum
from bot.domain.rules import RuleSet
from bot.live.agenda import AgendaItem, load_agenda, persons_by_id, roll, staff_ids
from bot.live.elections import ElectionRoundResult, election_result, first_letter
from bot.live.voting import RoundResult, round_result
from storage.repositories import Repositories
from storage.repositories.live.presence import Checkpoint
from storage.repositories.live.sessions import AttendanceAnswer, LiveSessionInfo


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    checkpoint: Checkpoint
    present: dict[int, Platform]  # member -> how presence was established
    quorate: bool
    needed: int


@dataclass(frozen=True, slots=True)
class ElectionRecord:
    item: AgendaItem
    letter: str
    seed: str
    rounds: list[ElectionRoundResult]
    replaces_title: str = ""


@dataclass(frozen=True, slots=True)
class ItemRecord:
    item: AgendaItem
    rounds: list[RoundResult]


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session: Session
    body: Body
    rule_set: RuleSet
    info: LiveSessionInfo
    members: list[Person]  # the roll, alphabetically
    chairs: list[Person]
    clerks: list[Person]
    answers: dict[int, tuple[AttendanceAnswer | None, str]]  # member -> answer, reason
    checkpoints: list[CheckpointRecord]
    agenda: list[AgendaItem]
    items: list[ItemRecord]
    elections: list[ElectionRecord]
    generated_at: datetime
    audit_head: ChainHead  # the audit trail's newest entry when the record was read

    def person(self, person_id: int) -> Person | None:
        return next((p for p in self.members if p.id == person_id), None)

    @property
    def start(self) -> CheckpointRecord | None:
        return self.checkpoints[0] if self.checkpoints else None


async def session_record(
    repos: Repositories, rule_set: RuleSet, session_id: int, now: datetime
) -> SessionRecord | None:
    session = await repos.sessions.get(session_id)
    info = await repos.live.sessions.info(session_id)
    if session is None or info is None:
        return None
    body = await repos.bodies.get(session.body_id)
    if body is None:
        return None
    members = await roll(repos, session_id)
    chair_ids, clerk_ids = await staff_ids(repos, session_id)
    staff = await persons_by_id(repos, set(chair_ids + clerk_ids))
    answers = {
        invitation.person_id: (invitation.answer, invitation.reason)
        for invitation in await repos.live.sessions.invitations(session_id)
    }
    checkpoints = []
    member_ids = {p.id for p in members}
    for checkpoint in await repos.live.presence.checkpoints(session_id):
        present = {
            record.person_id: record.platform
            for record in await repos.attendance.list_for_session(session_id, checkpoint.checkpoint)
            if record.status is AttendanceStatus.PRESENT and record.person_id in member_ids
        }
        quorum = live_quorum(rule_set.live, max(len(members), 1), len(present))
        checkpoints.append(
            CheckpointRecord(checkpoint, present, quorum.quorate, quorum.check.needed)
        )
    agenda = await load_agenda(repos, session_id)
    items: list[ItemRecord] = []
    elections: list[ElectionRecord] = []
    for item in agenda:
        if item.motion is not None and item.motion.id is not None:
            results = []
            for live_round in await repos.live.rounds.for_motion(item.motion.id):
                if not live_round.is_open:
                    results.append(await round_result(repos, rule_set, item.motion, live_round))
            items.append(ItemRecord(item, results))
        elif item.election is not None and item.election.id is not None:
            rounds = []
            for election_round in await repos.live.elections.rounds(item.election.id):
                if not election_round.is_open:
                    rounds.append(
                        await election_result(repos, rule_set, item.election, election_round)
                    )
            live = await repos.live.elections.get(item.election.id)
            replaced = ""
            if live is not None and live.replaces_election_id is not None:
                earlier = await repos.elections.get(live.replaces_election_id)
                replaced = earlier.title if earlier else ""
            elections.append(
                ElectionRecord(
                    item,
                    first_letter(item.election) if rule_set.elections.alphabet_start_by_lot else "",
                    item.election.lot_seed,
                    rounds,
                    replaced,
                )
            )
    return SessionRecord(
        session=session,
        body=body,
        rule_set=rule_set,
        info=info,
        members=members,
        chairs=[staff[i] for i in chair_ids if i in staff],
        clerks=[staff[i] for i in clerk_ids if i in staff],
        answers=answers,
        checkpoints=checkpoints,
        agenda=agenda,
        items=items,
        elections=elections,
        generated_at=now,
        audit_head=await chain_head(repos),
    )
