"""Councils ready for a correspondence session: members with linked chat accounts, and a
session per council stored as ready to send, as ``sejabot session create`` stores it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.correspondence.create import (
    MaterialDraft,
    MotionDraft,
    SessionDraft,
    store_ready_session,
    voting_member_ids,
)
from bot.domain.models import MotionCategory, Platform
from storage.database import Database
from storage.repositories.correspondence.progress import Source

COUNCIL_PREFIX = "Občinski svet"
MATERIAL_PDF = b"%PDF-1.4\n% gradivo: predlog sklepa o imenovanju\n" + b"%" * 2048 + b"\n"


@dataclass(frozen=True, slots=True)
class Linked:
    person_id: int
    external_id: str  # the chat account's id on its platform
    body_id: int


async def council_ids(db: Database) -> list[int]:
    bodies = [body for body in await db.read.bodies.list() if body.name.startswith(COUNCIL_PREFIX)]
    return [body.id for body in sorted(bodies, key=lambda body: body.name) if body.id is not None]


async def link_voting_members(
    db: Database,
    body_ids: list[int],
    platform: Platform,
    external_id: Callable[[int], str],
    now: datetime,
) -> list[Linked]:
    """Link every voting member of the bodies (``external_id(n)`` for the n-th one, from 0)."""
    linked: list[Linked] = []
    async with db.transaction() as repos:
        for body_id in body_ids:
            for person_id in await voting_member_ids(repos, body_id):
                account = external_id(len(linked))
                await repos.accounts.link(person_id, platform, account, now)
                linked.append(Linked(person_id, account, body_id))
    return linked


async def convene(
    db: Database,
    body_ids: list[int],
    *,
    motions: int,
    deadline: datetime,
    now: datetime,
    with_material: bool,
) -> list[int]:
    """One ready correspondence session per body with ``motions`` proposed resolutions."""
    session_ids = []
    async with db.transaction() as repos:
        for body_id in body_ids:
            draft = SessionDraft(
                body_id=body_id,
                title="3. dopisna seja občinskega sveta",
                deadline=deadline,
                motions=tuple(
                    MotionDraft(
                        f"Imenovanje člana nadzornega odbora {number}",
                        f"Občinski svet imenuje člana nadzornega odbora ({number}).",
                        MotionCategory.APPOINTMENT,
                    )
                    for number in range(1, motions + 1)
                ),
                materials=(
                    (MaterialDraft("predlog-sklepa.pdf", "application/pdf", MATERIAL_PDF),)
                    if with_material
                    else ()
                ),
            )
            session = await store_ready_session(repos, draft, now=now, source=Source.CLI)
            assert session.id is not None
            session_ids.append(session.id)
    return session_ids
