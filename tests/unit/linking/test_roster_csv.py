"""The roster file format: what is accepted, and what each malformed line is told."""

from __future__ import annotations

import pytest

from bot.domain.models import BodyKind, Role
from bot.domain.roster_csv import (
    UTF8,
    UTF8_BOM,
    UTF16,
    WINDOWS_1250,
    ProblemCode,
    body_slug,
    infer_body_kind,
    is_valid_email,
    is_valid_matrix_id,
    is_valid_phone,
    is_valid_telegram_username,
    parse_role,
    parse_roster,
    parse_roster_text,
)
from bot.i18n import Translator

HEADER = "ime;priimek;vloga;organ;e-pošta;telefon;telegram;matrix;občina"
COUNCIL = "Občinski svet Občine Gornji Grad"
SOS = "Skupnost občin Slovenije"
GOOD = "\n".join(
    [
        HEADER,
        (
            f"Marko;Zupančič;svetnik;{COUNCIL};marko.zupancic@gornji-grad.example;041 555 101;"
            "@marko_zupancic;;"
        ),
        (
            f"Tanja;Kočevar;svetnica;{COUNCIL};tanja.kocevar@gornji-grad.example;031/555-102;;"
            "@tanja.kocevar:matrix.example;"
        ),
        f"Janez;Krznar;župan;{COUNCIL};zupan@gornji-grad.example;;;;",
        f"Vesna;Hribernik;direktorica občinske uprave;{COUNCIL};vesna@gornji-grad.example;;;;",
        f"Maja;Furlan;kontaktna oseba;{SOS};maja.furlan@ajdovscina.example;;;;Občina Ajdovščina",
        f"Irena;Vodopivec;sekretariat;{SOS};irena@skupnostobcin.example;+386 2 555 02 01;;;",
    ]
)


def test_good_semicolon_file_gives_one_row_per_line() -> None:
    parsed = parse_roster(GOOD.encode("utf-8"))

    assert parsed.ok, parsed.problems
    assert (parsed.encoding, parsed.delimiter) == (UTF8, ";")
    assert [row.line for row in parsed.rows] == [2, 3, 4, 5, 6, 7]
    marko, tanja, janez, vesna, maja, irena = parsed.rows
    assert (marko.name, marko.surname, marko.role) == ("Marko", "Zupančič", Role.MEMBER)
    assert marko.telegram == "marko_zupancic"  # stored without the @
    assert marko.body_slug == "obcinski-svet-obcine-gornji-grad"
    assert marko.body_kind is BodyKind.COUNCIL
    assert tanja.matrix == "@tanja.kocevar:matrix.example"
    assert tanja.phone == "031/555-102"
    assert janez.role is Role.CHAIR
    assert vesna.role is Role.CLERK
    assert (maja.role, maja.organisation) == (Role.RESPONDENT, "Občina Ajdovščina")
    assert maja.body_kind is BodyKind.PRESIDENCY
    assert irena.role is Role.SECRETARIAT


def test_comma_separated_file_with_english_headers_and_quoted_values() -> None:
    text = (
        "Name,Surname,Role,Body,E-mail,Phone,Body kind\n"
        'Ana,Novak,member,"Odbor za finance, proračun in premoženje",ana@example.org,,\n'
        'Bor,"Kos, ml.",chair,"Komisija za mandatna vprašanja",bor@example.org,,komisija\n'
    )
    parsed = parse_roster(text.encode())

    assert parsed.ok, parsed.problems
    assert parsed.delimiter == ","
    ana, bor = parsed.rows
    assert ana.body_name == "Odbor za finance, proračun in premoženje"
    assert ana.body_kind is BodyKind.COMMITTEE
    assert bor.surname == "Kos, ml."
    assert bor.body_kind is BodyKind.COMMISSION


def test_byte_order_mark_is_recognised_and_dropped() -> None:
    parsed = parse_roster(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))

    assert parsed.ok, parsed.problems
    assert parsed.encoding == UTF8_BOM
    assert parsed.rows[0].name == "Marko"


def test_windows_1250_file_from_slovenian_excel() -> None:
    data = GOOD.replace("\n", "\r\n").encode("cp1250")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    parsed = parse_roster(data)

    assert parsed.ok, parsed.problems
    assert parsed.encoding == WINDOWS_1250
    assert parsed.rows[0].surname == "Zupančič"
    assert parsed.rows[4].organisation == "Občina Ajdovščina"


