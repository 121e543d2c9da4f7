"""The dispatcher's guard against input no feature should see, and its answer when one fails.

* A message longer than Telegram allows (4096 characters) is answered with its length and the
  limit and goes to no feature: Matrix lets a client send far more, and every flow is written
  for what fits in one chat message.
* When handling an event raises, its transaction is rolled back, so nothing of it is stored;
  the person is told so in their language instead of hearing nothing, and the event is marked
  processed so a redelivery does not fail again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.domain.models import Platform
from bot.i18n import N_, Translator, normalise_language
from bot.outgoing import Outgoing, ToChat
from bot.transport.events import IncomingEvent, OutgoingMessage
from handlers.context import HandlerContext

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARACTERS = 4096  # Telegram's own limit, so both platforms read the same

TOO_LONG = N_(
    "Your message is too long (characters: {length}); the bot reads messages of at most "
    "{limit} characters, so it did not use this one. Please write it shorter."
)
FAILED = N_(
    "Sorry, something went wrong on our side while handling your message, so nothing of it "
    "was stored. Please try again in a moment; if it happens again, tell your municipal "
    "administration."
)


def refuse_too_long(ctx: HandlerContext) -> bool:
    """Answer an overlong typed message and say True; False for anything else."""
    event = ctx.event
    if event.choice is not None or event.file is not None:
        return False
    length = len(event.text)
    if length <= MAX_MESSAGE_CHARACTERS:
        return False
    ctx.reply_text(ctx._(TOO_LONG, length=length, limit=MAX_MESSAGE_CHARACTERS))
    return True


async def apologise(app: App, event: IncomingEvent) -> None:
    """After a failed handling: mark the event processed and tell its sender; never raises."""
    try:
        async with app.db.transaction() as repos:
            if not await repos.processed_updates.mark(event.platform, event.event_key):
                return  # handled before, by an earlier delivery
            person = await repos.accounts.find_person(
                Platform(event.platform), event.sender.external_id
            )
        language = person.language if person else normalise_language(event.sender.language_hint)
        message = OutgoingMessage(html=Translator(language)(FAILED))
        await app.messenger.deliver([Outgoing(ToChat(event.chat), message)])
    except Exception:  # the database or the chat is down as well: the log must do
        log.exception("could not tell the sender of %s event %s", event.platform, event.event_key)
