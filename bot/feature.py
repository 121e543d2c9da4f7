"""What a feature is to the rest of the bot: one object naming everything it plugs in.

A feature lives in a room of its own in each layer (``bot/<room>/``, ``handlers/<room>/``,
``storage/repositories/<room>/``) and is known to the bot by one ``Feature`` object, listed in
bot/features.py. The runtime and the command line read that list; nothing else names features.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import click

from bot.app import App
from handlers.routes import Routes

Hook = Callable[[App], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    # Its chat commands, button payloads, conversation steps and /pomoc lines.
    routes: Callable[[Routes], None] | None = None
    # At start, after the transports: rebuild timers from the database and finish what came
    # due while the bot was down. At stop, in reverse order, while the transports still run.
    on_start: Hook | None = None
    on_stop: Hook | None = None
    # Its ``sejabot`` subcommands.
    commands: tuple[click.Command, ...] = ()


def routes_of(features: tuple[Feature, ...]) -> Routes:
    """The conversation routes of all features, in the list's order (the first that claims
    an input wins)."""
    routes = Routes()
    for feature in features:
        if feature.routes is not None:
            feature.routes(routes)
    return routes
