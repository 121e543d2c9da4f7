"""Linking chat accounts to the roster: codes issued from the roster, redeemed in the chat."""

from __future__ import annotations

from bot.feature import Feature
from bot.linking.cli import roster
from handlers.linking import accounts

FEATURE = Feature("linking", routes=accounts.register, commands=(roster,))
