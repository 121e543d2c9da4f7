"""Bodies, organisations, persons, memberships and linked accounts."""

from __future__ import annotations

import sqlite3

import pytest

from bot.domain.models import Body, BodyKind, Membership, Person, Platform, Role
from storage.database import Database
from storage.errors import AccountAlreadyLinked, CheckViolation, DuplicateEmail, NotFound
from storage.records import LinkedAccount
from tests.storage.factories import T0, at, council


async def test_bodies_upsert_by_slug(db: Database) -> None:
    async with db.transaction() as repos:
        first = await repos.bodies.upsert(
            Body(None, "gornji-grad", "Občinski svet", BodyKind.COUNCIL, "gornji-grad-2016")
        )
        again = await repos.bodies.upsert(
            Body(None, "gornji-grad", "Občinski svet Občine Gornji Grad", BodyKind.COUNCIL, "other")
        )
        committee = await repos.bodies.upsert(
            Body(None, "odbor-finance", "Odbor za finance", BodyKind.COMMITTEE, "gornji-grad-2016")
        )
    assert first.id == again.id != committee.id
    stored = await db.read.bodies.get_by_slug("gornji-grad")
    assert stored == Body(
        first.id, "gornji-grad", "Občinski svet Občine Gornji Grad", BodyKind.COUNCIL, "other"
    )
    assert await db.read.bodies.get(committee.id) == committee
    assert await db.read.bodies.get_by_slug("nobody") is None
    assert [b.slug for b in await db.read.bodies.list()] == ["gornji-grad", "odbor-finance"]


async def test_organisations_get_or_create_ignores_case_and_spacing(db: Database) -> None:
    async with db.transaction() as repos:
        trzin = await repos.organisations.get_or_create("Občina Trzin")
        same = await repos.organisations.get_or_create("  OBČINA   TRZIN ")
        other = await repos.organisations.get_or_create("Občina Šentjur")
    assert trzin == same
    assert trzin.name == "Občina Trzin"
    assert await db.read.organisations.get(other.id) == other
    assert await db.read.organisations.get_by_name("občina šentjur") == other
    assert [o.name for o in await db.read.organisations.list()] == [
        "Občina Trzin",
        "Občina Šentjur",
    ]


async def test_persons_round_trip_and_case_insensitive_email(db: Database) -> None:
    ana = Person(
        None,
        "Ana",
        "Novak",
        "Ana.Novak@Gornji-Grad.si",
        "+386 41 000 000",
        "ananovak",
        "@ana:matrix.example",
        "en",
    )
    async with db.transaction() as repos:
        stored = await repos.persons.add(ana)
    assert stored.id is not None
    assert stored == Person(
        stored.id,
        *[
            getattr(ana, f)
            for f in (
                "name",
                "surname",
                "email",
                "phone",
                "telegram_username",
                "matrix_id",
                "language",
            )
        ],
    )
    assert await db.read.persons.get(stored.id) == stored
    assert await db.read.persons.get_by_email("ana.novak@gornji-grad.si") == stored
    assert await db.read.persons.get_by_email(" ANA.NOVAK@GORNJI-GRAD.SI ") == stored
    assert await db.read.persons.get_by_email("") is None

    async with db.transaction() as repos:
        with pytest.raises(DuplicateEmail):
            await repos.persons.add(Person(None, "Ana", "Druga", "ana.novak@GORNJI-grad.si"))
        # People without an address do not collide with each other.
        await repos.persons.add(Person(None, "Brez", "Naslova", ""))
        await repos.persons.add(Person(None, "Tudi", "Brez", ""))
        updated = await repos.persons.update(
            Person(stored.id, "Ana", "Novak Kos", "ana.kos@gornji-grad.si", language="sl")
        )
        relanguaged = await repos.persons.set_language(stored.id, "en")
        with pytest.raises(NotFound):
            await repos.persons.set_language(9999, "en")
        with pytest.raises(NotFound):
            await repos.persons.update(Person(9999, "X", "Y", "x@y.si"))
    assert updated.surname == "Novak Kos"
    assert relanguaged == Person(
        stored.id, "Ana", "Novak Kos", "ana.kos@gornji-grad.si", language="en"
    )
    assert await db.read.persons.get_by_email("ana.novak@gornji-grad.si") is None
    assert await db.read.persons.get_by_email("Ana.Kos@gornji-grad.si") == relanguaged
    assert len(await db.read.persons.list()) == 3


