"""Splitting long HTML into parts Telegram accepts one by one (issue 15): every part within the
limit and valid on its own (checked with the fake Bot API's HTML parser, which refuses what
Telegram refuses), nothing lost, and an edit of the last paragraph finds the same parts."""

from __future__ import annotations

import random
import re
from html import unescape

import pytest

from bot.transport.html_text import last_part, message_parts, split_html, text_length
from tests.support.fake_telegram.errors import ApiError
from tests.support.fake_telegram.markup_html import parse_html

LIMIT = 4096


def resolution(points: int) -> str:
    return "\n".join(
        f"{n}. Občinski svet pooblašča župana &amp; direktorja za ukrep št. {n} (Šmiklavž, Žlabor)."
        for n in range(1, points + 1)
    )


def invitation(status: str, motions: int = 3) -> str:
    lines = ["<b>Vabilo na dopisno sejo</b>", "<b>Občinski svet</b>: 7. dopisna seja", ""]
    for n in range(1, motions + 1):
        lines += [f"{n}. »Predlog sklepa {n}«", f"<i>{resolution(40)}</i>"]
    return "\n".join([*lines, "", status])


def _words(html: str) -> list[str]:
    return re.findall(r"\S+", unescape(re.sub(r"<[^<>]+>", "", html)))


def test_the_old_failure_an_italic_resolution_over_the_cut_is_closed_and_reopened() -> None:
    html = invitation("Prosimo, potrdite prejem.")
    assert text_length(html) > LIMIT
    parts = message_parts(html, LIMIT)
    assert len(parts) > 1
    for part in parts:
        assert text_length(part) <= LIMIT
        parse_html(part)  # raises ApiError("can't parse entities") on unbalanced HTML
    assert _words("\n".join(parts)) == _words(html)
    assert any(part.startswith("<i>") for part in parts[1:])  # reopened after the cut


def test_an_edit_of_the_status_changes_the_last_part_only() -> None:
    sent = message_parts(
        invitation("Prosimo, potrdite prejem.\nČe glasujete, šteje za potrditev."), LIMIT
    )
    edited_html = invitation("Prejem ste potrdili 16. 11. 2026 ob 10.00 (Telegram).")
    edited = message_parts(edited_html, LIMIT)
    assert edited[:-1] == sent[:-1]
    assert last_part(edited_html, LIMIT) == edited[-1] and "Prejem ste potrdili" in edited[-1]


def test_a_message_near_the_limit_keeps_its_status_apart_so_a_longer_status_still_fits() -> None:
    body = "<i>" + "x" * (LIMIT - 300) + "</i>"
    short, long = f"{body}\n\nKratko.", f"{body}\n\n" + "Daljše stanje. " * 30
    assert message_parts(short, LIMIT)[:-1] == message_parts(long, LIMIT)[:-1] == [body]


def test_short_messages_are_one_part() -> None:
    assert message_parts("<b>Kratko</b>\n\nSporočilo.", LIMIT) == ["<b>Kratko</b>\n\nSporočilo."]


@pytest.mark.parametrize("seed", range(40))
def test_random_markup_splits_into_valid_parts_without_loss(seed: int) -> None:
    rng = random.Random(seed)
    pieces = []
    for _ in range(rng.randint(1, 300)):
        roll = rng.random()
        if roll < 0.15:
            pieces.append(
                "<i>" + " ".join("beseda" for _ in range(rng.randint(0, 40))) + "\nvrstica</i>"
            )
        elif roll < 0.2:
            pieces.append("\n\n")
        elif roll < 0.3:
            pieces.append('<b>a &amp; b <a href="https://example.org/?a=1&amp;b=2">c\nd</a></b>')
        else:
            pieces.append("ž" * rng.randint(1, 90) + "😀")
    html = " ".join(pieces)
    limit = rng.randint(60, 600)
    parts = split_html(html, limit)
    for part in parts:
        assert text_length(part) <= limit
        try:
            parse_html(part)
        except ApiError as error:  # pragma: no cover - the failure to show
            raise AssertionError(f"{error}: {part!r}") from None
    assert "".join(_words("\n".join(parts))).replace(" ", "") == "".join(_words(html)).replace(
        " ", ""
    )
