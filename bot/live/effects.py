"""What a live-session action leaves to do once its transaction has committed.

Actions run inside one database transaction (a handler's, or a job's own) and only describe
their consequences: messages to people, staff panels to bring up to date, vote timers to set,
ballots of closed votes to take the buttons from.
A handler hands ``outgoing`` to the dispatcher and the rest to ``after_commit``; a job delivers
everything itself with :func:`deliver_all`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.live.ballot_closing import BallotClosing, close_ballots
from bot.transport.events import OutgoingMessage
from handlers.context import Outgoing, ToPerson
from storage.repositories.live_presence import PanelKind

if TYPE_CHECKING:
    from bot.app import App


@dataclass
class Effects:
    outgoing: list[Outgoing] = field(default_factory=list)
    panels: set[int] = field(default_factory=set)  # sessions whose quorum panels to refresh
    # Sessions whose hall lists to refresh: only on hall marks, since a Matrix poll cannot be
    # edited in place and every refresh posts a new one.
    hall_panels: set[int] = field(default_factory=set)
    new_panels: set[int] = field(default_factory=set)  # sessions that need fresh panels sent
    deadlines: list[datetime] = field(default_factory=list)  # when a vote's set time ends
    minutes: set[int] = field(default_factory=set)  # closed sessions whose minutes to send
    closed_ballots: list[BallotClosing] = field(default_factory=list)  # of rounds just closed
    # Send-ledger batches planned in the transaction (a closed round's announcement): run
    # first after the commit; what a stop or a crash keeps from going out is resumed later.
    batches: list[int] = field(default_factory=list)

    def send(self, person_id: int, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToPerson(person_id), message))

    def merge(self, other: Effects) -> Effects:
        self.outgoing.extend(other.outgoing)
        self.panels |= other.panels
        self.hall_panels |= other.hall_panels
        self.new_panels |= other.new_panels
        self.deadlines.extend(other.deadlines)
        self.minutes |= other.minutes
        self.closed_ballots.extend(other.closed_ballots)
        self.batches.extend(other.batches)
        return self


async def after_commit(app: App, effects: Effects) -> None:
    """Send-ledger batches (a closed round's announcement), then ballots, panels, timers and
    minutes; the messages in ``outgoing`` are delivered by whoever holds them."""
    # Imported on use: these modules build Effects themselves.
    from bot.live.schedule import schedule_deadline
    from bot.live.minutes_delivery import send_minutes
    from bot.live.panels import refresh_panels, send_new_panels
    from bot.send_ledger import run

    for batch_id in effects.batches:
        await run(app, batch_id)
    for closing in effects.closed_ballots:
        await close_ballots(app, closing)
    for session_id in sorted(effects.new_panels):
        await send_new_panels(app, session_id)
    for session_id in sorted(effects.panels - effects.new_panels):
        await refresh_panels(app, session_id, PanelKind.QUORUM)
    for session_id in sorted(effects.hall_panels - effects.new_panels):
        await refresh_panels(app, session_id, PanelKind.HALL)
    for moment in effects.deadlines:
        schedule_deadline(app, moment)
    for session_id in sorted(effects.minutes):
        await send_minutes(app, session_id)


async def deliver_all(app: App, effects: Effects) -> None:
    await app.messenger.deliver(effects.outgoing)
    await after_commit(app, effects)
