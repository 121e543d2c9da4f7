"""Repositories: one small module per table family, bundled per connection."""

from __future__ import annotations

import aiosqlite

from storage.repositories.accounts import AccountRepository
from storage.repositories.attendance import AttendanceRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.bodies import BodyRepository
from storage.repositories.correspondence import CorrespondenceRepositories
from storage.repositories.deliveries import DeliveryRepository
from storage.repositories.elections import ElectionRepository
from storage.repositories.invitations import InvitationRepository
from storage.repositories.live import LiveRepositories
from storage.repositories.materials import MaterialRepository
from storage.repositories.memberships import MembershipRepository
from storage.repositories.motions import MotionRepository
from storage.repositories.organisations import OrganisationRepository
from storage.repositories.pending_replies import PendingReplyRepository
from storage.repositories.persons import PersonRepository
from storage.repositories.processed_updates import ProcessedUpdateRepository
from storage.repositories.rounds import VoteRoundRepository
from storage.repositories.secret_ballots import SecretBallotRepository
from storage.repositories.sent_messages import SentMessageRepository
from storage.repositories.sessions import SessionRepository
from storage.repositories.survey_progress import SurveyProgressRepository
from storage.repositories.surveys import SurveyRepository
from storage.repositories.votes import VoteRepository


class Repositories:
    """Every repository, bound to one connection (the read-only one or the writer)."""

    __slots__ = (
        "accounts",
        "attendance",
        "audit",
        "bodies",
        "correspondence",
        "deliveries",
        "elections",
        "invitations",
        "live",
        "materials",
        "memberships",
        "motions",
        "organisations",
        "pending_replies",
        "persons",
        "processed_updates",
        "rounds",
        "secret_ballots",
        "sent_messages",
        "sessions",
        "survey_progress",
        "surveys",
        "votes",
    )

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.bodies = BodyRepository(connection)
        self.organisations = OrganisationRepository(connection)
        self.persons = PersonRepository(connection)
        self.memberships = MembershipRepository(connection)
        self.accounts = AccountRepository(connection)
        self.invitations = InvitationRepository(connection)
        self.sessions = SessionRepository(connection)
        self.motions = MotionRepository(connection)
        self.materials = MaterialRepository(connection)
        self.deliveries = DeliveryRepository(connection)
        self.attendance = AttendanceRepository(connection)
        self.rounds = VoteRoundRepository(connection)
        self.votes = VoteRepository(connection)
        self.secret_ballots = SecretBallotRepository(connection)
        self.elections = ElectionRepository(connection)
        self.surveys = SurveyRepository(connection)
        self.survey_progress = SurveyProgressRepository(connection)
        self.processed_updates = ProcessedUpdateRepository(connection)
        self.correspondence = CorrespondenceRepositories(connection)
        self.live = LiveRepositories(connection)
        self.audit = AuditRepository(connection)
        self.sent_messages = SentMessageRepository(connection)
        self.pending_replies = PendingReplyRepository(connection)


__all__ = ["Repositories"]
