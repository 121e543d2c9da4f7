"""Invitation codes: hash only, single use, expiry, revocation."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3

import pytest

from storage.database import Database
from storage.records import LinkingCode, RedeemOutcome
from tests.storage.factories import T0, at, council


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def test_code_is_single_use(db: Database) -> None:
    async with db.transaction() as repos:
        _, (ana,) = await council(repos, members=1)
        trzin = await repos.organisations.get_or_create("Občina Trzin")
        added = await repos.linking_codes.add(
            code_hash("K7Q-22"), ana.id, trzin.id, T0, at(60 * 24)
        )
    assert added == LinkingCode(
        added.id, code_hash("K7Q-22"), ana.id, trzin.id, T0, at(60 * 24), None
    )

    async with db.transaction() as repos:
        first = await repos.linking_codes.redeem(code_hash("K7Q-22"), at(30))
        second = await repos.linking_codes.redeem(code_hash("K7Q-22"), at(31))
    assert first.ok and first.outcome is RedeemOutcome.OK
    assert first.code is not None and first.code.used_at == at(30)
    assert second.outcome is RedeemOutcome.ALREADY_USED and not second.ok
    assert second.code is not None and second.code.used_at == at(30)
    stored = await db.read.linking_codes.get_by_hash(code_hash("K7Q-22"))
    assert stored is not None and stored.used_at == at(30)


async def test_unknown_and_expired_codes(db: Database) -> None:
    async with db.transaction() as repos:
        _, (ana,) = await council(repos, members=1)
        await repos.linking_codes.add(code_hash("OLD"), ana.id, None, T0, at(10))
        unknown = await repos.linking_codes.redeem(code_hash("NOPE"), at(1))
        expired = await repos.linking_codes.redeem(code_hash("OLD"), at(10))  # expiry is exclusive
    assert unknown.outcome is RedeemOutcome.UNKNOWN and unknown.code is None
    assert expired.outcome is RedeemOutcome.EXPIRED
    assert expired.code is not None and expired.code.used_at is None


async def test_concurrent_redemptions_succeed_exactly_once(db: Database) -> None:
    async with db.transaction() as repos:
        _, (ana,) = await council(repos, members=1)
        await repos.linking_codes.add(code_hash("RACE"), ana.id, None, T0, at(60))

    async def redeem() -> RedeemOutcome:
        async with db.transaction() as repos:
            return (await repos.linking_codes.redeem(code_hash("RACE"), at(1))).outcome

    outcomes = await asyncio.gather(*(redeem() for _ in range(20)))
    assert outcomes.count(RedeemOutcome.OK) == 1
    assert outcomes.count(RedeemOutcome.ALREADY_USED) == 19


async def test_revoke_unused_expires_only_open_codes(db: Database) -> None:
    async with db.transaction() as repos:
        _, (ana, bor) = await council(repos, members=2)
        await repos.linking_codes.add(code_hash("USED"), ana.id, None, T0, at(600))
        await repos.linking_codes.redeem(code_hash("USED"), at(1))
        await repos.linking_codes.add(code_hash("OPEN1"), ana.id, None, T0, at(600))
        await repos.linking_codes.add(code_hash("OPEN2"), ana.id, None, at(2), at(600))
        await repos.linking_codes.add(code_hash("BOR"), bor.id, None, T0, at(600))
        revoked = await repos.linking_codes.revoke_unused(ana.id, now=at(5))
        again = await repos.linking_codes.revoke_unused(ana.id, now=at(6))
        reissued = await repos.linking_codes.add(code_hash("NEW"), ana.id, None, at(5), at(600))
        outcomes = {
            code: (await repos.linking_codes.redeem(code_hash(code), at(7))).outcome
            for code in ("OPEN1", "OPEN2", "NEW", "BOR")
        }
    assert (revoked, again) == (2, 0)
    assert outcomes == {
        "OPEN1": RedeemOutcome.EXPIRED,
        "OPEN2": RedeemOutcome.EXPIRED,
        "NEW": RedeemOutcome.OK,
        "BOR": RedeemOutcome.OK,
    }
    codes = await db.read.linking_codes.list_for_person(ana.id)
    assert [c.code_hash for c in codes] == [code_hash(c) for c in ("USED", "OPEN1", "OPEN2", "NEW")]
    assert codes[1].expires_at == codes[2].expires_at == at(5)  # revoked at that moment
    assert codes[3] == LinkingCode(
        reissued.id, code_hash("NEW"), ana.id, None, at(5), at(600), at(7)
    )


async def test_only_the_hash_is_stored_and_it_is_unique(db: Database, raw) -> None:
    async with db.transaction() as repos:
        _, (ana,) = await council(repos, members=1)
        await repos.linking_codes.add(code_hash("SECRET-CODE"), ana.id, None, T0, at(60))
    rows = await raw.execute_fetchall("SELECT * FROM invitation_codes")
    assert all("SECRET-CODE" not in str(value) for value in rows[0])
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO invitation_codes (code_hash, person_id, created_at, expires_at) "
            "VALUES (?, ?, '2020-11-09T10:00:00.000000+00:00', '2020-11-10T10:00:00.000000+00:00')",
            (code_hash("SECRET-CODE"), ana.id),
        )
