"""What a live-session action leaves to do once its transaction has committed.

Actions run inside one database transaction (a handler's, or a job's own) and only describe
their consequences: messages to people, staff panels to bring up to date, vote timers to set,
ballots of closed votes to take the buttons from.
A handler hands ``outgoing`` to the dispatcher and the rest to ``after_commit``; a job delivers
everything itself with ``deliver_all`` (both in bot/live/follow_up.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.live.ballot_closing import BallotClosing
from bot.outgoing import Outgoing, ToPerson
from bot.transport.events import OutgoingMessage


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
