"""Bring a validated roster into the database, all of it or nothing.

People are recognised by e-mail address, so a re-import updates them in place and everything
tied to them (linked chat accounts, delivery confirmations, votes) stays theirs. Seats of people
no longer listed for a body the file covers are deactivated, never deleted: past minutes still
name them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.models import Body, Membership, Person
from bot.domain.roster_csv import RosterRow
from bot.timeutil import utc_now

if TYPE_CHECKING:
    from storage.database import Database
    from storage.repositories import Repositories


@dataclass(frozen=True, slots=True)
class BodyImport:
    """What an import did to one body's roster; counts are of seats (lines of the file)."""

    slug: str
    name: str
    created: bool
    added: int = 0  # new seats, and seats of people who had left and are listed again
    updated: int = 0  # role, organisation or the person's details changed
    unchanged: int = 0
    deactivated: int = 0  # people no longer listed


@dataclass(frozen=True, slots=True)
class ImportReport:
    bodies: tuple[BodyImport, ...]
    dry_run: bool = False

    @property
    def added(self) -> int:
        return sum(body.added for body in self.bodies)

    @property
    def updated(self) -> int:
        return sum(body.updated for body in self.bodies)

    @property
    def unchanged(self) -> int:
        return sum(body.unchanged for body in self.bodies)

    @property
    def deactivated(self) -> int:
        return sum(body.deactivated for body in self.bodies)

    @property
    def bodies_created(self) -> int:
        return sum(body.created for body in self.bodies)


class _RollBack(Exception):
    """Raised inside the transaction of a dry run so nothing it wrote is kept."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


async def import_roster(
    db: Database,
    rows: Sequence[RosterRow],
    default_rule_set: str,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Import ``rows`` (from a roster without problems) in one transaction.

    New bodies get ``default_rule_set``; existing bodies keep the rule set they have. With
    ``dry_run`` the whole import runs and is rolled back, so the report shows what it would do.
    Unused invitation codes of people who left every body expire at ``now`` (default: now).
    """
    try:
        async with db.transaction() as repos:
            report = await apply_roster(
                repos, rows, default_rule_set, dry_run=dry_run, now=now or utc_now()
            )
            if dry_run:
                raise _RollBack(report)
    except _RollBack as rolled_back:
        return rolled_back.report
    return report


async def apply_roster(
    repos: Repositories,
    rows: Sequence[RosterRow],
    default_rule_set: str,
    *,
    now: datetime,
    dry_run: bool = False,
) -> ImportReport:
    """``import_roster`` inside a transaction the caller holds (and commits or rolls back)."""
    people, changed_people = await _save_people(repos, rows)
    organisations = _Organisations(repos)
    reports: list[BodyImport] = []
    leaving: set[int] = set()
    for slug, body_rows in _by_body(rows).items():
        report, left = await _import_body(
            repos, slug, body_rows, people, changed_people, organisations, default_rule_set
        )
        reports.append(report)
        leaving |= left
    for person_id in sorted(leaving):
        # Someone who left every body must not be able to link an account with an old code.
        if not await repos.memberships.list_for_person(person_id, active_only=True):
            await repos.linking_codes.revoke_unused(person_id, now)
    return ImportReport(tuple(reports), dry_run=dry_run)


class _Organisations:
    """Organisation ids by name, created on first use."""

    def __init__(self, repos: Repositories) -> None:
        self._repos = repos
        self._ids: dict[str, int] = {}

    async def id_of(self, name: str) -> int | None:
        if not name:
            return None
        if name not in self._ids:
            organisation = await self._repos.organisations.get_or_create(name)
            assert organisation.id is not None
            self._ids[name] = organisation.id
        return self._ids[name]


async def _import_body(
    repos: Repositories,
    slug: str,
    rows: Sequence[RosterRow],
    people: dict[str, int],
    changed_people: set[int],
    organisations: _Organisations,
    default_rule_set: str,
) -> tuple[BodyImport, set[int]]:
    """Upsert one body and its seats; returns the report and the people who left it."""
    existing = await repos.bodies.get_by_slug(slug)
    body = await repos.bodies.upsert(
        Body(
            id=existing.id if existing else None,
            slug=slug,
            name=rows[0].body_name,
            kind=rows[0].body_kind,
            rule_set=existing.rule_set if existing else default_rule_set,
        )
    )
    assert body.id is not None
    seats = {
        seat.person_id: seat
        for seat in await repos.memberships.list_for_body(body.id, active_only=False)
    }
    added = updated = unchanged = 0
    listed: set[int] = set()
    for row in rows:
        person_id = people[row.email_key]
        listed.add(person_id)
        seat = seats.get(person_id)
        wanted = Membership(
            id=seat.id if seat else None,
            person_id=person_id,
            body_id=body.id,
            role=row.role,
            organisation_id=await organisations.id_of(row.organisation),
            active=True,
        )
        if seat is None or not seat.active:
            added += 1
        elif seat != wanted or person_id in changed_people:
            updated += 1
        else:
            unchanged += 1
        if seat != wanted:
            await repos.memberships.upsert(wanted)
    left = {person_id for person_id, seat in seats.items() if seat.active} - listed
    deactivated = await repos.memberships.deactivate_except(body.id, listed)
    report = BodyImport(
        slug=slug,
        name=body.name,
        created=existing is None,
        added=added,
        updated=updated,
        unchanged=unchanged,
        deactivated=deactivated,
    )
    return report, left


def _by_body(rows: Iterable[RosterRow]) -> dict[str, list[RosterRow]]:
    grouped: dict[str, list[RosterRow]] = {}
    for row in rows:
        grouped.setdefault(row.body_slug, []).append(row)
    return grouped


def _person_details(rows: Sequence[RosterRow]) -> Person:
    """One person from all their lines: optional details may be written on one line only."""
    first = rows[0]
    return Person(
        id=None,
        name=first.name,
        surname=first.surname,
        email=first.email,
        phone=next((row.phone for row in rows if row.phone), ""),
        telegram_username=next((row.telegram for row in rows if row.telegram), ""),
        matrix_id=next((row.matrix for row in rows if row.matrix), ""),
    )


async def _save_people(
    repos: Repositories, rows: Sequence[RosterRow]
) -> tuple[dict[str, int], set[int]]:
    """Person ids by e-mail key, and the ids of people whose details changed."""
    lines: dict[str, list[RosterRow]] = {}
    for row in rows:
        lines.setdefault(row.email_key, []).append(row)
    ids: dict[str, int] = {}
    changed: set[int] = set()
    for email_key, person_rows in lines.items():
        listed = _person_details(person_rows)
        stored = await repos.persons.get_by_email(listed.email)
        if stored is None:
            person = await repos.persons.add(listed)
        else:
            # The file is the roster of record: its details replace the stored ones, while the
            # id, and with it the person's history, and their chosen language stay.
            person = replace(listed, id=stored.id, language=stored.language)
            if person != stored:
                person = await repos.persons.update(person)
                assert person.id is not None
                changed.add(person.id)
        assert person.id is not None
        ids[email_key] = person.id
    return ids, changed
