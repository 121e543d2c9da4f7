"""Invitation codes: their form, single use, expiry, the reasons a code is refused, the export."""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.models import Platform
from bot.domain.roster_csv import parse_roster_text
from bot.i18n import Translator
from bot.linking.codes import (
    CODE_ALPHABET,
    IssuedCode,
    RedeemStatus,
    UnknownBody,
    UnknownPerson,
    export_codes,
    generate_code,
    issue_codes,
    normalise_code,
    redeem_code,
    telegram_link,
)
from bot.linking.roster_import import import_roster
from storage.database import Database
from tests.support.keys import TEST_KEYS

EXAMPLE = Path(__file__).parents[3] / "config" / "roster.example.csv"
NOW = datetime(2020, 11, 9, 10, 0, tzinfo=UTC)
COUNCIL_SLUG = "obcinski-svet-obcine-gornji-grad"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "sejabot.sqlite3", TEST_KEYS)
    parsed = parse_roster_text(EXAMPLE.read_text(encoding="utf-8"))
    assert parsed.ok
    await import_roster(database, parsed.rows, "gornji-grad-2016", now=NOW)
    try:
        yield database
    finally:
        await database.close()


def by_email(issued: list[IssuedCode]) -> dict[str, IssuedCode]:
    return {item.person.email: item for item in issued}


def test_codes_are_grouped_and_free_of_look_alikes() -> None:
    codes = {generate_code() for _ in range(2000)}

    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", code), code
        assert not set(code) & set("01OIL")
    assert set("".join(codes).replace("-", "")) == set(CODE_ALPHABET)


@pytest.mark.parametrize(
    "typed", ["K7PM-3QXR-WZ", "k7pm-3qxr-wz", "K7PM3QXRWZ", " k7pm 3qxr wz ", "k7pm_3qxr-wz"]
)
def test_codes_are_read_without_regard_to_case_dashes_and_spaces(typed: str) -> None:
    assert normalise_code(typed) == "K7PM3QXRWZ"


@pytest.mark.parametrize("typed", ["", "K7PM-3QXR", "K7PM-3QXR-WZX", "K0PM-3QXR-WZ", "hello"])
def test_what_cannot_be_a_code(typed: str) -> None:
    assert normalise_code(typed) is None


def test_telegram_link_carries_the_code_without_dashes() -> None:
    assert telegram_link("@SejaBot", "k7pm-3qxr-wz") == "https://t.me/SejaBot?start=K7PM3QXRWZ"


async def test_one_code_per_active_person_with_their_bodies(db: Database) -> None:
    issued = await issue_codes(db, NOW, 14)

    assert len(issued) == 22
    assert len({item.code for item in issued}) == 22
    assert all(item.expires_at == NOW + timedelta(days=14) for item in issued)
    surnames = [item.person.surname for item in issued]
    # Slovenian alphabetical order: Š after S, Ž after Z.
    assert surnames == [
        "Čeh", "Čretnik", "Furlan", "Hribernik", "Kladnik", "Kočevar", "Kovše", "Kralj",
        "Krznar", "Oblak", "Podbregar", "Presečnik", "Rakun", "Slapnik", "Štiglic", "Šuster",
        "Vodopivec", "Zupan", "Zupančič", "Žagar", "Žontar", "Žvipelj",
    ]  # fmt: skip
    vesna = by_email(issued)["vesna.hribernik@gornji-grad.example"]
    assert set(vesna.bodies) == {
        "Odbor za gospodarstvo in kmetijstvo",
        "Občinski svet Občine Gornji Grad",
        "Skupnost občin Slovenije",
    }
    assert vesna.organisations == ("Občina Gornji Grad",)
    luka = by_email(issued)["luka.oblak@skofja-loka.example"]
    assert luka.organisations == ("Občina Škofja Loka",)


async def test_codes_for_one_body_only(db: Database) -> None:
    issued = await issue_codes(db, NOW, 14, body_slug=COUNCIL_SLUG)

    assert len(issued) == 13  # 11 members, the mayor and the clerk
    assert all(item.bodies == ("Občinski svet Občine Gornji Grad",) for item in issued)
    assert all(item.organisations == () for item in issued)


async def test_unknown_body(db: Database) -> None:
    with pytest.raises(UnknownBody) as raised:
        await issue_codes(db, NOW, 14, body_slug="obcinski-svet-obcine-bohinj")
    assert raised.value.slug == "obcinski-svet-obcine-bohinj"


