"""Correspondence sessions (dopisne seje): members confirm receipt and vote; clerks prepare
sessions in the chat or from a file and follow the tally."""

from __future__ import annotations

from bot.correspondence.cli import session
from bot.correspondence.schedule import correspondence_timers
from bot.feature import Feature
from handlers.correspondence import create, voting
from handlers.routes import Routes


def register(routes: Routes) -> None:
    voting.register(routes)
    create.register(routes)


FEATURE = Feature(
    "correspondence",
    routes=register,
    on_start=correspondence_timers.on_start,
    commands=(session,),
)