def test_utf16_unicode_text_export() -> None:
    parsed = parse_roster(GOOD.replace(";", "\t").encode("utf-16"))

    assert parsed.ok, parsed.problems
    assert (parsed.encoding, parsed.delimiter) == (UTF16, "\t")
    assert parsed.rows[1].surname == "Kočevar"


def test_blank_lines_and_spreadsheet_padding_are_skipped_but_line_numbers_kept() -> None:
    lines = GOOD.splitlines()
    text = "\n".join([lines[0], lines[1], "", ";;;;;;;;", lines[2]]) + "\n"
    parsed = parse_roster_text(text)

    assert parsed.ok, parsed.problems
    assert [row.line for row in parsed.rows] == [2, 5]


def test_line_numbers_follow_the_file_when_a_quoted_value_spans_lines() -> None:
    text = (
        f"{HEADER}\n"
        f'Ana;"Novak\nKos";svetnica;{COUNCIL};ana@example.org;;;;\n'
        f"Bor;Kos;svetnik;{COUNCIL};bor@;;;;\n"
    )
    parsed = parse_roster_text(text)

    assert [(problem.line, problem.code) for problem in parsed.problems] == [
        (4, ProblemCode.INVALID_EMAIL)
    ]


def test_unnamed_empty_column_from_a_spreadsheet_is_allowed() -> None:
    text = "\n".join(line + ";" for line in GOOD.splitlines())
    assert parse_roster_text(text).ok


def test_person_in_two_bodies_may_give_optional_details_once() -> None:
    text = (
        f"{HEADER}\n"
        f"Franc;Kladnik;svetnik;{COUNCIL};franc@example.org;03 555 01 07;franc_kladnik;;\n"
        "Franc;Kladnik;član;Odbor za gospodarstvo;FRANC@example.org;;;;\n"
    )
    parsed = parse_roster_text(text)

    assert parsed.ok, parsed.problems
    assert {row.body_slug for row in parsed.rows} == {
        "obcinski-svet-obcine-gornji-grad",
        "odbor-za-gospodarstvo",
    }
    assert len({row.email_key for row in parsed.rows}) == 1


@pytest.mark.parametrize(
    ("alias", "role"),
    [
        ("član", Role.MEMBER),
        ("CLAN", Role.MEMBER),
        ("Svetnica", Role.MEMBER),
        ("predsedujoči", Role.CHAIR),
        ("Županja", Role.CHAIR),
        ("tajnik", Role.CLERK),
        ("Direktor občinske uprave", Role.CLERK),
        ("sekretariat", Role.SECRETARIAT),
        ("kontaktna oseba", Role.RESPONDENT),
        ("respondent", Role.RESPONDENT),
    ],
)
def test_role_aliases(alias: str, role: Role) -> None:
    assert parse_role(alias) is role


def test_unknown_role_word() -> None:
    assert parse_role("blagajnik") is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Občinski svet Občine Gornji Grad", BodyKind.COUNCIL),
        ("Odbor za finance Občinskega sveta", BodyKind.COMMITTEE),
        ("Komisija za mandatna vprašanja, volitve in imenovanja", BodyKind.COMMISSION),
        ("Predsedstvo SOS", BodyKind.PRESIDENCY),
        ("Skupnost občin Slovenije", BodyKind.PRESIDENCY),
        ("Svet krajevne skupnosti Bočna", BodyKind.COUNCIL),
        ("Svetovalna skupina", None),
        ("Delovna skupina", None),
    ],
)
def test_body_kind_from_the_name(name: str, kind: BodyKind | None) -> None:
    assert infer_body_kind(name) is kind