async def test_respondent_codes_carry_their_organisation(db: Database) -> None:
    issued = by_email(await issue_codes(db, NOW, 14))
    maja = issued["maja.furlan@ajdovscina.example"]
    stored = await db.read.linking_codes.find(normalise_code(maja.code) or "")
    organisation = await db.read.organisations.get_by_name("Občina Ajdovščina")

    assert stored is not None and organisation is not None
    assert stored.organisation_id == organisation.id
    assert stored.person_id == maja.person.id


async def test_only_a_keyed_hash_of_a_code_is_stored(db: Database, tmp_path: Path) -> None:
    issued = await issue_codes(db, NOW, 14)
    await db.close()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("sejabot.sqlite3*"))

    for item in issued:
        plain = normalise_code(item.code) or ""
        assert plain.encode() not in stored
        assert item.code.encode() not in stored
        # Not the plain SHA-256 an offline search of about 50 bits would find ...
        assert hashlib.sha256(plain.encode()).hexdigest().encode() not in stored
        # ... but an HMAC under a key that is only in the environment.
        keyed = hmac.new(TEST_KEYS.linking_codes, plain.encode(), hashlib.sha256).hexdigest()
        assert keyed.encode() in stored


async def test_a_code_links_the_account_once(db: Database) -> None:
    marko = by_email(await issue_codes(db, NOW, 14))["marko.zupancic@gornji-grad.example"]
    typed = marko.code.lower().replace("-", " ")

    first = await redeem_code(db, typed, Platform.TELEGRAM, "1001", NOW + timedelta(days=1))
    second = await redeem_code(db, marko.code, Platform.MATRIX, "@x:matrix.example", NOW)

    assert first.status is RedeemStatus.LINKED and first.linked
    assert first.person == marko.person
    assert await db.read.accounts.find_person(Platform.TELEGRAM, "1001") == marko.person
    assert second.status is RedeemStatus.ALREADY_USED and not second.linked
    assert second.person is None
    assert await db.read.accounts.find_person(Platform.MATRIX, "@x:matrix.example") is None


async def test_an_expired_code_links_nothing(db: Database) -> None:
    tanja = by_email(await issue_codes(db, NOW, 14))["tanja.kocevar@gornji-grad.example"]

    at_expiry = await redeem_code(db, tanja.code, Platform.TELEGRAM, "1002", tanja.expires_at)
    just_before = await redeem_code(
        db, tanja.code, Platform.TELEGRAM, "1002", tanja.expires_at - timedelta(seconds=1)
    )

    assert at_expiry.status is RedeemStatus.EXPIRED
    assert just_before.status is RedeemStatus.LINKED


async def test_issuing_again_revokes_the_earlier_unused_code(db: Database) -> None:
    first = by_email(await issue_codes(db, NOW, 14))["joze.suster@gornji-grad.example"]
    later = NOW + timedelta(days=1)
    second = by_email(await issue_codes(db, later, 14))["joze.suster@gornji-grad.example"]

    old = await redeem_code(db, first.code, Platform.TELEGRAM, "1003", later)
    new = await redeem_code(db, second.code, Platform.TELEGRAM, "1003", later)

    assert first.code != second.code
    assert old.status is RedeemStatus.EXPIRED
    assert new.status is RedeemStatus.LINKED


async def test_unknown_codes(db: Database) -> None:
    await issue_codes(db, NOW, 14)

    well_formed = await redeem_code(db, "ABCD-EFGH-JK", Platform.TELEGRAM, "1004", NOW)
    garbage = await redeem_code(db, "hello there", Platform.TELEGRAM, "1004", NOW)

    assert well_formed.status is RedeemStatus.UNKNOWN
    assert garbage.status is RedeemStatus.UNKNOWN
    assert await db.read.accounts.find_person(Platform.TELEGRAM, "1004") is None


async def test_an_account_of_another_person_keeps_the_code_usable(db: Database) -> None:
    issued = by_email(await issue_codes(db, NOW, 14))
    mojca = issued["mojca.zagar@gornji-grad.example"]
    anton = issued["anton.cretnik@gornji-grad.example"]
    await redeem_code(db, mojca.code, Platform.TELEGRAM, "2001", NOW)

    refused = await redeem_code(db, anton.code, Platform.TELEGRAM, "2001", NOW)
    rightful = await redeem_code(db, anton.code, Platform.TELEGRAM, "2002", NOW)

    assert refused.status is RedeemStatus.LINKED_TO_OTHER_PERSON
    assert refused.person is None  # nothing about the other person is revealed
    assert rightful.status is RedeemStatus.LINKED and rightful.person == anton.person
    assert await db.read.accounts.find_person(Platform.TELEGRAM, "2001") == mojca.person


