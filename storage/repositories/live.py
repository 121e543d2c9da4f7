"""The live-session repositories, bundled under one attribute (``repos.live``)."""

from __future__ import annotations

import aiosqlite

from storage.repositories.live_drafts import LiveDraftRepository
from storage.repositories.live_elections import LiveElectionRepository
from storage.repositories.live_presence import LivePresenceRepository
from storage.repositories.live_rounds import LiveRoundRepository
from storage.repositories.live_sessions import LiveSessionRepository


class LiveRepositories:
    __slots__ = ("drafts", "elections", "presence", "rounds", "sessions")

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.sessions = LiveSessionRepository(connection)
        self.presence = LivePresenceRepository(connection)
        self.rounds = LiveRoundRepository(connection)
        self.elections = LiveElectionRepository(connection)
        self.drafts = LiveDraftRepository(connection)