def test_slug_is_ascii() -> None:
    assert body_slug("Občinski svet Občine Gornji Grad") == "obcinski-svet-obcine-gornji-grad"
    assert body_slug("  Odbor za šolstvo, šport & Žužemberk ") == "odbor-za-solstvo-sport-zuzemberk"
    assert body_slug("Komisija Đurđevac") == "komisija-durdevac"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("ana.novak@gornji-grad.si", True),
        ("a+b@sub.example.org", True),
        ("info@občina.si", True),
        ("ana@", False),
        ("ana.novak.gornji-grad.si", False),
        ("ana@novak@x.si", False),
        ("ana novak@x.si", False),
        (".ana@x.si", False),
        ("ana..novak@x.si", False),
        ("ana@x", False),
    ],
)
def test_email_syntax(value: str, valid: bool) -> None:
    assert is_valid_email(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("041 555 101", True),
        ("+386 41 555 101", True),
        ("03/839-18-50", True),
        ("041555101", True),
        ("12345", False),
        ("041 abc", False),
        ("041 555 101 ext", False),
        ("++386 41 555 101", False),
        ("041 555 101-", False),
    ],
)
def test_phone_syntax(value: str, valid: bool) -> None:
    assert is_valid_phone(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("marko_zupancic", True),
        ("@marko_zupancic", True),
        ("abcde", True),
        ("abcd", False),
        ("a" * 33, False),
        ("1marko", False),
        ("marko-zupancic", False),
        ("marko.zupancic", False),
    ],
)
def test_telegram_username_syntax(value: str, valid: bool) -> None:
    assert is_valid_telegram_username(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("@ana.novak:matrix.org", True),
        ("@ana:localhost:8448", True),
        ("@ana:[::1]:8448", True),
        ("ana.novak:matrix.org", False),
        ("@ana.novak", False),
        ("@ana novak:matrix.org", False),
        ("@ana:-matrix.org", False),
        ("@:matrix.org", False),
    ],
)
def test_matrix_id_syntax(value: str, valid: bool) -> None:
    assert is_valid_matrix_id(value) is valid


def row(
    name: str = "Ana",
    surname: str = "Novak",
    role: str = "svetnica",
    body: str = COUNCIL,
    email: str = "ana@example.org",
    phone: str = "",
    telegram: str = "",
    matrix: str = "",
    organisation: str = "",
) -> str:
    return f"{name};{surname};{role};{body};{email};{phone};{telegram};{matrix};{organisation}"


