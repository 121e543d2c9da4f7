"""The demo: the bot on a local Synapse homeserver with the example roster, ready to try.

Everything lives in one work directory (var/demo by default): the database, the homeserver's
data and the demo log-ins, so a second run continues where the first stopped. The demo's
passwords are made here and written to that directory; they protect nothing but the demo.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bot.assembly import matrix_welcome_check
from bot.domain.models import Person, Role
from bot.domain.roster_csv import parse_roster
from bot.i18n import Translator
from bot.linking.codes import IssuedCode, issue_codes
from bot.linking.roster_import import import_roster
from bot.local_homeserver import SynapseServer
from bot.runtime import Runtime
from bot.server_keys import SECRET_KEY_ENV, ServerKeys, new_secret_key
from bot.timeutil import utc_now
from bot.transport.matrix.adapter import MatrixTransport
from storage.database import Database
from storage.files import owner_only_file

log = logging.getLogger(__name__)

EXAMPLE_ROSTER = Path(__file__).resolve().parents[1] / "config" / "roster.example.csv"
BOT_LOCALPART = "sejabot"
DEMO_PEOPLE = 4  # the clerk and the first council members on the roster


@dataclass(frozen=True)
class DemoLogin:
    name: str
    user_id: str
    password: str
    code: str = ""


@dataclass(frozen=True)
class DemoState:
    homeserver: str
    bot_user_id: str
    logins: tuple[DemoLogin, ...]


class Demo:
    def __init__(self, work_dir: Path, *, language: str = "sl") -> None:
        self.work_dir = work_dir
        self._ = Translator(language)
        self.synapse = SynapseServer(work_dir / "synapse")
        self.db: Database | None = None
        self.keys: ServerKeys | None = None
        self.runtime: Runtime | None = None
        self.state: DemoState | None = None

    @property
    def _accounts_file(self) -> Path:
        return self.work_dir / "demo-accounts.json"

    def _server_keys(self) -> ServerKeys:
        """SEJABOT_SECRET_KEY when exported; otherwise the demo's own key, made at its first
        start and kept owner-only beside its database like the demo passwords, so a second
        run can still count the ballots the first one sealed."""
        exported = os.environ.get(SECRET_KEY_ENV, "").strip()
        if exported:
            return ServerKeys.from_secret(exported)
        key_file = self.work_dir / "demo-secret-key"
        if not key_file.exists():
            owner_only_file(key_file)
            key_file.write_text(new_secret_key() + "\n", encoding="ascii")
        return ServerKeys.from_secret(key_file.read_text(encoding="ascii"))

    async def start(self) -> DemoState:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        await self.synapse.start()
        self.keys = self._server_keys()
        self.db = await Database.open(self.work_dir / "sejabot.sqlite3", self.keys)
        parsed = parse_roster(EXAMPLE_ROSTER.read_bytes())
        await import_roster(self.db, parsed.rows, "gornji-grad-2016")
        accounts = await self._accounts()
        people = await self._demo_people()
        await self._give_matrix_ids(people, accounts)
        codes = {item.person.id: item.code for item in await self._issue_codes(people)}
        bot_password = accounts["@bot"]
        transport = MatrixTransport(
            self.synapse.base_url,
            self.synapse.user_id(BOT_LOCALPART),
            "SEJABOT_DEMO",
            self.work_dir / "matrix-store",
            is_welcome=matrix_welcome_check(self.db),
            password=bot_password,
            pickle_key=self.keys.matrix_pickle,
        )
        self.runtime = Runtime(self.db, [transport])
        await self.runtime.start()
        logins = []
        for person in people:
            user_id = self._user_id(person)
            logins.append(
                DemoLogin(person.full_name, user_id, accounts[user_id], codes.get(person.id, ""))
            )
            # Open the direct room now, so it waits in the person's client. Nothing is written
            # into it yet: a message encrypted before the person's first log-in could not be
            # read by the device they log in with.
            await transport.direct_chat(user_id)
        self.state = DemoState(
            self.synapse.base_url, self.synapse.user_id(BOT_LOCALPART), tuple(logins)
        )
        return self.state

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
        if self.db is not None:
            await self.db.close()
        await self.synapse.stop()

    async def _accounts(self) -> dict[str, str]:
        """Matrix user ID -> password, registered once and kept in the work directory."""
        if self._accounts_file.exists():
            return dict(json.loads(self._accounts_file.read_text(encoding="utf-8")))
        accounts = {"@bot": secrets.token_urlsafe(18)}
        await self.synapse.register_user(BOT_LOCALPART, accounts["@bot"])
        for person in await self._demo_people():
            password = secrets.token_urlsafe(9)
            user_id = await self.synapse.register_user(self._localpart(person), password)
            accounts[user_id] = password
        self._accounts_file.write_text(json.dumps(accounts, indent=2), encoding="utf-8")
        self._accounts_file.chmod(0o600)
        return accounts

    async def _demo_people(self) -> list[Person]:
        assert self.db is not None
        council = next(body for body in await self.db.read.bodies.list() if body.kind == "council")
        assert council.id is not None
        seats = await self.db.read.memberships.list_for_body(council.id)
        clerks = [seat for seat in seats if seat.role is Role.CLERK]
        members = [seat for seat in seats if seat.role is Role.MEMBER]
        people = []
        for seat in (clerks + members)[:DEMO_PEOPLE]:
            person = await self.db.read.persons.get(seat.person_id)
            if person is not None:
                people.append(person)
        return people

    def _localpart(self, person: Person) -> str:
        return person.email.split("@", 1)[0].lower()

    def _user_id(self, person: Person) -> str:
        return self.synapse.user_id(self._localpart(person))

    async def _give_matrix_ids(self, people: list[Person], accounts: dict[str, str]) -> None:
        """The demo people get their local Matrix IDs on the roster, so the bot welcomes them."""
        assert self.db is not None
        async with self.db.transaction() as repos:
            for person in people:
                if person.matrix_id != self._user_id(person):
                    await repos.persons.update(replace(person, matrix_id=self._user_id(person)))

    async def _issue_codes(self, people: list[Person]) -> list[IssuedCode]:
        """Codes for demo people not linked yet (a rerun keeps earlier links)."""
        assert self.db is not None
        issued = await issue_codes(self.db, utc_now(), 14)
        wanted = {person.id for person in people}
        unlinked = []
        for item in issued:
            person_id = item.person.id
            if (
                person_id in wanted
                and person_id is not None
                and not await self.db.read.accounts.list_for_person(person_id)
            ):
                unlinked.append(item)
        return unlinked


def describe(state: DemoState, _: Translator) -> str:
    lines = [
        _("Sejabot demo is running."),
        _(
            "Homeserver: {url}  (log in with any Matrix client, e.g. Element, as below)",
            url=state.homeserver,
        ),
        _("Bot: {user_id}", user_id=state.bot_user_id),
        "",
    ]
    for login in state.logins:
        lines.append(
            f"  {login.name:<22} {login.user_id:<34} "
            + _("password: {password}", password=login.password)
        )
        if login.code:
            lines.append(" " * 60 + _("invitation code: {code}", code=login.code))
    lines += [
        "",
        _("The bot has opened a direct chat with each of them: accept it and send the code."),
        _("Stop with Ctrl+C."),
    ]
    return "\n".join(lines)


def state_as_json(state: DemoState) -> str:
    return json.dumps(asdict(state), ensure_ascii=False, indent=2)
