"""Peak memory of a running bot (`sejabot run`, its own process) with 3,300 members and 212
organisations, both transports connected, after a burst of members linking and asking for help."""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchmarks.common import Result
from benchmarks.keys import BENCH_KEYS
from benchmarks.population import populate
from bot.linking.codes import issue_codes
from bot.local_homeserver import SynapseServer
from bot.timeutil import utc_now
from storage.database import Database
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram

GOAL_MIB = 150
COUNCILS, MEMBERS_PER_COUNCIL, ORGANISATIONS = 220, 15, 212
ACTIVE_USERS = 200


async def run(work_dir: Path, synapse: SynapseServer) -> Result:
    database = work_dir / "memory.sqlite3"
    db = await Database.open(database, BENCH_KEYS)
    await populate(db, COUNCILS, MEMBERS_PER_COUNCIL, ORGANISATIONS)
    codes = [item.code for item in await issue_codes(db, utc_now(), 14)][:ACTIVE_USERS]
    members = len(await db.read.persons.list())
    await db.close()
    await synapse.register_user("membot", "membot-password")
    async with FakeTelegram() as fake:
        bot = BotProcess(
            work_dir,
            database,
            fake.url,
            fake.token,
            homeserver=synapse.base_url,
            matrix_user=synapse.user_id("membot"),
            matrix_password="membot-password",
        )
        await bot.start()
        try:
            users = [
                fake.user(50_000 + number, "Član", f"{number}") for number in range(len(codes))
            ]
            for user, code in zip(users, codes, strict=True):
                await fake.user_sends_text(user, f"/start {code}")
            for user in users:
                await fake.wait_for_message(user, timeout=60)
                await fake.user_sends_text(user, "/pomoc")
            for user in users:
                await fake.wait_for_message(user, lambda m: "/jezik" in (m.text or ""), timeout=60)
            await asyncio.sleep(1)
            peak_mib = bot.peak_memory_kib() / 1024
        finally:
            await bot.stop()
    return Result(
        name="Peak memory of a running bot",
        goal=f"≤ {GOAL_MIB} MB with 3,300 members and 212 organisations",
        measured=f"{peak_mib:.0f} MiB peak RSS (VmHWM)",
        met=peak_mib <= GOAL_MIB,
        details=[
            (
                f"{members} people on the roster ({COUNCILS} councils × {MEMBERS_PER_COUNCIL} "
                f"members and their clerks, {ORGANISATIONS} organisation contacts, the secretariat)"
            ),
            "`sejabot run` as its own process, Telegram (fake Bot API) and Matrix (Synapse) connected",
            f"{len(codes)} members linked their accounts and asked for help during the measurement",
        ],
    )