MALFORMED = [
    pytest.param(
        "ime;priimek;vloga;organ\nAna;Novak;svetnica;Svet",
        "Line 1: the header lacks the columns: email.",
        "Vrstica 1: v glavi manjkajo stolpci: e-pošta.",
        id="missing-column",
    ),
    pytest.param(
        f"{HEADER};opomba\n{row()};",
        "Line 1: the column 'opomba' is not known; the known columns are: name, surname, role, "
        "body, email, phone, telegram, matrix, organisation, body_kind.",
        "Vrstica 1: stolpec »opomba« ni znan; znani stolpci so: ime, priimek, vloga, organ, "
        "e-pošta, telefon, telegram, matrix, organizacija, vrsta organa.",
        id="unknown-column",
    ),
    pytest.param(
        f"{HEADER};E-mail\n{row()};ana@example.org",
        "Line 1: the column 'E-mail' appears twice.",
        "Vrstica 1: stolpec »E-mail« se pojavi dvakrat.",
        id="duplicate-column",
    ),
    pytest.param(
        f"{HEADER}\nAna;Novak;svetnica;{COUNCIL};ana@example.org",
        "Line 2: expected 9 values separated by ';', found 5.",
        "Vrstica 2: pričakovanih vrednosti, ločenih z »;«, je 9, najdenih pa 5.",
        id="wrong-number-of-columns",
    ),
    pytest.param(
        f"{HEADER}\n{row(surname='')}",
        "Line 2, column 'priimek': a value is required.",
        "Vrstica 2, stolpec »priimek«: vrednost je obvezna.",
        id="required-value-missing",
    ),
    pytest.param(
        f"{HEADER}\n{row(email='ana.novak(at)example.org')}",
        "Line 2, column 'e-pošta': 'ana.novak(at)example.org' is not a valid e-mail address.",
        "Vrstica 2, stolpec »e-pošta«: »ana.novak(at)example.org« ni veljaven e-poštni naslov.",
        id="bad-email",
    ),
    pytest.param(
        f"{HEADER}\n{row(phone='041 ABC 123')}",
        "Line 2, column 'telefon': '041 ABC 123' is not a phone number "
        "(use digits, spaces, +, / and -).",
        "Vrstica 2, stolpec »telefon«: »041 ABC 123« ni telefonska številka "
        "(uporabite števke, presledke, +, / in -).",
        id="bad-phone",
    ),
    pytest.param(
        f"{HEADER}\n{row(telegram='@ana')}",
        "Line 2, column 'telegram': '@ana' is not a Telegram username "
        "(5 to 32 letters, digits or underscores, starting with a letter).",
        "Vrstica 2, stolpec »telegram«: »@ana« ni uporabniško ime v Telegramu "
        "(5 do 32 črk, števk ali podčrtajev, na začetku črka).",
        id="bad-telegram",
    ),
    pytest.param(
        f"{HEADER}\n{row(matrix='ana.novak:matrix.org')}",
        "Line 2, column 'matrix': 'ana.novak:matrix.org' is not a Matrix ID "
        "(like @ana.novak:matrix.org).",
        "Vrstica 2, stolpec »matrix«: »ana.novak:matrix.org« ni Matrix ID "
        "(na primer @ana.novak:matrix.org).",
        id="bad-matrix-id",
    ),
    pytest.param(
        f"{HEADER}\n{row(role='blagajnik')}",
        "Line 2, column 'vloga': the role 'blagajnik' is unknown; "
        "use member, chair, clerk, secretariat or respondent.",
        "Vrstica 2, stolpec »vloga«: vloga »blagajnik« ni znana; "
        "uporabite član, predsedujoči, tajnik, sekretariat ali kontaktna oseba.",
        id="unknown-role",
    ),
    pytest.param(
        f"{HEADER}\n{row(role='kontaktna oseba', body=SOS)}",
        "Line 2, column 'občina': a respondent needs the organisation "
        "(municipality) they answer for.",
        "Vrstica 2, stolpec »občina«: pri kontaktni osebi mora biti navedena organizacija "
        "(občina), v imenu katere odgovarja.",
        id="respondent-without-organisation",
    ),
    pytest.param(
        f"ime;priimek;vloga;organ;e-pošta\nMaja;Furlan;kontaktna oseba;{SOS};maja@example.org",
        "Line 2, column 'organisation': a respondent needs the organisation "
        "(municipality) they answer for.",
        "Vrstica 2, stolpec »organizacija«: pri kontaktni osebi mora biti navedena "
        "organizacija (občina), v imenu katere odgovarja.",
        id="respondent-without-organisation-column",
    ),
    pytest.param(
        f"{HEADER}\n{row()}\n{row(email='ANA@example.org', role='predsedujoča')}",
        f"Line 3: Ana Novak (ANA@example.org) is already listed for {COUNCIL} on line 2.",
        f"Vrstica 3: oseba Ana Novak (ANA@example.org) je pri organu »{COUNCIL}« že navedena "
        "v vrstici 2.",
        id="duplicate-person-in-body",
    ),
    pytest.param(
        f"{HEADER}\n{row()}\n{row(surname='Kos', body='Odbor za finance')}",
        "Line 3, column 'priimek': 'Kos' differs from 'Novak' given for the same e-mail "
        "address on line 2.",
        "Vrstica 3, stolpec »priimek«: »Kos« se razlikuje od »Novak«, ki je za isti e-poštni "
        "naslov naveden v vrstici 2.",
        id="one-email-two-names",
    ),
    pytest.param(
        f"{HEADER}\n{row(telegram='ana_novak')}\n"
        f"{row(name='Bor', email='bor@example.org', telegram='@Ana_Novak')}",
        "Line 3, column 'telegram': 'Ana_Novak' is already given for another person on line 2.",
        "Vrstica 3, stolpec »telegram«: »Ana_Novak« je že naveden pri drugi osebi v vrstici 2.",
        id="telegram-of-two-people",
    ),
    pytest.param(
        f"{HEADER}\n{row(body='Delovna skupina za turizem')}",
        "Line 2, column 'organ': cannot tell what kind of body 'Delovna skupina za turizem' is; "
        "add the column body_kind with council, committee, commission or presidency.",
        "Vrstica 2, stolpec »organ«: iz imena »Delovna skupina za turizem« ni razvidno, za "
        "kakšen organ gre; dodajte stolpec »vrsta organa« z vrednostjo svet, odbor, komisija "
        "ali predsedstvo.",
        id="body-kind-unknown-from-name",
    ),
    pytest.param(
        f"{HEADER};vrsta organa\n{row()};skupščina",
        "Line 2, column 'vrsta organa': the body kind 'skupščina' is unknown; "
        "use council, committee, commission or presidency.",
        "Vrstica 2, stolpec »vrsta organa«: vrsta organa »skupščina« ni znana; "
        "uporabite svet, odbor, komisija ali predsedstvo.",
        id="unknown-body-kind",
    ),
    pytest.param(
        f"{HEADER}\n{row()}\n{row(name='Bor', email='bor@example.org', body=COUNCIL.upper())}",
        f"Line 3, column 'organ': '{COUNCIL.upper()}' differs from '{COUNCIL}' on line 2 for "
        "the same body.",
        f"Vrstica 3, stolpec »organ«: »{COUNCIL.upper()}« se razlikuje od »{COUNCIL}« v vrstici "
        "2 za isti organ.",
        id="one-body-two-spellings",
    ),
    pytest.param(
        f"{HEADER}\n{row(body='---')}",
        "Line 2, column 'organ': the body name '---' has no letters or digits.",
        "Vrstica 2, stolpec »organ«: ime organa »---« nima nobene črke ali števke.",
        id="body-name-without-letters",
    ),
    pytest.param(
        f"{HEADER};\n{row()};stray",
        "Line 2: column 10 holds 'stray' but has no name in the header.",
        "Vrstica 2: stolpec 10 vsebuje »stray«, v glavi pa nima imena.",
        id="value-in-unnamed-column",
    ),
    pytest.param(
        f"{HEADER}\n",
        "The roster file has a header but no people.",
        "Datoteka s seznamom članov ima glavo, nima pa nobene osebe.",
        id="no-people",
    ),
    pytest.param(
        "\n  \n",
        "The roster file is empty.",
        "Datoteka s seznamom članov je prazna.",
        id="empty-file",
    ),
]


