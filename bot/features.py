"""The bot's features, one line each: adding a feature means a room and a line here.

Order matters twice: conversation routes are asked in this order (short clerk and chair flows
before a survey answer that may wait for days), and start hooks run in it (replies owed since
the last stop go out first).
"""

from __future__ import annotations

from bot import housekeeping, reply_outbox
from bot.feature import Feature
from handlers import help
from handlers.correspondence.feature import FEATURE as CORRESPONDENCE
from handlers.linking.feature import FEATURE as LINKING
from handlers.live.feature import FEATURE as LIVE
from handlers.surveys.feature import FEATURE as SURVEYS

FEATURES: tuple[Feature, ...] = (
    Feature("reply outbox", on_start=reply_outbox.resend_owed),
    help.FEATURE,
    LINKING,
    CORRESPONDENCE,
    LIVE,
    SURVEYS,
    Feature("housekeeping", on_start=housekeeping.start),
)
