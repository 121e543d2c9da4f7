"""The live-session repositories, bundled under one attribute (``repos.live``)."""

from __future__ import annotations

from storage.engine import Statements
from storage.keyring import KeyRing
from storage.repositories.live.drafts import LiveDraftRepository
from storage.repositories.live.elections import LiveElectionRepository
from storage.repositories.live.presence import LivePresenceRepository
from storage.repositories.live.rounds import LiveRoundRepository
from storage.repositories.live.sessions import LiveSessionRepository


class LiveRepositories:
    __slots__ = ("drafts", "elections", "presence", "rounds", "sessions")

    def __init__(self, connection: Statements, keys: KeyRing | None = None) -> None:
        self.sessions = LiveSessionRepository(connection, keys)
        self.presence = LivePresenceRepository(connection, keys)
        self.rounds = LiveRoundRepository(connection, keys)
        self.elections = LiveElectionRepository(connection, keys)
        self.drafts = LiveDraftRepository(connection, keys)
