"""The neutral message model and what each transport declares it can do."""

from __future__ import annotations

import pytest

from bot.domain.models import Platform
from bot.transport.events import (
    Capability,
    Choice,
    OutgoingFile,
    OutgoingMessage,
    UnsupportedCapability,
)
from bot.transport.html_text import html_to_plain, split_html
from bot.transport.matrix.adapter import MatrixTransport
from bot.transport.telegram import TelegramTransport


def test_each_transport_declares_what_it_lacks() -> None:
    assert Capability.BUTTONS in TelegramTransport.capabilities
    assert Capability.POLLS not in TelegramTransport.capabilities
    assert Capability.ENCRYPTION not in TelegramTransport.capabilities
    assert Capability.POLLS in MatrixTransport.capabilities
    assert Capability.BUTTONS not in MatrixTransport.capabilities
    assert Capability.DEEP_LINKS not in MatrixTransport.capabilities


def test_unsupported_capability_names_platform_and_capability() -> None:
    error = UnsupportedCapability(Platform.TELEGRAM, Capability.EDIT)
    assert error.platform is Platform.TELEGRAM and error.capability is Capability.EDIT
    assert "telegram" in str(error) and "edit" in str(error)


async def test_telegram_refuses_to_edit_files_in_rather_than_dropping_them() -> None:
    transport = TelegramTransport("123:abc", base_url="http://127.0.0.1:9/bot")
    message = OutgoingMessage(html="x", files=(OutgoingFile("a.pdf", "application/pdf", b"%PDF"),))
    from bot.transport.events import ChatRef, MessageRef

    with pytest.raises(UnsupportedCapability):
        await transport.edit(MessageRef(ChatRef(Platform.TELEGRAM, "1"), "2"), message)


def test_flat_choices_keep_row_order() -> None:
    message = OutgoingMessage(
        html="?",
        choices=((Choice("ZA", "v:za"), Choice("PROTI", "v:proti")), (Choice("Prekliči", "x"),)),
    )
    assert [choice.payload for choice in message.flat_choices] == ["v:za", "v:proti", "x"]


def test_html_to_plain_keeps_link_addresses_and_unescapes() -> None:
    html = '<b>Vabilo</b> na &lt;sejo&gt;: <a href="https://obcina.si/gradivo">gradivo</a>'
    assert html_to_plain(html) == "Vabilo na <sejo>: gradivo (https://obcina.si/gradivo)"
    assert html_to_plain('<a href="https://x.si">https://x.si</a>') == "https://x.si"


def test_split_html_respects_the_limit_and_loses_nothing() -> None:
    lines = [f"vrstica {number} čšž" for number in range(500)]
    chunks = split_html("\n".join(lines), 1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n".join(chunks).split("\n") == lines
    long_line = "x" * 2500
    assert "".join(split_html(long_line, 1000)) == long_line
