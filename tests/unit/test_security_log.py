"""The security log: one structured WARNING line per refusal, no forged lines or fields."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.domain.models import Platform
from bot.transport.events import ChatRef, ChoiceMade, IncomingEvent, Sender
from bot.transport.security_log import LOGGER_NAME, RefusalKind, input_kind, refused


def test_a_refusal_is_one_warning_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    refused(RefusalKind.FORGED_CHOICE, Platform.TELEGRAM, "7001", "prefix=cs message=12")
    (record,) = caplog.records
    assert record.name == LOGGER_NAME and record.levelno == logging.WARNING
    assert record.getMessage() == (
        'refused kind=forged_choice platform=telegram user=7001 detail="prefix=cs message=12"'
    )
    assert (record.refusal_kind, record.refusal_user) == ("forged_choice", "7001")  # type: ignore[attr-defined]


def test_a_value_cannot_forge_a_second_line_or_field(caplog: pytest.LogCaptureFixture) -> None:
    refused("unlinked_user", "matrix", "@x:ex\nrefused kind=fake", 'a"b\r\nkind=x' + "y" * 500)
    message = caplog.records[0].getMessage()
    assert "\n" not in message and "\r" not in message
    assert message.count('"') == 2 and len(message) < 300


def _event(**fields: object) -> IncomingEvent:
    chat = ChatRef(Platform.TELEGRAM, "7")
    return IncomingEvent(
        Platform.TELEGRAM,
        "1",
        Sender(Platform.TELEGRAM, "7"),
        chat,
        datetime.now(UTC),
        **fields,  # type: ignore[arg-type]
    )


def test_the_input_is_described_without_its_text() -> None:
    assert input_kind(_event(text="K7PM-3QXR-WZ")) == "text"
    assert (
        input_kind(_event(text="/start K7PM", command="start", args=("K7PM",))) == "command=start"
    )
    assert input_kind(_event(choice=ChoiceMade("lvc:3:1:za"))) == "choice prefix=lvc"
