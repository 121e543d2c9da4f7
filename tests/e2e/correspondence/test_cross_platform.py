"""Correspondence sessions with the Gornji Grad council's 11 members on Telegram and Matrix at
once: one bot (real Telegram adapter on the fake Bot API, real Matrix adapter on a real Synapse
with encrypted rooms), members alternating between the platforms, the clerk on Telegram.

The three worked examples of the domain brief, a forbidden category refused by
``sejabot session create`` while an allowed session from the same command is picked up by the
running bot, a double vote by a member on both platforms, a late vote stamped by the homeserver,
and a restart across the deadline in which the homeserver's stamp lets a vote made while the
bot was down count, and a Telegram press (which carries no stamp) does not.

The members are linked once for the module. Sessions are crossed by freezing the runtime's clock
past the deadline and running the feature's due work, as its scheduled wake-up would; only the
tests about Matrix's own timestamps wait a few real seconds for a short real deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from click.testing import CliRunner

from bot.cli import main
from bot.correspondence.create import MotionDraft, SessionDraft, store_ready_session
from bot.correspondence.schedule import correspondence_timers
from bot.domain.models import MotionCategory, SessionStatus, VoteChoice
from bot.linking.codes import issue_codes
from bot.timeutil import format_local
from storage.repositories.correspondence.outcomes import StoredOutcome
from storage.repositories.correspondence.progress import Source
from tests.e2e.conftest import MatrixUsers
from tests.support.harness import BotHarness, MatrixMember, Seen, TelegramMember
from tests.support.synapse import SynapseServer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

Member = TelegramMember | MatrixMember
CLERK = "vesna.hribernik@gornji-grad.example"
BOTH = "barbara.stiglic@gornji-grad.example"  # the member who also links Matrix
COUNCIL = "obcinski-svet-obcine-gornji-grad"
MEMBERS = [
    f"{name}@gornji-grad.example"
    for name in (
        "marko.zupancic", "tanja.kocevar", "joze.suster", "mojca.zagar", "anton.cretnik",
        "barbara.stiglic", "franc.kladnik", "natasa.podbregar", "matej.rakun", "urska.zvipelj",
        "bojan.presecnik",
    )
]  # fmt: skip
WAIT = 60.0


class Council:
    """The harness with the 11 members (alternating platforms) and the clerk linked."""

    def __init__(self, harness: BotHarness, members: list[Member], clerk: TelegramMember) -> None:
        self.harness = harness
        self.members = members
        self.clerk = clerk
        self.second_account: Member | None = None
        self._marks: dict[int, int] = {}  # per member object: messages seen before the session

    def everyone(self) -> list[Member]:
        extra = [self.second_account] if self.second_account is not None else []
        return [*self.members, *extra, self.clerk]

    async def press(self, member: Member, label: str) -> None:
        """Choose ``label`` in the current session: wait until a message of it offers it."""
        mark = self._marks.get(id(member), 0)

        def offered() -> bool:
            return any(offers(label)(seen) for seen in member.seen()[mark:])

        for _attempt in range(int(WAIT * 10)):
            if offered():
                await member.choose(label)
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{member.email} ({member.platform}) was never offered {label!r}")

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.harness.db

    async def run_due(self) -> None:
        assert self.harness.runtime is not None
        await correspondence_timers.run_due(self.harness.runtime.app)

    async def convene(self, title: str, deadline: datetime) -> int:
        body = await self.db.read.bodies.get_by_slug(COUNCIL)
        draft = SessionDraft(
            body_id=body.id, title=title, deadline=deadline,
            motions=(MotionDraft("Imenovanje člana nadzornega odbora",
                                 "Občinski svet imenuje člana nadzornega odbora.",
                                 MotionCategory.APPOINTMENT),),
        )  # fmt: skip
        async with self.db.transaction() as repos:
            session = await store_ready_session(repos, draft, now=self.harness.clock(),
                                                source=Source.CLI)  # fmt: skip
        self.mark()
        await self.run_due()
        return session.id

    def mark(self) -> None:
        """From now on, buttons and polls are chosen among messages that arrive after this."""
        self._marks = {id(member): len(member.seen()) for member in self.everyone()}

    async def close(self, session_id: int) -> list[StoredOutcome]:
        session = await self.db.read.sessions.get(session_id)
        self.harness.clock.freeze(session.deadline + correspondence_timers.grace
                                  + timedelta(seconds=1))  # fmt: skip
        await self.run_due()
        return await self.db.read.correspondence.outcomes.list_for_session(session_id)


def offers(label: str) -> Callable[[Seen], bool]:
    return lambda seen: any(offered == label for offered, _ in seen.choices)


def says(text: str) -> Callable[[Seen], bool]:
    return lambda seen: text in seen.text


def says_all(*texts: str) -> Callable[[Seen], bool]:
    return lambda seen: all(text in seen.text for text in texts)


def result_of(title: str) -> Callable[[Seen], bool]:
    return says(f"Dopisna seja »{title}« je zaključena")


async def confirm(council: Council, member: Member) -> None:
    await council.press(member, "Potrjujem prejem")
    await member.expect(says("Prejem vabila"), timeout=WAIT)


async def vote(
    council: Council, member: Member, choice: str, *, confirm_first: bool = False
) -> Seen:
    if confirm_first:
        await confirm(council, member)
    await council.press(member, choice)
    await council.press(member, f"Da, glasujem {choice}")
    return await member.expect(says("Zabeleženo"), timeout=WAIT)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def council(
    synapse: SynapseServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Council]:
    work = tmp_path_factory.mktemp("correspondence")
    users = MatrixUsers(synapse, work / "nio-stores")
    harness = await BotHarness.start(synapse, users, work)
    try:
        members = await harness.members_on_both(MEMBERS)
        clerk = await harness.member(CLERK, "telegram")
        assert isinstance(clerk, TelegramMember)
        harness.clock.freeze(datetime.now(UTC))
        yield Council(harness, members, clerk)
    finally:
        await harness.close()
        await users.close_all()


async def test_members_on_both_platforms_get_the_invitation(council: Council) -> None:
    platforms = {member.platform for member in council.members}
    assert len(council.members) == 11 and len(platforms) == 2
    session_id = await council.convene("Vabilo na obeh platformah",
                                       council.harness.clock() + timedelta(days=2))  # fmt: skip
    for member in council.members:
        invitation = await member.expect(offers("Potrjujem prejem"), timeout=WAIT)
        ballot = await member.expect(offers("ZA"), timeout=WAIT)
        assert [label for label, _ in ballot.choices] == ["ZA", "PROTI"]
        assert invitation is not None
    tally = await council.clerk.expect(says("Vabilo poslano: 11 od 11"), timeout=WAIT)
    assert "Prejem potrjen: 0 od 11" in tally.text
    outcomes = await council.close(session_id)
    assert outcomes[0].reason.value == "not_quorate"


async def test_example_six_confirm_and_vote_za_is_adopted(council: Council) -> None:
    session_id = await council.convene("Primer 1: šest ZA", council.harness.clock()
                                       + timedelta(days=2))  # fmt: skip
    await asyncio.gather(*(vote(council, member, "ZA", confirm_first=True)
                           for member in council.members[:6]))  # fmt: skip
    quorum = await council.clerk.expect(says("sklepčnost je dosežena"), timeout=WAIT)
    assert "6 od 11" in quorum.text
    [outcome] = await council.close(session_id)
    assert (outcome.quorate, outcome.adopted, outcome.referred) == (True, True, False)
    assert (outcome.confirmed, outcome.voted, outcome.za, outcome.proti) == (6, 6, 6, 0)
    summary = await council.clerk.expect(says("Zapisnik je priložen"), timeout=WAIT)
    assert "Sklepčnost: potrdilo 6 od 11 članov (potrebno več kot polovica: 6)." in summary.text
    assert "Sklep je sprejet, ker nihče ni glasoval PROTI." in summary.text
    for member in council.members:
        result = await member.expect(result_of("Primer 1: šest ZA"), timeout=WAIT)
        assert "SPREJET" in result.text


async def test_example_five_confirm_is_not_quorate(council: Council) -> None:
    session_id = await council.convene("Primer 2: pet potrditev", council.harness.clock()
                                       + timedelta(days=2))  # fmt: skip
    await asyncio.gather(*(confirm(council, member) for member in council.members[:3]))
    await asyncio.gather(*(vote(council, member, "ZA") for member in council.members[3:5]))
    [outcome] = await council.close(session_id)
    assert (outcome.quorate, outcome.adopted, outcome.confirmed) == (False, False, 5)
    assert outcome.reason.value == "not_quorate"
    summary = await council.clerk.expect(says_all("Zapisnik je priložen", "Primer 2"), timeout=WAIT)
    assert "Seja ni sklepčna." in summary.text
    assert "Sklep ni sprejet, ker seja ni bila sklepčna." in summary.text


async def test_example_nine_confirm_one_against_goes_to_the_next_session(council: Council) -> None:
    session_id = await council.convene("Primer 3: en PROTI", council.harness.clock()
                                       + timedelta(days=2))  # fmt: skip
    za, against = council.members[:8], council.members[8]
    await asyncio.gather(*(vote(council, member, "ZA", confirm_first=True) for member in za),
                         vote(council, against, "PROTI"))  # fmt: skip
    [outcome] = await council.close(session_id)
    assert (outcome.quorate, outcome.adopted, outcome.referred) == (True, False, True)
    assert (outcome.confirmed, outcome.za, outcome.proti) == (9, 8, 1)
    summary = await council.clerk.expect(says_all("Zapisnik je priložen", "Primer 3"), timeout=WAIT)
    assert "Sklepčnost: potrdilo 9 od 11 članov (potrebno več kot polovica: 6)." in summary.text
    assert "prvo naslednjo redno sejo" in summary.text

    # The minutes name each member's confirmation and vote, with time and platform.
    facts_text = await _minutes_markdown(council, session_id)
    assert "Telegram, z glasovanjem" in facts_text and "Matrix" in facts_text
    assert "Na tej dopisni seji je glasovalo 9 od 11 članov." in facts_text
    assert (
        "Potrditev tega zapisnika se uvrsti na dnevni red prve naslednje redne seje." in facts_text
    )


async def _minutes_markdown(council: Council, session_id: int) -> str:
    config = council.harness.work_dir / "sejabot.toml"
    config.write_text(f'[bot]\ndatabase_path = "{council.db.path}"\n', encoding="utf-8")
    out = council.harness.work_dir / f"zapisnik-{session_id}.md"
    result = await asyncio.to_thread(
        CliRunner().invoke, main,
        ["--config", str(config), "session", "report", str(session_id), "--format", "md",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


async def test_the_cli_refuses_a_forbidden_category_and_the_bot_sends_an_allowed_one(
    council: Council,
) -> None:
    work = council.harness.work_dir
    config = work / "sejabot.toml"
    config.write_text(f'[bot]\ndatabase_path = "{council.db.path}"\n', encoding="utf-8")
    deadline = "1. 6. 2030 ob 12.00"
    forbidden = work / "rebalans.toml"
    forbidden.write_text(
        f'body = "{COUNCIL}"\ntitle = "Rebalans"\ndeadline = "{deadline}"\n'
        '[[motions]]\ntitle = "Rebalans proračuna"\n'
        'resolution = "Sprejme se rebalans proračuna."\ncategory = "budget"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    refused = await asyncio.to_thread(
        runner.invoke, main, ["--config", str(config), "session", "create", str(forbidden)]
    )
    assert refused.exit_code == 1
    assert "ni mogoče odločati o tej vrsti zadev: proračun" in refused.output
    before = await council.db.read.correspondence.progress.all_ids()

    allowed = work / "imenovanje.toml"
    allowed.write_text(
        f'body = "{COUNCIL}"\ntitle = "Dopisna seja iz ukazne vrstice"\ndeadline = "{deadline}"\n'
        '[[motions]]\ntitle = "Imenovanje"\nresolution = "Občinski svet imenuje člana."\n'
        'category = "appointment"\n',
        encoding="utf-8",
    )
    stored = await asyncio.to_thread(
        runner.invoke, main, ["--config", str(config), "session", "create", str(allowed)]
    )
    assert stored.exit_code == 0, stored.output
    after = await council.db.read.correspondence.progress.all_ids()
    [session_id] = set(after) - set(before)
    # The CLI only stored it; the running bot's scan sends it.
    assert (await council.db.read.sessions.get(session_id)).status is SessionStatus.CONVENED
    await council.run_due()
    for member in council.members:
        await member.expect(says("Dopisna seja iz ukazne vrstice"), timeout=WAIT)
    await council.close(session_id)


async def test_a_member_on_both_platforms_votes_once(council: Council) -> None:
    harness = council.harness
    first = next(m for m in council.members if m.email == BOTH)
    if council.second_account is None:
        fresh = await issue_codes(harness.db, harness.clock(), 14, include_linked=True)
        harness.world.codes[BOTH] = next(i.code for i in fresh if i.person.email == BOTH)
        other = "telegram" if isinstance(first, MatrixMember) else "matrix"
        council.second_account = await harness.member(BOTH, other)
    second = council.second_account
    assert second is not None
    telegram, matrix = (first, second) if isinstance(first, TelegramMember) else (second, first)
    session_id = await council.convene("Glas z dveh platform", harness.clock() + timedelta(days=2))
    await matrix.expect(offers("ZA"), timeout=WAIT)  # the invitation reaches both chats
    recorded = await vote(council, telegram, "ZA")
    assert "Telegram" in recorded.text
    await council.press(matrix, "PROTI")
    refusal = await matrix.expect(says("že glasovali"), timeout=WAIT)
    assert "Vaš glas: ZA" in refusal.text and "Telegram" in refusal.text
    motion = (await council.db.read.motions.list_for_session(session_id))[0]
    votes = await council.db.read.votes.list_for_motion(motion.id, 1)
    assert [(v.person_id, v.choice) for v in votes] == [(telegram.person_id, VoteChoice.ZA)]
    await council.close(session_id)


async def _short_real_deadline(
    council: Council, title: str, seconds: float
) -> tuple[int, datetime]:
    """A session whose deadline is a few real seconds away: Matrix stamps with real time."""
    council.harness.clock.resume()
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    return await council.convene(title, deadline), deadline


async def _wait_until(moment: datetime) -> None:
    await asyncio.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0) + 1.0)


async def test_a_matrix_vote_stamped_after_the_deadline_is_refused(council: Council) -> None:
    matrix = next(m for m in council.members if isinstance(m, MatrixMember))
    session_id, deadline = await _short_real_deadline(council, "Pozen glas", 5)
    await council.press(matrix, "ZA")
    await matrix.expect(offers("Da, glasujem ZA"), timeout=WAIT)
    await _wait_until(deadline)
    await matrix.choose("Da, glasujem ZA")
    refusal = await matrix.expect(says("po izteku roka"), timeout=WAIT)
    assert "Seja je trajala do" in refusal.text
    motion = (await council.db.read.motions.list_for_session(session_id))[0]
    assert await council.db.read.votes.list_for_motion(motion.id, 1) == []
    await council.close(session_id)


async def test_a_restart_across_the_deadline(council: Council) -> None:
    harness = council.harness
    matrix = next(m for m in council.members if isinstance(m, MatrixMember))
    telegram = next(m for m in council.members if isinstance(m, TelegramMember))
    session_id, deadline = await _short_real_deadline(council, "Ponovni zagon", 8)
    for member in (matrix, telegram):
        await council.press(member, "ZA")
        await member.expect(offers("Da, glasujem ZA"), timeout=WAIT)

    await harness.stop_bot()
    await matrix.choose("Da, glasujem ZA")  # stamped by the homeserver before the deadline
    await _wait_until(deadline)
    await telegram.choose("Da, glasujem ZA")  # a button press: judged when the bot receives it
    session = await council.db.read.sessions.get(session_id)
    assert session.status is SessionStatus.OPEN  # nobody closed it while the bot was down

    await harness.start_bot()
    await matrix.expect(says("Zabeleženo"), timeout=WAIT)
    await telegram.expect(says("po izteku roka"), timeout=WAIT)
    await correspondence_timers.run_due(harness.runtime.app)  # within the grace: not yet
    assert (await council.db.read.sessions.get(session_id)).status is SessionStatus.OPEN
    harness.clock.freeze(datetime.now(UTC) + correspondence_timers.grace)
    await council.run_due()
    [outcome] = await council.db.read.correspondence.outcomes.list_for_session(session_id)
    assert (outcome.voted, outcome.za, outcome.confirmed, outcome.quorate) == (1, 1, 1, False)
    result = await matrix.expect(result_of("Ponovni zagon"), timeout=WAIT)
    assert "NI SPREJET" in result.text


async def test_the_clerk_prepares_a_session_on_matrix(council: Council) -> None:
    harness = council.harness
    fresh = await issue_codes(harness.db, harness.clock(), 14, include_linked=True)
    harness.world.codes[CLERK] = next(i.code for i in fresh if i.person.email == CLERK)
    clerk = await harness.member(CLERK, "matrix")
    assert isinstance(clerk, MatrixMember)
    council.mark()

    await clerk.say("!nova_dopisna")
    await clerk.expect(says("Pripravljamo novo dopisno sejo"), timeout=WAIT)
    await council.press(clerk, "Občinski svet Občine Gornji Grad")  # she serves two bodies
    await clerk.expect(says("naslov seje"), timeout=WAIT)
    await clerk.say("Dopisna seja iz Matrixa")
    await clerk.expect(says("predloga sklepa 1"), timeout=WAIT)
    await clerk.say("Občinski svet določi višino takse za uporabo dvorane.")
    warning = await clerk.expect(says("takse"), timeout=WAIT)
    assert "Prosimo, preverite vrsto predloga" in warning.text
    await council.press(clerk, "davki in dajatve")
    await clerk.expect(says("ni mogoče odločati"), timeout=WAIT)
    council.mark()  # the category poll with the same labels was offered before
    await clerk.say("Občinski svet se seznani s poročilom nadzornega odbora.")
    await council.press(clerk, "splošna zadeva")
    await council.press(clerk, "Naprej na gradivo")
    await council.press(clerk, "Gradivo je popolno")
    await clerk.expect(says("Do kdaj traja seja"), timeout=WAIT)
    deadline = harness.clock() + timedelta(days=3)
    await clerk.say(format_local(deadline, "sl"))
    summary = await clerk.expect(says("Preverite dopisno sejo"), timeout=WAIT)
    assert "Gradivo: ni priloženo" in summary.text
    await council.press(clerk, "Pošlji vabila")
    await clerk.expect(says("je sklicana"), timeout=WAIT)
    for member in council.members:
        await member.expect(says("Dopisna seja iz Matrixa"), timeout=WAIT)
