"""Association surveys: respondents answer in the chat, the secretariat sends and follows them."""

from __future__ import annotations

from bot.feature import Feature
from bot.surveys.cli import survey
from bot.surveys.schedule import SurveyTimers
from handlers.routes import Routes
from handlers.surveys import answering, secretariat


def register(routes: Routes) -> None:
    answering.register(routes)
    secretariat.register(routes)


FEATURE = Feature("surveys", routes=register, on_start=SurveyTimers().on_start, commands=(survey,))
