"""The invitation outbox and reminders, attendance answers, and the minutes, on a real database.

Chats are a small recording transport (the bot's Transport protocol, in memory), so the outbox
runs exactly as in the bot, including a send that fails half way through.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from docx import Document as WordDocument

from bot.app import App
from bot.domain.models import Platform, VoteChoice
from bot.i18n import Translator
from bot.live.agenda import load_agenda
from bot.live.attendance import attendance_overview, record_answer, record_reason
from bot.live.minutes_delivery import render_minutes
from bot.live.outbox import send_invitations, send_reminders
from bot.live.presence import confirm_presence
from bot.live.vote_actions import finish_round
from bot.live.voting import cast_vote, open_vote
from bot.messenger import Messenger
from bot.scheduler import Scheduler
from bot.transport.events import Capability, ChatRef, MessageRef, OutgoingMessage
from storage.database import Database
from storage.repositories.live.rounds import ClosedBy
from storage.repositories.live.sessions import AttendanceAnswer
from tests.storage.live.factories import (
    NOW,
    STARTS,
    convened_session,
    later,
    live_council,
    open_with_present,
)


class RecordingChats:
    """Every linked person's direct chat, in memory; ``failing`` chats refuse messages. A
    message edited shows as it stands after the edit."""

    platform = Platform.TELEGRAM
    capabilities = frozenset({Capability.BUTTONS, Capability.FILES, Capability.EDIT})

    def __init__(self) -> None:
        self.sent: list[tuple[str, OutgoingMessage]] = []  # message id n is sent[n - 1]
        self.edited: list[MessageRef] = []
        self.failing: set[str] = set()

    async def start(self, sink) -> None:  # type: ignore[no-untyped-def]
        return None

    async def stop(self) -> None:
        return None

    async def direct_chat(self, external_user_id: str) -> ChatRef:
        return ChatRef(Platform.TELEGRAM, external_user_id)

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        if chat.chat_id in self.failing:
            raise ConnectionError("the platform is unreachable")
        self.sent.append((chat.chat_id, message))
        return MessageRef(chat, str(len(self.sent)))

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        self.sent[int(ref.message_id) - 1] = (ref.chat.chat_id, message)
        self.edited.append(ref)
        return ref

    def messages_to(self, chat_id: str) -> list[OutgoingMessage]:
        return [message for chat, message in self.sent if chat == chat_id]

    def texts_to(self, chat_id: str) -> list[str]:
        return [message.html for message in self.messages_to(chat_id)]


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


async def linked_app(db: Database, people) -> tuple[App, RecordingChats, Clock]:  # type: ignore[no-untyped-def]
    chats = RecordingChats()
    clock = Clock(NOW)
    async with db.transaction() as repos:
        for person in people:
            await repos.accounts.link(person.id, Platform.TELEGRAM, str(person.id), NOW)
    app = App(
        db=db,
        messenger=Messenger(db, {Platform.TELEGRAM: chats}),
        scheduler=Scheduler(),
        clock=clock,
    )
    return app, chats, clock


async def test_a_send_failing_half_way_resumes_without_duplicates(db: Database) -> None:
    body_id, people, chair, clerk = await live_council(db, members=15)
    app, chats, clock = await linked_app(db, [*people[:14], chair, clerk])  # one member unlinked
    session = await convened_session(db, app, body_id)
    chats.failing.add(str(people[3].id))
    assert await send_invitations(app) == 15  # 13 members, chair, clerk; one failed, one unlinked
    assert await send_invitations(app) == 0  # the failed one is claimed until its lease runs out
    chats.failing.clear()
    clock.moment = NOW + timedelta(minutes=3)
    assert await send_invitations(app) == 1
    for person in people[:14]:
        texts = chats.texts_to(str(person.id))
        assert sum("Vabilo na sejo" in text for text in texts) == 1
        assert sum("Se boste udeležili seje?" in text for text in texts) == 1
    invitation = next(message for chat, message in chats.sent if chat == str(people[0].id))
    assert [f.filename for f in invitation.files] == ["seja.ics"]
    assert not any("Se boste udeležili" in t for t in chats.texts_to(str(chair.id)))  # a copy only
    overview = await attendance_overview(db.read, session.id or 0)
    assert [p.id for p in overview.not_reached] == [people[14].id]


async def test_reminders_go_once_to_members_who_have_not_answered(db: Database) -> None:
    body_id, people, chair, clerk = await live_council(db, members=15)
    app, chats, clock = await linked_app(db, [*people, chair, clerk])
    session = await convened_session(db, app, body_id)
    await send_invitations(app)
    async with db.transaction() as repos:
        for person in people[:13]:
            await record_answer(
                repos, session.id or 0, person.id or 0, AttendanceAnswer.ATTEND, NOW
            )
    clock.moment = STARTS - timedelta(hours=23)  # both reminder times have passed
    assert await send_reminders(app) == 2
    assert await send_reminders(app) == 0
    reminded = [p for p in people if any("Opomnik na sejo" in t for t in chats.texts_to(str(p.id)))]
    assert reminded == people[13:]


async def test_a_declined_invitation_asks_for_the_reason_and_tells_the_chair(db: Database) -> None:
    body_id, people, chair, clerk = await live_council(db)
    app, _chats, _clock = await linked_app(db, [])
    session = await convened_session(db, app, body_id)
    async with db.transaction() as repos:
        await record_answer(
            repos, session.id or 0, people[0].id or 0, AttendanceAnswer.DECLINE, NOW
        )
        stored = await record_reason(repos, people[0], "  bolezen   v družini ", NOW)
        assert stored is not None
        invitation, effects = stored
        assert invitation.reason == "bolezen v družini"
        assert await record_reason(repos, people[0], "še en stavek", NOW) is None  # not waiting
    told = {item.target.person_id: item.message.html for item in effects.outgoing}  # type: ignore[union-attr]
    assert set(told) == {chair.id, clerk.id} and "bolezen v družini" in told[chair.id]


async def test_the_minutes_hold_presence_absences_results_and_no_secret_choice_of_anyone(
    db: Database,
) -> None:
    body_id, people, _chair, _clerk = await live_council(db, members=15)
    app, _chats, _clock = await linked_app(db, [])
    session = await convened_session(db, app, body_id)
    sid = session.id or 0
    async with db.transaction() as repos:
        await record_answer(repos, sid, people[14].id or 0, AttendanceAnswer.DECLINE, NOW)
        await record_reason(repos, people[14], "službena pot", NOW)
    await open_with_present(db, sid, people[:12])
    rules = app.rule_set("gornji-grad-2016")
    agenda = await load_agenda(db.read, sid)
    async with db.transaction() as repos:
        for item, choice in ((agenda[0], VoteChoice.ZA), (agenda[2], VoteChoice.PROTI)):
            assert item.motion is not None
            opened = await open_vote(repos, rules, sid, item.motion, later(1), None)
            assert opened.round is not None
            if opened.new_checkpoint:
                for person in people[:12]:
                    await confirm_presence(repos, sid, person.id or 0, later(1), Platform.TELEGRAM)
            for person in people[:12]:
                await cast_vote(
                    repos,
                    rules,
                    item.motion.id or 0,
                    opened.round.round,
                    person.id or 0,
                    choice,
                    later(2),
                    Platform.TELEGRAM,
                )
            await finish_round(repos, app, opened.round, later(3), ClosedBy.CHAIR)
    sl = Translator("sl")
    markdown = await render_minutes(db.read, rules, sid, "md", sl, later(10))
    assert markdown is not None
    text = markdown[0].decode()
    assert "službena pot" in text and "Ob začetku je bilo navzočih 12 od 15 članov" in text
    assert "Sklep je SPREJET" in text and "Poročilo o izidu tajnega glasovanja" in text
    assert "Razdeljene glasovnice" in text and "O točki se ni glasovalo." in text
    assert "Točka brez glasovanja." in text
    head = await db.read.audit.head()
    assert f"Revizijska sled: zapis {head.seq}, {head.hash[:16]}" in text
    outcomes = [e for e in await db.read.audit.latest(200) if e.kind == "outcome"]
    assert len(outcomes) == 2 and '"result":"adopted"' in outcomes[0].details
    docx = await render_minutes(db.read, rules, sid, "docx", sl, later(10))
    assert docx is not None
    word = WordDocument(io.BytesIO(docx[0]))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert "Navzočnost" in headings and "Dnevni red" in headings
    pdf = await render_minutes(db.read, rules, sid, "pdf", sl, later(10))
    assert pdf is not None and pdf[0].startswith(b"%PDF")
    csv = await render_minutes(db.read, rules, sid, "csv", sl, later(10))
    assert csv is not None
    rows = csv[0].decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Točka;Naslov;Glas") and len(rows) == 3
    for person in people:  # a secret round names nobody
        secret_rows = [row for row in rows if "tajno" in row]
        assert all(person.surname not in row for row in secret_rows)