async def test_redeeming_from_an_account_already_linked_to_the_same_person(db: Database) -> None:
    barbara = by_email(await issue_codes(db, NOW, 14))["barbara.stiglic@gornji-grad.example"]
    await redeem_code(db, barbara.code, Platform.TELEGRAM, "3001", NOW)
    # A linked person gets a new code only when asked for by name (to link another platform).
    assert "barbara.stiglic@gornji-grad.example" not in by_email(await issue_codes(db, NOW, 14))
    (again,) = await issue_codes(db, NOW, 14, email="Barbara.Stiglic@gornji-grad.example")

    same_account = await redeem_code(db, again.code, Platform.TELEGRAM, "3001", NOW)
    on_matrix = await redeem_code(
        db, again.code, Platform.MATRIX, "@barbara.stiglic:matrix.example", NOW
    )

    assert same_account.status is RedeemStatus.ALREADY_LINKED and same_account.linked
    assert same_account.person == barbara.person
    assert on_matrix.status is RedeemStatus.LINKED  # the code was not used up
    accounts = await db.read.accounts.list_for_person(barbara.person.id or 0)
    assert {account.platform for account in accounts} == {Platform.TELEGRAM, Platform.MATRIX}


async def test_former_members_get_no_code(db: Database) -> None:
    parsed = parse_roster_text(
        "\n".join(
            line
            for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
            if "matej.rakun@" not in line
        )
    )
    await import_roster(db, parsed.rows, "gornji-grad-2016", now=NOW)

    issued = by_email(await issue_codes(db, NOW, 14))

    assert "matej.rakun@gornji-grad.example" not in issued
    assert len(issued) == 21


@pytest.mark.parametrize(
    ("status", "english", "slovenian"),
    [
        (
            RedeemStatus.LINKED,
            (
                "Welcome, Marko Zupančič. This account is now linked to you; invitations and "
                "votes will reach you here."
            ),
            (
                "Dobrodošli, Marko Zupančič. Ta račun je zdaj povezan z vami; vabila in "
                "glasovanja boste prejemali tukaj."
            ),
        ),
        (
            RedeemStatus.EXPIRED,
            "This code has expired. Ask the sender of the code for a new one.",
            "Ta koda je potekla. Pošiljatelja kode prosite za novo.",
        ),
        (
            RedeemStatus.LINKED_TO_OTHER_PERSON,
            (
                "This account is already linked to another person, so the code was not used. "
                "Redeem it from your own account."
            ),
            (
                "Ta račun je že povezan z drugo osebo, zato koda ni bila porabljena. Uporabite "
                "jo s svojim računom."
            ),
        ),
    ],
)
async def test_outcome_messages(
    db: Database, status: RedeemStatus, english: str, slovenian: str
) -> None:
    marko = by_email(await issue_codes(db, NOW, 14))["marko.zupancic@gornji-grad.example"]
    if status is RedeemStatus.EXPIRED:
        outcome = await redeem_code(db, marko.code, Platform.TELEGRAM, "5", marko.expires_at)
    elif status is RedeemStatus.LINKED_TO_OTHER_PERSON:
        other = by_email(await issue_codes(db, NOW, 14))["franc.kladnik@gornji-grad.example"]
        await redeem_code(db, other.code, Platform.TELEGRAM, "5", NOW)
        outcome = await redeem_code(db, marko.code, Platform.TELEGRAM, "5", NOW)
    else:
        outcome = await redeem_code(db, marko.code, Platform.TELEGRAM, "5", NOW)

    assert outcome.status is status
    assert outcome.message(Translator("en")) == english
    assert outcome.message(Translator("sl")) == slovenian


