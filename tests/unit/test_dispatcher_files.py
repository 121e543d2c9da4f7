"""Files are fetched before the dispatcher's transaction, once, and handed on from memory."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.models import Platform
from bot.transport.events import ChatRef, IncomingEvent, IncomingFile, Sender
from handlers.dispatcher import PREFETCH_LIMIT_BYTES, _with_file_fetched


def event_with(file: IncomingFile | None) -> IncomingEvent:
    return IncomingEvent(
        platform=Platform.TELEGRAM,
        event_key="1",
        sender=Sender(Platform.TELEGRAM, "7"),
        chat=ChatRef(Platform.TELEGRAM, "7"),
        timestamp=datetime.now(UTC),
        file=file,
    )


async def test_a_file_is_downloaded_once_and_served_from_memory() -> None:
    calls = []

    async def fetch() -> bytes:
        calls.append(1)
        return b"gradivo"

    prepared = await _with_file_fetched(
        event_with(IncomingFile("a.pdf", "application/pdf", 0, fetch))
    )
    assert prepared.file is not None
    assert await prepared.file.fetch() == b"gradivo"
    assert await prepared.file.fetch() == b"gradivo"
    assert len(calls) == 1
    assert prepared.file.size == len(b"gradivo")


async def test_a_failed_download_leaves_the_event_for_the_handler_to_retry() -> None:
    async def broken() -> bytes:
        raise ConnectionError("network down")

    original = event_with(IncomingFile("a.pdf", "application/pdf", 10, broken))
    assert await _with_file_fetched(original) is original


async def test_oversized_files_are_not_prefetched() -> None:
    async def never() -> bytes:
        raise AssertionError("must not be fetched")

    original = event_with(
        IncomingFile("big.zip", "application/zip", PREFETCH_LIMIT_BYTES + 1, never)
    )
    assert await _with_file_fetched(original) is original
