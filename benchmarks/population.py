"""Synthetic rosters of realistic size: councils with members, the association's respondents."""

from __future__ import annotations

import random

from bot.domain.roster_csv import parse_roster
from bot.linking.roster_import import import_roster
from storage.database import Database

NAMES = [
    "Ana",
    "Marko",
    "Tanja",
    "Jože",
    "Mojca",
    "Luka",
    "Špela",
    "Žiga",
    "Nina",
    "Matej",
    "Urška",
    "Črt",
]
SURNAMES = [
    "Novak",
    "Horvat",
    "Kovačič",
    "Krajnc",
    "Zupančič",
    "Potočnik",
    "Kovač",
    "Mlakar",
    "Vidmar",
    "Žagar",
    "Šuster",
    "Čeh",
]
HEADER = "ime;priimek;vloga;organ;e-pošta;telefon;telegram;matrix;občina"


def roster_csv(councils: int, members_per_council: int, organisations: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    lines = [HEADER]
    for council in range(councils):
        body = f"Občinski svet Občine Primer {council:03d}"
        for seat in range(members_per_council):
            name, surname = rng.choice(NAMES), rng.choice(SURNAMES)
            lines.append(
                f"{name};{surname};svetnik;{body};m{council}.{seat}@obcina{council}.example;;;;"
            )
        lines.append(f"Vesna;Hribernik;tajnik;{body};tajnik{council}@obcina{council}.example;;;;")
    for number in range(organisations):
        lines.append(
            f"Kontakt;Občina {number:03d};kontaktna oseba;Skupnost občin Slovenije;"
            f"kontakt{number}@obcina{number}.example;;;;Občina {number:03d}"
        )
    lines.append("Sekretar;SOS;sekretariat;Skupnost občin Slovenije;sekretariat@sos.example;;;;")
    return "\n".join(lines).encode("utf-8")


async def populate(
    db: Database, councils: int, members_per_council: int, organisations: int
) -> None:
    parsed = parse_roster(roster_csv(councils, members_per_council, organisations))
    if not parsed.ok:
        raise RuntimeError(f"synthetic roster invalid: {parsed.problems[:3]}")
    await import_roster(db, parsed.rows, "gornji-grad-2016")


__all__ = ["populate", "roster_csv"]
