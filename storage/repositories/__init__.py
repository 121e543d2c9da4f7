"""Repositories: one small module per table family, bundled per connection."""

from __future__ import annotations

from storage.engine import Statements
from storage.keyring import KeyRing
from storage.repositories.accounts import AccountRepository
from storage.repositories.attendance import AttendanceRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.audit_facts import AuditFactsRepository
from storage.repositories.bodies import BodyRepository
from storage.repositories.correspondence import CorrespondenceRepositories
from storage.repositories.deliveries import DeliveryRepository
from storage.repositories.elections import ElectionRepository
from storage.repositories.linking.attempts import LinkingAttemptRepository
from storage.repositories.linking.codes import LinkingCodeRepository
from storage.repositories.live import LiveRepositories
from storage.repositories.materials import MaterialRepository
from storage.repositories.memberships import MembershipRepository
from storage.repositories.minutes_heads import MinutesHeadRepository
from storage.repositories.motions import MotionRepository
from storage.repositories.organisations import OrganisationRepository
from storage.repositories.pending_replies import PendingReplyRepository
from storage.repositories.persons import PersonRepository
from storage.repositories.processed_updates import ProcessedUpdateRepository
from storage.repositories.rounds import VoteRoundRepository
from storage.repositories.secret_ballots import SecretBallotRepository
from storage.repositories.send_ledger import SendLedgerRepository
from storage.repositories.sent_messages import SentMessageRepository
from storage.repositories.sessions import SessionRepository
from storage.repositories.surveys.progress import SurveyProgressRepository
from storage.repositories.surveys.questionnaires import SurveyRepository
from storage.repositories.votes import VoteRepository


class Repositories:
    """Every repository, bound to one connection (the read-only one or the writer)."""

    __slots__ = (
        "accounts",
        "attendance",
        "audit",
        "audit_facts",
        "bodies",
        "correspondence",
        "deliveries",
        "elections",
        "linking_attempts",
        "linking_codes",
        "live",
        "materials",
        "memberships",
        "minutes_heads",
        "motions",
        "organisations",
        "pending_replies",
        "persons",
        "processed_updates",
        "rounds",
        "secret_ballots",
        "send_ledger",
        "sent_messages",
        "sessions",
        "survey_progress",
        "surveys",
        "votes",
    )

    def __init__(self, connection: Statements, keys: KeyRing | None = None) -> None:
        self.bodies = BodyRepository(connection, keys)
        self.organisations = OrganisationRepository(connection, keys)
        self.persons = PersonRepository(connection, keys)
        self.memberships = MembershipRepository(connection, keys)
        self.accounts = AccountRepository(connection, keys)
        self.linking_codes = LinkingCodeRepository(connection, keys)
        self.linking_attempts = LinkingAttemptRepository(connection, keys)
        self.sessions = SessionRepository(connection, keys)
        self.motions = MotionRepository(connection, keys)
        self.materials = MaterialRepository(connection, keys)
        self.deliveries = DeliveryRepository(connection, keys)
        self.attendance = AttendanceRepository(connection, keys)
        self.rounds = VoteRoundRepository(connection, keys)
        self.votes = VoteRepository(connection, keys)
        self.secret_ballots = SecretBallotRepository(connection, keys)
        self.elections = ElectionRepository(connection, keys)
        self.surveys = SurveyRepository(connection, keys)
        self.survey_progress = SurveyProgressRepository(connection, keys)
        self.processed_updates = ProcessedUpdateRepository(connection, keys)
        self.correspondence = CorrespondenceRepositories(connection, keys)
        self.live = LiveRepositories(connection, keys)
        self.audit = AuditRepository(connection, keys)
        self.audit_facts = AuditFactsRepository(connection, keys)
        self.minutes_heads = MinutesHeadRepository(connection, keys)
        self.sent_messages = SentMessageRepository(connection, keys)
        self.send_ledger = SendLedgerRepository(connection, keys)
        self.pending_replies = PendingReplyRepository(connection, keys)


__all__ = ["Repositories"]
