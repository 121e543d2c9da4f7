"""Matrix refusals for good, transaction ids from idempotency keys, and texts split to fit one
event (issue 15); the same against a real Synapse in tests/e2e/test_matrix_refusals_and_repeats.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from nio import ErrorResponse

from bot.transport.html_text import html_to_plain
from bot.transport.matrix import outgoing as matrix_outgoing
from bot.transport.matrix.content import fits, text_content
from bot.transport.matrix.outgoing import text_parts
from bot.transport.matrix.sending import (
    MatrixTransportError,
    refusal_reason,
    transaction_id,
    with_retries,
)
from bot.transport.refusal import MessageRefused


def _error(code: str, message: str, status: int) -> ErrorResponse:
    error = ErrorResponse(message, code)
    error.transport_response = SimpleNamespace(status=status)
    return error


@pytest.mark.parametrize(
    ("code", "status", "final"),
    [
        ("M_TOO_LARGE", 413, True),
        ("M_FORBIDDEN", 403, True),
        ("M_BAD_JSON", 400, True),
        ("", 413, True),  # a proxy's own 413
        ("M_LIMIT_EXCEEDED", 429, False),
        ("M_UNKNOWN_TOKEN", 401, False),
        ("M_UNKNOWN", 500, False),
        ("M_UNKNOWN", 502, False),
    ],
)
def test_only_refusals_for_good_are_refusals(code: str, status: int, final: bool) -> None:
    reason = refusal_reason(_error(code, "words of the server", status))
    assert (reason is not None) is final
    if final:
        assert reason.endswith(": words of the server")
        assert f"(HTTP {status})" in reason


async def test_a_refusal_is_not_retried_and_a_server_error_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.transport.matrix.sending.BACKOFF_SECONDS", 0.0)
    calls = []

    async def refused() -> object:
        calls.append(1)
        return _error("M_TOO_LARGE", "event too large", 413)

    with pytest.raises(MessageRefused) as caught:
        await with_retries("send", refused, refusable=True)
    assert len(calls) == 1 and caught.value.reason == "M_TOO_LARGE (HTTP 413): event too large"

    answers = [_error("M_UNKNOWN", "Internal server error", 500), "ok"]

    async def flaky() -> object:
        return answers.pop(0)

    assert await with_retries("send", flaky, refusable=True) == "ok"

    async def forbidden() -> object:
        return _error("M_FORBIDDEN", "no", 403)

    with pytest.raises(MatrixTransportError):  # not a message's send: the old error
        await with_retries("leave", forbidden)


def test_transaction_ids_are_stable_per_key_and_part_and_name_neither() -> None:
    key = "correspondence/invitation/session 4/person 7/invitation/-/matrix:!room:server"
    first = transaction_id(key, "poll")
    assert first == transaction_id(key, "poll")
    assert first != transaction_id(key, "text.0") != transaction_id(key + "x", "poll")
    assert first is not None and "session" not in first and first.startswith("sejabot.")
    assert transaction_id("", "poll") is None


def test_a_text_too_long_for_one_event_is_split_between_whole_elements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    points = "\n".join(
        f"{n}. Župan zagotovi sredstva za cesto čez Šmiklavž (točka {n})." for n in range(1, 150)
    )
    html = f"<b>Vabilo</b>\n<i>{points}</i>\n\nProsimo, potrdite prejem."
    assert text_parts(html, encrypted=True) == [html]  # about 9,000 characters fit into one event
    monkeypatch.setattr("bot.transport.matrix.content.EVENT_BUDGET", 12_000)
    parts = text_parts(html, encrypted=True)
    assert len(parts) > 2
    assert all(fits(text_content(part), True) for part in parts)
    assert all(part.count("<i>") == part.count("</i>") for part in parts)
    assert "".join(html_to_plain(p) for p in parts).replace("\n", "") == html_to_plain(
        html
    ).replace("\n", "")
    assert html_to_plain(parts[-1]).strip() == "Prosimo, potrdite prejem."  # edits replace it
    assert matrix_outgoing.PART_LIMITS[0] > matrix_outgoing.PART_LIMITS[-1]
