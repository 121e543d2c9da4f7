"""A platform's refusal of a message, as opposed to a failure that may pass.

Telegram answers 400 ("can't parse entities", "message is too long") or 403 (the member blocked
the bot) to a message it will never accept; sending it again only repeats the refusal. A
transport raises ``MessageRefused`` with the platform's own words, so the clerk's delivery
report can say why a member was not reached instead of guessing "no linked account".
"""

from __future__ import annotations


class MessageRefused(Exception):
    """The platform refused this message for good; ``reason`` is its own explanation."""

    def __init__(self, platform: str, reason: str) -> None:
        super().__init__(f"{platform} refused the message: {reason}")
        self.platform = platform
        self.reason = reason
