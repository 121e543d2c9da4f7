"""Single-use invitation codes that link a Telegram or Matrix account to a person of the roster.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown grouped as
"K7PM-3QXR-WZ" and accepted in any case, with or without dashes and spaces. 31^10 codes (about
50 bits) that expire after a few days, with wrong codes limited per account and chat
(handlers/linking/accounts.py), are out of reach of guessing through a chat. Only a keyed hash of the
normalised code is stored (storage/repositories/linking/codes.py), so a copy of the database
reveals no usable code, not even to an offline search.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.lot import slovenian_sort_key
from bot.domain.models import Membership, Person, Platform, Role
from bot.i18n import N_
from bot.reports.tables import to_csv
from bot.timeutil import format_local
from storage.records import RedeemOutcome as StoredRedeemOutcome

if TYPE_CHECKING:
    from storage.database import Database
    from storage.repositories import Repositories

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_CODE_GROUPS = (4, 4, 2)
# Separators people type or their phones and mail programs insert: dashes of every width,
# spaces, zero-width characters and direction marks copied along with a code.
_IGNORED_IN_CODES = str.maketrans(
    "",
    "",
    " -_\t\u00a0\u2010\u2011\u2012\u2013\u2014\u2212\u200b\u200c\u200d\u200e\u200f"
    "\u2060\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff",
)


def generate_code() -> str:
    """A fresh code in its grouped form, e.g. "K7PM-3QXR-WZ"."""
    return format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def normalise_code(text: str) -> str | None:
    """The code as stored (upper case, no separators), or None when it cannot be a code.

    Full-width letters and digits (an East Asian keyboard) count as the plain ones.
    """
    if len(text) > 4 * CODE_LENGTH:  # no need to fold a pasted page
        return None
    code = unicodedata.normalize("NFKC", text).translate(_IGNORED_IN_CODES).upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def format_code(code: str) -> str:
    parts, start = [], 0
    for size in _CODE_GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def telegram_link(bot_username: str, code: str) -> str:
    """Deep link that opens the bot and sends /start with the code."""
    return f"https://t.me/{bot_username.removeprefix('@')}?start={normalise_code(code) or code}"


class UnknownBody(LookupError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"no body with the short name {slug!r}")
        self.slug = slug


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code as handed out: the only moment its plain text exists."""

    person: Person
    code: str  # grouped form
    expires_at: datetime  # UTC
    bodies: tuple[str, ...]  # names of the bodies the person sits in (within the issue's scope)
    organisations: tuple[str, ...] = ()  # what the person answers for as a respondent


class UnknownPerson(LookupError):
    def __init__(self, email: str) -> None:
        super().__init__(f"no active person with the address {email!r}")
        self.email = email


async def issue_codes(
    db: Database,
    now: datetime,
    ttl_days: int,
    body_slug: str | None = None,
    *,
    email: str | None = None,
    include_linked: bool = False,
) -> list[IssuedCode]:
    """One new code for every person with an active seat (in ``body_slug``, or in any body)
    who has no linked account yet; with ``include_linked`` for the linked ones too (to link a
    second platform); with ``email`` for that one person only, linked or not.

    A person's earlier unused codes are revoked, so only the newest code works. Respondents'
    codes carry the organisation they answer for.
    """
    async with db.transaction() as repos:
        return await issue_codes_in(
            repos, now, ttl_days, body_slug, email=email, include_linked=include_linked
        )


async def issue_codes_in(
    repos: Repositories,
    now: datetime,
    ttl_days: int,
    body_slug: str | None = None,
    *,
    email: str | None = None,
    include_linked: bool = False,
) -> list[IssuedCode]:
    """``issue_codes`` inside a transaction the caller holds."""
    wanted: int | None = None
    if email is not None:
        person = await repos.persons.get_by_email(email)
        if person is None or person.id is None:
            raise UnknownPerson(email)
        wanted, include_linked = person.id, True
    if body_slug is None:
        bodies = await repos.bodies.list()
    else:
        body = await repos.bodies.get_by_slug(body_slug)
        if body is None:
            raise UnknownBody(body_slug)
        bodies = [body]
    seats: dict[int, list[tuple[str, Membership]]] = {}
    for body in bodies:
        assert body.id is not None
        for seat in await repos.memberships.list_for_body(body.id, active_only=True):
            if wanted is None or seat.person_id == wanted:
                seats.setdefault(seat.person_id, []).append((body.name, seat))
    if wanted is not None and not seats:
        raise UnknownPerson(email or "")
    if not include_linked:
        for person_id in list(seats):
            if await repos.accounts.list_for_person(person_id):
                del seats[person_id]

    expires_at = now + timedelta(days=ttl_days)
    issued: list[IssuedCode] = []
    for person_id, person_seats in seats.items():
        person = await repos.persons.get(person_id)
        assert person is not None
        organisation_ids = list(
            dict.fromkeys(
                seat.organisation_id
                for _, seat in person_seats
                if seat.role is Role.RESPONDENT and seat.organisation_id is not None
            )
        )
        organisations = []
        for organisation_id in organisation_ids:
            organisation = await repos.organisations.get(organisation_id)
            assert organisation is not None
            organisations.append(organisation.name)
        code = generate_code()
        await repos.linking_codes.revoke_unused(person_id, now)
        await repos.linking_codes.add(
            repos.linking_codes.keyed_hash(_normalised(code)),
            person_id,
            organisation_ids[0] if organisation_ids else None,
            now,
            expires_at,
        )
        issued.append(
            IssuedCode(
                person=person,
                code=code,
                expires_at=expires_at,
                bodies=tuple(name for name, _ in person_seats),
                organisations=tuple(organisations),
            )
        )
    issued.sort(
        key=lambda item: (
            slovenian_sort_key(item.person.surname),
            slovenian_sort_key(item.person.name),
        )
    )
    return issued