@pytest.mark.parametrize(("text", "english", "slovenian"), MALFORMED)
def test_malformed_input_is_refused_with_its_message(
    text: str, english: str, slovenian: str
) -> None:
    parsed = parse_roster(text.encode("utf-8"))

    assert not parsed.ok
    assert parsed.rows == ()
    assert [problem.render(Translator("en")) for problem in parsed.problems] == [english]
    assert [problem.render(Translator("sl")) for problem in parsed.problems] == [slovenian]


def test_bytes_that_are_no_text() -> None:
    parsed = parse_roster(b"ime;priimek\x81\x90\n")

    assert [problem.code for problem in parsed.problems] == [ProblemCode.UNDECODABLE]
    assert parsed.problems[0].render(Translator("sl")) == (
        "Datoteka s seznamom članov ni besedilo v kodiranju UTF-8 ali Windows-1250; "
        "shranite jo kot CSV UTF-8."
    )


def test_every_problem_of_every_line_is_reported_and_no_row_returned() -> None:
    text = "\n".join(
        [
            HEADER,
            row(),  # good
            row(name="", email="x@", role="blagajnik"),
            row(name="Bor", email="bor@example.org", phone="abc", matrix="bor"),
            "Cene;Kos;svetnik",
            row(name="Dana", email="dana@example.org"),  # good
        ]
    )
    parsed = parse_roster_text(text)

    assert parsed.rows == ()
    assert [(problem.line, problem.code) for problem in parsed.problems] == [
        (3, ProblemCode.REQUIRED_MISSING),
        (3, ProblemCode.INVALID_EMAIL),
        (3, ProblemCode.UNKNOWN_ROLE),
        (4, ProblemCode.INVALID_PHONE),
        (4, ProblemCode.INVALID_MATRIX),
        (5, ProblemCode.WRONG_COLUMN_COUNT),
    ]


def test_example_roster_shipped_with_the_project_is_valid() -> None:
    from pathlib import Path

    data = (Path(__file__).parents[3] / "config" / "roster.example.csv").read_bytes()
    parsed = parse_roster(data)

    assert parsed.ok, [problem.render(Translator("en")) for problem in parsed.problems]
    assert parsed.delimiter == ";"
    by_body: dict[str, list[Role]] = {}
    for roster_row in parsed.rows:
        by_body.setdefault(roster_row.body_slug, []).append(roster_row.role)
    council = by_body["obcinski-svet-obcine-gornji-grad"]
    assert council.count(Role.MEMBER) == 11
    assert council.count(Role.CHAIR) == 1
    assert council.count(Role.CLERK) == 1
    committee = next(roles for slug, roles in by_body.items() if slug.startswith("odbor"))
    assert committee.count(Role.MEMBER) == 3
    respondents = [
        r
        for r in parsed.rows
        if r.body_slug == "skupnost-obcin-slovenije" and r.role is Role.RESPONDENT
    ]
    assert Role.SECRETARIAT in by_body["skupnost-obcin-slovenije"]
    municipalities = [r.organisation for r in respondents]
    assert len(set(municipalities)) >= 6
    assert any(municipalities.count(name) == 2 for name in municipalities)