async def test_export_for_the_clerk(db: Database, tmp_path: Path) -> None:
    issued = await issue_codes(db, NOW, 14)
    path = tmp_path / "out" / "codes.csv"

    export_codes(
        issued,
        path,
        translate=Translator("sl"),
        timezone="Europe/Ljubljana",
        telegram_bot_username="SejaGornjiGradBot",
        matrix_user_id="@sejabot:matrix.example",
    )

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    with path.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file, delimiter=";"))
    assert table[0] == [
        "ime",
        "priimek",
        "organ",
        "organizacija",
        "koda",
        "velja do",
        "Povezava za Telegram",
        "Navodilo za Matrix",
    ]
    assert len(table) == 1 + 22
    rows = {(row[0], row[1]): row for row in table[1:]}
    luka = rows[("Luka", "Oblak")]
    code = by_email(issued)["luka.oblak@skofja-loka.example"].code
    assert luka[2:6] == [
        "Skupnost občin Slovenije",
        "Občina Škofja Loka",
        code,
        "23. 11. 2020 ob 11.00",  # 10.00 UTC is 11.00 in Ljubljana in November
    ]
    assert luka[6] == f"https://t.me/SejaGornjiGradBot?start={code.replace('-', '')}"
    assert (
        luka[7] == f"Odprite neposredni klepet z @sejabot:matrix.example in pošljite kodo {code}."
    )
    franc = rows[("Franc", "Kladnik")]
    assert set(franc[2].split(", ")) == {
        "Občinski svet Občine Gornji Grad",
        "Odbor za gospodarstvo in kmetijstvo",
    }
    assert franc[3] == ""


async def test_export_without_chat_settings_in_english(db: Database, tmp_path: Path) -> None:
    issued = await issue_codes(db, NOW, 14, body_slug=COUNCIL_SLUG)
    path = tmp_path / "codes.csv"
    path.write_text("old, world-readable\n")
    path.chmod(0o644)

    export_codes(issued, path, translate=Translator("en"))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file, delimiter=";"))
    assert table[0][:6] == ["name", "surname", "body", "organisation", "code", "expires"]
    assert len(table) == 14
    assert all(row[6] == "" and row[7] == "" for row in table[1:])
    assert {row[2] for row in table[1:]} == {"Občinski svet Občine Gornji Grad"}
    surnames = {item.person.surname for item in issued}
    assert {"Krznar", "Hribernik"} <= surnames  # the mayor and the clerk get codes too


async def test_a_new_code_revokes_the_older_ones_and_linked_people_are_left_out(
    db: Database,
) -> None:
    first = by_email(await issue_codes(db, NOW, 14))
    second = by_email(await issue_codes(db, NOW, 14))
    marko_old = first["marko.zupancic@gornji-grad.example"]
    marko_new = second["marko.zupancic@gornji-grad.example"]
    old = await redeem_code(db, marko_old.code, Platform.TELEGRAM, "4001", NOW)
    assert old.status is RedeemStatus.EXPIRED  # revoked: only the newest code works
    assert (await redeem_code(db, marko_new.code, Platform.TELEGRAM, "4001", NOW)).linked
    third = by_email(await issue_codes(db, NOW, 14))
    assert "marko.zupancic@gornji-grad.example" not in third
    assert len(third) == len(second) - 1
    everyone = by_email(await issue_codes(db, NOW, 14, include_linked=True))
    assert "marko.zupancic@gornji-grad.example" in everyone
    with pytest.raises(UnknownPerson):
        await issue_codes(db, NOW, 14, email="nobody@gornji-grad.example")


async def test_codes_issued_before_keyed_hashes_still_link(db: Database) -> None:
    marko = by_email(await issue_codes(db, NOW, 14))["marko.zupancic@gornji-grad.example"]
    legacy = generate_code()
    plain = normalise_code(legacy) or ""
    async with db.transaction() as repos:
        person = marko.person.id or 0
        # As a version before 12 stored it: the plain SHA-256 of the code.
        await repos.linking_codes.add(
            hashlib.sha256(plain.encode()).hexdigest(), person, None, NOW, NOW + timedelta(days=3)
        )
    outcome = await redeem_code(db, legacy, Platform.TELEGRAM, "5001", NOW)
    assert outcome.status is RedeemStatus.LINKED


async def test_a_name_that_looks_like_a_formula_stays_text_in_the_export(
    db: Database, tmp_path: Path
) -> None:
    (marko,) = await issue_codes(db, NOW, 14, email="marko.zupancic@gornji-grad.example")
    forged = replace(
        marko,
        person=replace(
            marko.person, name='=HYPERLINK("https://evil.example";"Klik")', surname="@SUM(1)"
        ),
        bodies=("+cmd|' /C calc'!A0",),
        organisations=("-2+3",),
    )
    path = tmp_path / "kode.csv"
    export_codes([forged], path, translate=Translator("sl"))
    with path.open(encoding="utf-8-sig", newline="") as file:
        (_, row) = list(csv.reader(file, delimiter=";"))
    assert row[:4] == [
        '\'=HYPERLINK("https://evil.example";"Klik")',
        "'@SUM(1)",
        "'+cmd|' /C calc'!A0",
        "'-2+3",
    ]