def _normalised(code: str) -> str:
    normalised = normalise_code(code)
    assert normalised is not None, "generated codes are always well formed"
    return normalised


class RedeemStatus(StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"  # this account already belongs to the code's person
    UNKNOWN = "unknown"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"
    LINKED_TO_OTHER_PERSON = "linked_to_other_person"


REDEEM_MESSAGES: dict[RedeemStatus, str] = {
    RedeemStatus.LINKED: N_(
        "Welcome, {name}. This account is now linked to you; invitations and votes will reach "
        "you here."
    ),
    RedeemStatus.ALREADY_LINKED: N_(
        "{name}, this account is already linked to you; the code was not used up."
    ),
    RedeemStatus.UNKNOWN: N_(
        "This code is not valid. Check it and send it again, or ask the sender of the code "
        "for a new one."
    ),
    RedeemStatus.ALREADY_USED: N_(
        "This code has already been used. Each code works once; ask the sender of the code "
        "for a new one."
    ),
    RedeemStatus.EXPIRED: N_("This code has expired. Ask the sender of the code for a new one."),
    RedeemStatus.LINKED_TO_OTHER_PERSON: N_(
        "This account is already linked to another person, so the code was not used. "
        "Redeem it from your own account."
    ),
}

_STORED_STATUS = {
    StoredRedeemOutcome.UNKNOWN: RedeemStatus.UNKNOWN,
    StoredRedeemOutcome.ALREADY_USED: RedeemStatus.ALREADY_USED,
    StoredRedeemOutcome.EXPIRED: RedeemStatus.EXPIRED,
}


@dataclass(frozen=True, slots=True)
class RedeemOutcome:
    status: RedeemStatus
    person: Person | None = None  # set for LINKED and ALREADY_LINKED

    @property
    def linked(self) -> bool:
        return self.status in (RedeemStatus.LINKED, RedeemStatus.ALREADY_LINKED)

    def message(self, translate: Callable[..., str]) -> str:
        name = self.person.full_name if self.person else ""
        return translate(REDEEM_MESSAGES[self.status], name=name)


async def redeem_code(
    db: Database, code_text: str, platform: Platform, external_id: str, now: datetime
) -> RedeemOutcome:
    """Use a code to link the chat account ``(platform, external_id)`` to the code's person."""
    async with db.transaction() as repos:
        return await redeem_code_in(repos, code_text, platform, external_id, now)


async def redeem_code_in(
    repos: Repositories, code_text: str, platform: Platform, external_id: str, now: datetime
) -> RedeemOutcome:
    """``redeem_code`` inside a transaction the caller holds (a chat handler's, for one).

    The code is used up only when the account is actually linked: an account that already
    belongs to someone leaves the code usable for its rightful owner.
    """
    code = normalise_code(code_text)
    if code is None:
        return RedeemOutcome(RedeemStatus.UNKNOWN)
    stored = await repos.linking_codes.find(code)
    if stored is None:
        return RedeemOutcome(RedeemStatus.UNKNOWN)
    person = await repos.persons.get(stored.person_id)
    assert person is not None and person.id is not None
    owner = await repos.accounts.find_person(platform, external_id)
    if owner is not None and owner.id == person.id:
        # Also for a used or expired code: the person is where they wanted to be.
        return RedeemOutcome(RedeemStatus.ALREADY_LINKED, person)
    if owner is not None:
        return RedeemOutcome(RedeemStatus.LINKED_TO_OTHER_PERSON)
    result = await repos.linking_codes.redeem(stored.code_hash, now)
    if not result.ok:
        return RedeemOutcome(_STORED_STATUS[result.outcome])
    await repos.accounts.link(person.id, platform, external_id, now)
    return RedeemOutcome(RedeemStatus.LINKED, person)


EXPORT_COLUMNS = (
    N_("name"),
    N_("surname"),
    N_("body"),
    N_("organisation"),
    N_("code"),
    N_("expires"),
    N_("Telegram link"),
    N_("Matrix instruction"),
)


def export_codes(
    issued: Sequence[IssuedCode],
    path: Path,
    *,
    translate: Callable[..., str],
    timezone: str | ZoneInfo = "Europe/Ljubljana",
    telegram_bot_username: str | None = None,
    matrix_user_id: str | None = None,
) -> Path:
    """Write the codes as a ``;``-separated UTF-8 (BOM) CSV that Excel opens as it is.

    The file holds usable codes, so it is created readable by its owner only.
    """
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    rows = []
    for item in issued:
        link = telegram_link(telegram_bot_username, item.code) if telegram_bot_username else ""
        matrix = (
            translate(
                "Open a direct chat with {bot} and send the code {code}.",
                bot=matrix_user_id,
                code=item.code,
            )
            if matrix_user_id
            else ""
        )
        rows.append(
            [
                item.person.name,
                item.person.surname,
                ", ".join(item.bodies),
                ", ".join(item.organisations),
                item.code,
                format_local(item.expires_at, "sl", zone),
                link,
                matrix,
            ]
        )
    # to_csv writes names that look like formulas ("=HYPERLINK(...)") as text.
    content = to_csv([translate(column) for column in EXPORT_COLUMNS], rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)  # also when an older export was there with wider permissions
    with open(descriptor, "wb") as file:
        file.write(content)
    return path
