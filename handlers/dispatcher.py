"""Routes neutral incoming events to the conversation handlers, for every transport alike.

One database transaction per event: the event is marked as processed and the handler's writes
are committed together, then the replies are sent. A redelivered event (same platform key) is
recognised and ignored, so a restart neither loses nor replays it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.domain.models import Platform, Role
from bot.i18n import Translator, normalise_language
from bot.timeutil import utc_now
from bot.transport.events import IncomingEvent
from handlers import help as help_handlers
from handlers import linking
from handlers.context import HandlerContext, Outgoing
from storage.database import Database

log = logging.getLogger(__name__)

Deliver = Callable[[list[Outgoing]], Awaitable[None]]

HELP_COMMANDS = frozenset({"pomoc", "pomoč", "help", "start"})
LANGUAGE_COMMANDS = frozenset({"jezik", "language", "lang"})
LINKED_LIST_COMMANDS = frozenset({"povezani", "linked"})
STAFF_ROLES = frozenset({Role.CLERK, Role.SECRETARIAT})


class Dispatcher:
    def __init__(
        self,
        db: Database,
        deliver: Deliver,
        *,
        clock: Callable[[], datetime] = utc_now,
        bot_username: str = "",
    ) -> None:
        self._db = db
        self._deliver = deliver
        self._clock = clock
        self._bot_username = bot_username

    async def handle(self, event: IncomingEvent) -> None:
        async with self._db.transaction() as repos:
            if not await repos.processed_updates.mark(event.platform, event.event_key):
                log.info("duplicate %s event %s ignored", event.platform, event.event_key)
                return
            person = await repos.accounts.find_person(Platform(event.platform), event.sender.external_id)
            memberships = (
                await repos.memberships.list_for_person(person.id) if person is not None else []
            )
            language = person.language if person else normalise_language(event.sender.language_hint)
            ctx = HandlerContext(
                event=event,
                repos=repos,
                now=self._clock(),
                person=person,
                memberships=memberships,
                _=Translator(language),
                bot_username=self._bot_username,
            )
            await self._route(ctx)
        await self._deliver(ctx.outgoing)

    async def _route(self, ctx: HandlerContext) -> None:
        event = ctx.event
        code = linking.code_in(ctx)
        if code is not None:
            await linking.link_account(ctx, code)
            return
        if ctx.person is None:
            linking.explain_to_stranger(ctx)
            return
        if event.choice is not None:
            await self._route_choice(ctx)
        elif event.command in HELP_COMMANDS:
            help_handlers.show_help(ctx)
        elif event.command in LANGUAGE_COMMANDS:
            await help_handlers.ask_language(ctx)
        elif event.command in LINKED_LIST_COMMANDS:
            if STAFF_ROLES & {membership.role for membership in ctx.memberships}:
                await linking.list_linked(ctx)
            else:
                ctx.reply_text(ctx._("Only clerks and the secretariat may list linked members."))
        else:
            help_handlers.unknown_input_hint(ctx)

    async def _route_choice(self, ctx: HandlerContext) -> None:
        payload = ctx.event.choice.payload if ctx.event.choice else ""
        if payload.startswith(help_handlers.LANGUAGE_PAYLOAD_PREFIX):
            await help_handlers.set_language(
                ctx, payload.removeprefix(help_handlers.LANGUAGE_PAYLOAD_PREFIX)
            )
        else:
            ctx.reply_text(ctx._("This button is no longer valid."))