async def test_raw_sql_cannot_store_two_persons_with_one_email_key(db: Database, raw) -> None:
    await raw.execute(
        "INSERT INTO persons (name, surname, email, email_key) "
        "VALUES ('A', 'B', 'a@b.si', 'a@b.si')"
    )
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO persons (name, surname, email, email_key) "
            "VALUES ('C', 'D', 'A@B.si', 'a@b.si')"
        )


async def test_memberships_upsert_list_and_deactivate(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=5)
        trzin = await repos.organisations.get_or_create("Občina Trzin")
        chair = await repos.memberships.upsert(Membership(None, people[0].id, body.id, Role.CHAIR))
        respondent = await repos.memberships.upsert(
            Membership(None, people[1].id, body.id, Role.RESPONDENT, trzin.id)
        )
    assert chair.role is Role.CHAIR and chair.active
    assert respondent.organisation_id == trzin.id
    members = await db.read.memberships.list_for_body(body.id)
    assert len(members) == 5
    assert {m.person_id for m in members} == {p.id for p in people}
    assert await db.read.memberships.get(people[0].id, body.id) == chair

    async with db.transaction() as repos:
        changed = await repos.memberships.deactivate_except(body.id, [people[0].id, people[1].id])
        again = await repos.memberships.deactivate_except(body.id, [people[0].id, people[1].id])
    assert (changed, again) == (3, 0)
    active = await db.read.memberships.list_for_body(body.id)
    assert {m.person_id for m in active} == {people[0].id, people[1].id}
    everyone = await db.read.memberships.list_for_body(body.id, active_only=False)
    assert len(everyone) == 5  # never deleted
    assert await db.read.memberships.list_for_person(people[4].id) == []
    [inactive] = await db.read.memberships.list_for_person(people[4].id, active_only=False)
    assert not inactive.active

    async with db.transaction() as repos:  # a returning member is reactivated by upsert
        back = await repos.memberships.upsert(Membership(None, people[4].id, body.id, Role.MEMBER))
    assert back.active and back.id == inactive.id


async def test_membership_constraints(db: Database, raw) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=1)
        with pytest.raises(CheckViolation):
            # A respondent must answer for an organisation.
            await repos.memberships.upsert(Membership(None, people[0].id, body.id, Role.RESPONDENT))
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO memberships (person_id, body_id, role) VALUES (?, ?, 'chair')",
            (people[0].id, body.id),
        )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await raw.execute(
            "INSERT INTO memberships (person_id, body_id, role) VALUES (?, ?, 'king')",
            (people[0].id, body.id),
        )


async def test_deactivate_except_handles_rosters_larger_than_one_statement(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=1200)
        changed = await repos.memberships.deactivate_except(body.id, [people[0].id])
    assert changed == 1199
    assert [m.person_id for m in await db.read.memberships.list_for_body(body.id)] == [people[0].id]


async def test_accounts_link_find_and_refuse_a_second_owner(db: Database, raw) -> None:
    async with db.transaction() as repos:
        _, (ana, bor) = await council(repos, members=2)
        telegram = await repos.accounts.link(ana.id, Platform.TELEGRAM, "123456", T0)
        matrix = await repos.accounts.link(ana.id, Platform.MATRIX, "@ana:example.si", at(1))
        relinked = await repos.accounts.link(ana.id, Platform.TELEGRAM, "123456", at(5))
        with pytest.raises(AccountAlreadyLinked) as caught:
            await repos.accounts.link(bor.id, Platform.TELEGRAM, "123456", at(6))
    assert caught.value.person_id == ana.id
    assert telegram == LinkedAccount(ana.id, Platform.TELEGRAM, "123456", T0)
    assert relinked == telegram  # linking again keeps the first link
    assert await db.read.accounts.find_person(Platform.TELEGRAM, "123456") == ana
    assert await db.read.accounts.find_person(Platform.MATRIX, "@ana:example.si") == ana
    assert await db.read.accounts.find_person(Platform.MATRIX, "123456") is None
    assert await db.read.accounts.list_for_person(ana.id) == [telegram, matrix]
    assert await db.read.accounts.list_all() == [telegram, matrix]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO linked_accounts (person_id, platform, external_id, linked_at) "
            "VALUES (?, 'telegram', '123456', '2020-11-09T10:00:00.000000+00:00')",
            (bor.id,),
        )
    async with db.transaction() as repos:
        assert await repos.accounts.unlink(Platform.TELEGRAM, "123456")
        assert not await repos.accounts.unlink(Platform.TELEGRAM, "123456")
    assert await db.read.accounts.find_person(Platform.TELEGRAM, "123456") is None
