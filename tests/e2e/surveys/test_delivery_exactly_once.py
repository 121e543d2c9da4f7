"""Exactly-once survey invitations (issue 15), against the real bot (``sejabot run``, its own
process) on the fake Telegram Bot API: the SOS questionnaire goes to the contacts of 40
municipalities, and the bot is stopped with SIGTERM, or killed with SIGKILL, while the
invitations go out; then started again. Every message each contact received is counted.

* SIGTERM: the contacts in flight finish and are recorded, the rest follow after the restart;
  every contact holds the invitation exactly once.
* SIGKILL: only an invitation the platform accepted in the last moment before the kill, and
  not yet recorded, may come again: at most one repeated message per contact, nobody left out.

Before this change each contact's invitation was claimed and then sent: a stop or a crash
after the claim lost it for good.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from benchmarks.population import populate as populate_roster
from bot.domain.models import Platform
from bot.timeutil import LJUBLJANA, utc_now
from storage.database import Database
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.keys import TEST_KEYS
from tests.support.voting_crowd import cli_environment, link_accounts, restart

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

ROOT = Path(__file__).resolve().parents[3]
SOS_2020 = ROOT / "config" / "surveys" / "sos-2020-seje-na-daljavo.yaml"
ORGANISATIONS = 40
TITLE = "Izvedba sej občinskih svetov na daljavo"


async def _contacts(database: Path) -> dict[str, int]:
    db = await Database.open(database, TEST_KEYS)
    try:
        await populate_roster(db, 0, 0, ORGANISATIONS)
        found = {}
        for number in range(ORGANISATIONS):
            person = await db.read.persons.get_by_email(f"kontakt{number}@obcina{number}.example")
            assert person is not None and person.id is not None
            found[f"kontakt{number}"] = person.id
        return found
    finally:
        await db.close()


async def _create_survey(bot: BotProcess, environment: dict[str, str]) -> None:
    deadline = (utc_now() + timedelta(days=5)).astimezone(LJUBLJANA)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(bot.config), "survey", "create",
        str(SOS_2020), "--deadline", deadline.strftime("%d. %m. %Y ob %H.%M"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=environment,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")


async def _send_and_interrupt(tmp_path: Path, how: str) -> dict[str, object]:
    database = tmp_path / "sejabot.sqlite3"
    contacts = await _contacts(database)
    async with FakeTelegram() as fake:
        bot = BotProcess(tmp_path, database, fake.url, fake.token)
        users = {
            person_id: fake.user(920_000 + index, "Kontakt", f"Občina {index:03d}")
            for index, person_id in enumerate(contacts.values())
        }
        for user in users.values():
            fake.state.started.add(user.id)
        await link_accounts(database, [(p, Platform.TELEGRAM, str(u.id)) for p, u in users.items()])
        await _create_survey(bot, cli_environment(fake.token))

        def invitations() -> dict[int, int]:
            return {
                p: sum(TITLE in (m.text or "") for m in fake.messages_in(u))
                for p, u in users.items()
            }

        await bot.start(ready_marker="telegram transport running")
        await fake.wait_until(lambda: sum(invitations().values()) >= 3 or None, 60)
        at_stop = sum(invitations().values())
        if how == "SIGTERM":
            stopped_with = await bot.stop()
        else:
            await bot.kill()
            stopped_with = -9
        after_stop = sum(invitations().values())
        await restart(bot, generation=1)
        try:
            await fake.wait_until(lambda: all(invitations().values()) or None, 60)
        except TimeoutError:
            pass  # counted below
        await asyncio.sleep(3.0)  # anything repeated would have arrived by now
        await bot.stop()
        messages = {p: len(fake.messages_in(u)) for p, u in users.items()}
        return {
            "invitations": invitations(),
            "messages": messages,
            "at_stop": at_stop,
            "after_stop": after_stop,
            "stopped_with": stopped_with,
        }


async def test_sigterm_while_survey_invitations_go_out(tmp_path: Path) -> None:
    seen = await _send_and_interrupt(tmp_path, "SIGTERM")
    invitations, messages = seen["invitations"], seen["messages"]
    assert isinstance(invitations, dict) and isinstance(messages, dict)
    print(
        f"\nsurvey, SIGTERM: {seen['at_stop']} invitations out at the signal, "
        f"{seen['after_stop']} once stopped; per contact after the restart: "
        f"{sorted(Counter(invitations.values()).items())} (invitations, contacts)"
    )
    assert seen["stopped_with"] == 0
    assert set(invitations.values()) == {1}, invitations
    assert set(messages.values()) == {1}, messages


async def test_sigkill_while_survey_invitations_go_out(tmp_path: Path) -> None:
    seen = await _send_and_interrupt(tmp_path, "SIGKILL")
    invitations = seen["invitations"]
    assert isinstance(invitations, dict)
    print(
        f"\nsurvey, SIGKILL: {seen['at_stop']} invitations out at the kill; per contact after "
        f"the restart: {sorted(Counter(invitations.values()).items())} (invitations, contacts)"
    )
    assert all(1 <= n <= 2 for n in invitations.values()), invitations
