"""Features that keep state over time (deadlines, reminders) and what they do at start.

Each entry has ``async on_start(app)``: rebuild its scheduler jobs from the database and
finish what came due while the bot was down. Conversation routes are in handlers/routes.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.app import App


class Feature(Protocol):
    async def on_start(self, app: App) -> None: ...


FEATURES: list[Feature] = []

from bot.reply_outbox import ReplyOutboxFeature

FEATURES.append(ReplyOutboxFeature())  # first: replies owed since the last stop go out at once

from bot.surveys.schedule import SurveyFeature

FEATURES.append(SurveyFeature())

from bot.correspondence.schedule import correspondence_feature

FEATURES.append(correspondence_feature)

from bot.live.schedule import FEATURE as live_sessions_feature

FEATURES.append(live_sessions_feature)

from bot.housekeeping import HousekeepingFeature

FEATURES.append(HousekeepingFeature())
