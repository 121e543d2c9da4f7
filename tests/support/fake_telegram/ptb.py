"""python-telegram-bot wired to the fake platform, started the way the bot starts itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from .fake import FakeTelegram


def application_builder(
    fake: FakeTelegram, *, max_retries: int = 3
) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """A builder aimed at ``fake`` with the production rate limiter (429s retried)."""
    return (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=max_retries))
    )


@asynccontextmanager
async def polling(
    application: Application[Any, Any, Any, Any, Any, Any], *, poll_timeout: int = 1
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialize, poll and start; on exit stop in reverse order (the last poll confirms).

    A short ``poll_timeout`` keeps shutdown quick; the fake answers at once when updates wait.
    """
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=poll_timeout)
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
