"""Importing the roster into a real SQLite database: all or nothing, updates in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.models import (
    Body,
    BodyKind,
    DeliveryConfirmation,
    Platform,
    Role,
    Session,
    SessionKind,
    SessionStatus,
)
from bot.domain.roster_csv import RosterRow, parse_roster_text
from bot.linking.codes import RedeemStatus, issue_codes, redeem_code
from bot.linking.roster_import import import_roster
from storage.database import Database

EXAMPLE = Path(__file__).parents[3] / "config" / "roster.example.csv"
COUNCIL_SLUG = "obcinski-svet-obcine-gornji-grad"
SOS_SLUG = "skupnost-obcin-slovenije"
NOW = datetime(2020, 11, 9, 10, 0, tzinfo=UTC)


def rows_of(text: str) -> tuple[RosterRow, ...]:
    parsed = parse_roster_text(text)
    assert parsed.ok, parsed.problems
    return parsed.rows


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def without(text: str, email: str) -> str:
    return "\n".join(line for line in text.splitlines() if email not in line)


async def test_first_import_of_the_example_roster(db: Database) -> None:
    report = await import_roster(db, rows_of(example_text()), "gornji-grad-2016")

    assert report.bodies_created == 3
    assert (report.added, report.updated, report.unchanged, report.deactivated) == (26, 0, 0, 0)
    council = await db.read.bodies.get_by_slug(COUNCIL_SLUG)
    assert council is not None and council.id is not None
    assert (council.name, council.kind, council.rule_set) == (
        "Občinski svet Občine Gornji Grad",
        BodyKind.COUNCIL,
        "gornji-grad-2016",
    )
    seats = await db.read.memberships.list_for_body(council.id)
    assert [seat.role for seat in seats].count(Role.MEMBER) == 11
    # Franc Kladnik and Mojca Žagar sit in two bodies, Vesna Hribernik in three.
    assert len(await db.read.persons.list()) == 22

    vesna = await db.read.persons.get_by_email("VESNA.HRIBERNIK@gornji-grad.example")
    assert vesna is not None and vesna.id is not None
    assert vesna.telegram_username == "vesna_hribernik"
    assert vesna.matrix_id == "@vesna.hribernik:matrix.example"
    slugs = {body.id: body.slug for body in await db.read.bodies.list()}
    roles = {
        slugs[seat.body_id]: seat.role
        for seat in await db.read.memberships.list_for_person(vesna.id)
    }
    assert roles[COUNCIL_SLUG] is Role.CLERK
    assert roles[SOS_SLUG] is Role.RESPONDENT

    sos = await db.read.bodies.get_by_slug(SOS_SLUG)
    assert sos is not None and sos.id is not None and sos.kind is BodyKind.PRESIDENCY
    organisations = {org.id: org.name for org in await db.read.organisations.list()}
    respondents = [
        seat
        for seat in await db.read.memberships.list_for_body(sos.id)
        if seat.role is Role.RESPONDENT
    ]
    answering_for = [organisations[seat.organisation_id] for seat in respondents]
    assert answering_for.count("Občina Škofja Loka") == 2
    assert len(set(answering_for)) == 7


async def test_reimporting_the_same_file_changes_nothing(db: Database) -> None:
    await import_roster(db, rows_of(example_text()), "gornji-grad-2016")
    people_before = await db.read.persons.list()

    report = await import_roster(db, rows_of(example_text()), "gornji-grad-2016")

    assert report.bodies_created == 0
    assert (report.added, report.updated, report.unchanged, report.deactivated) == (0, 0, 26, 0)
    assert await db.read.persons.list() == people_before


async def test_reimport_updates_a_person_in_place_and_keeps_their_history(db: Database) -> None:
    await import_roster(db, rows_of(example_text()), "gornji-grad-2016")
    before = await db.read.persons.get_by_email("tanja.kocevar@gornji-grad.example")
    assert before is not None and before.id is not None
    council = await db.read.bodies.get_by_slug(COUNCIL_SLUG)
    assert council is not None and council.id is not None
    async with db.transaction() as repos:
        await repos.accounts.link(before.id, Platform.TELEGRAM, "111222333", NOW)
        await repos.persons.set_language(before.id, "en")
        session = await repos.sessions.add(
            Session(
                None,
                council.id,
                SessionKind.CORRESPONDENCE,
                "5. dopisna seja",
                deadline=NOW + timedelta(days=2),
                status=SessionStatus.CONVENED,
                created_at=NOW,
            )
        )
        assert session.id is not None
        await repos.deliveries.confirm(
            DeliveryConfirmation(session.id, before.id, NOW, Platform.TELEGRAM)
        )
    # She married, changed her phone and is now written with a capital in her address; she
    # also became the chair of the council.
    changed = example_text().replace(
        "Tanja;Kočevar;svetnica;Občinski svet Občine Gornji Grad;"
        "tanja.kocevar@gornji-grad.example;031 555 102;",
        "Tanja;Kočevar Novak;predsedujoča;Občinski svet Občine Gornji Grad;"
        "Tanja.Kocevar@gornji-grad.example;031 555 999;",
    )
    assert changed != example_text()

    report = await import_roster(db, rows_of(changed), "gornji-grad-2016")

    council_report = next(body for body in report.bodies if body.slug == COUNCIL_SLUG)
    assert (council_report.added, council_report.updated, council_report.deactivated) == (0, 1, 0)
    after = await db.read.persons.get(before.id)
    assert after is not None
    assert (after.surname, after.phone, after.email) == (
        "Kočevar Novak",
        "031 555 999",
        "Tanja.Kocevar@gornji-grad.example",
    )
    assert after.language == "en"  # chosen by her, not part of the roster
    assert after.matrix_id == before.matrix_id
    seat = await db.read.memberships.get(before.id, council.id)
    assert seat is not None and seat.role is Role.CHAIR
    linked = await db.read.accounts.find_person(Platform.TELEGRAM, "111222333")
    assert linked is not None and linked.id == before.id
    confirmation = await db.read.deliveries.get(session.id, before.id)
    assert confirmation is not None and confirmation.confirmed_at == NOW


async def test_people_no_longer_listed_are_deactivated_not_deleted(db: Database) -> None:
    await import_roster(db, rows_of(example_text()), "gornji-grad-2016")
    bojan = await db.read.persons.get_by_email("bojan.presecnik@gornji-grad.example")
    assert bojan is not None and bojan.id is not None
    async with db.transaction() as repos:
        await repos.accounts.link(bojan.id, Platform.MATRIX, "@bojan:matrix.example", NOW)

    report = await import_roster(
        db, rows_of(without(example_text(), "bojan.presecnik@")), "gornji-grad-2016"
    )

    council_report = next(body for body in report.bodies if body.slug == COUNCIL_SLUG)
    assert (council_report.deactivated, council_report.unchanged) == (1, 12)
    assert report.deactivated == 1
    council = await db.read.bodies.get_by_slug(COUNCIL_SLUG)
    assert council is not None and council.id is not None
    active = {seat.person_id for seat in await db.read.memberships.list_for_body(council.id)}
    assert bojan.id not in active and len(active) == 12
    seat = await db.read.memberships.get(bojan.id, council.id)
    assert seat is not None and seat.active is False
    assert await db.read.persons.get(bojan.id) == bojan
    assert await db.read.accounts.find_person(Platform.MATRIX, "@bojan:matrix.example") == bojan

    # Listed again later: the same seat comes back.
    report = await import_roster(db, rows_of(example_text()), "gornji-grad-2016")
    assert (report.added, report.deactivated) == (1, 0)
    seat = await db.read.memberships.get(bojan.id, council.id)
    assert seat is not None and seat.active is True


async def test_leaving_one_body_keeps_the_other_seat(db: Database) -> None:
    await import_roster(db, rows_of(example_text()), "gornji-grad-2016")
    text = "\n".join(
        line
        for line in example_text().splitlines()
        if not (line.startswith("Franc;Kladnik;član;Odbor"))
    )

    report = await import_roster(db, rows_of(text), "gornji-grad-2016")

    committee = next(body for body in report.bodies if body.slug.startswith("odbor"))
    assert committee.deactivated == 1
    franc = await db.read.persons.get_by_email("franc.kladnik@gornji-grad.example")
    assert franc is not None and franc.id is not None
    assert len(await db.read.memberships.list_for_person(franc.id)) == 1


async def test_bodies_the_file_does_not_cover_are_left_alone(db: Database) -> None:
    await import_roster(db, rows_of(example_text()), "gornji-grad-2016")
    only_council = "\n".join(
        line
        for number, line in enumerate(example_text().splitlines())
        if number == 0 or "Občinski svet" in line
    )

    report = await import_roster(db, rows_of(only_council), "gornji-grad-2016")

    assert [body.slug for body in report.bodies] == [COUNCIL_SLUG]
    sos = await db.read.bodies.get_by_slug(SOS_SLUG)
    assert sos is not None and sos.id is not None
    assert len(await db.read.memberships.list_for_body(sos.id)) == 9


async def test_existing_body_keeps_its_rule_set(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.bodies.upsert(
            Body(None, COUNCIL_SLUG, "Občinski svet", BodyKind.COUNCIL, "own-rules")
        )

    report = await import_roster(db, rows_of(example_text()), "gornji-grad-2016")

    assert report.bodies_created == 2
    council = await db.read.bodies.get_by_slug(COUNCIL_SLUG)
    assert council is not None
    assert (council.name, council.rule_set) == ("Občinski svet Občine Gornji Grad", "own-rules")


async def test_dry_run_reports_and_saves_nothing(db: Database) -> None:
    report = await import_roster(db, rows_of(example_text()), "gornji-grad-2016", dry_run=True)

    assert report.dry_run
    assert (report.bodies_created, report.added) == (3, 26)
    assert await db.read.bodies.list() == []
    assert await db.read.persons.list() == []
    assert await db.read.organisations.list() == []


async def test_codes_of_someone_who_left_every_body_stop_working(db: Database) -> None:
    await import_roster(db, rows_of(example_text()), "gornji-grad-2016")
    issued = {item.person.email: item.code for item in await issue_codes(db, NOW, 14)}
    later = NOW + timedelta(hours=1)

    await import_roster(
        db, rows_of(without(example_text(), "damjan.ceh@")), "gornji-grad-2016", now=later
    )

    gone = issued["damjan.ceh@zalec.example"]
    assert (await redeem_code(db, gone, Platform.TELEGRAM, "9", later)).status is (
        RedeemStatus.EXPIRED
    )
    stays = issued["maja.furlan@ajdovscina.example"]
    assert (await redeem_code(db, stays, Platform.TELEGRAM, "8", later)).status is (
        RedeemStatus.LINKED
    )
