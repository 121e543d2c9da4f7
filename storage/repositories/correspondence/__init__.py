"""The correspondence-session tables (migration 0002), reached as ``repos.correspondence``."""

from __future__ import annotations

from storage.engine import Statements
from storage.keyring import KeyRing
from storage.repositories.correspondence.drafts import CorrespondenceDraftRepository
from storage.repositories.correspondence.messages import CorrespondenceMessageRepository
from storage.repositories.correspondence.outcomes import CorrespondenceOutcomeRepository
from storage.repositories.correspondence.progress import CorrespondenceProgressRepository
from storage.repositories.correspondence.reminders import CorrespondenceReminderRepository


class CorrespondenceRepositories:
    """``progress`` (steps and invited members), ``messages``, ``drafts``, ``outcomes``,
    ``reminders``; all bound to the same connection as the other repositories."""

    __slots__ = ("drafts", "messages", "outcomes", "progress", "reminders")

    def __init__(self, connection: Statements, keys: KeyRing | None = None) -> None:
        self.progress = CorrespondenceProgressRepository(connection, keys)
        self.messages = CorrespondenceMessageRepository(connection, keys)
        self.drafts = CorrespondenceDraftRepository(connection, keys)
        self.outcomes = CorrespondenceOutcomeRepository(connection, keys)
        self.reminders = CorrespondenceReminderRepository(connection, keys)
