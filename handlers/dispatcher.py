"""Routes neutral incoming events to the conversation handlers, for every transport alike.

One database transaction per event: the event is marked as processed and the handler's writes
are committed together with its replies (bot/reply_outbox.py), then the replies are sent. A
redelivered event (same platform key) is recognised and ignored, so a restart neither loses
nor replays it.

Before any feature: strangers get an explanation, people without an active seat are told so,
group chats and choices not made on the bot's own messages are refused (handlers/access_guard.py)
and staff commands are kept for clerks and the secretariat. Every refusal, these and those the
features report with ``ctx.refuse``, is logged on ``sejabot.security`` once the event is handled.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot import reply_outbox
from bot.domain.models import Platform
from bot.i18n import Translator, normalise_language
from bot.messenger import Messenger
from bot.transport.events import IncomingEvent
from bot.transport.input_text import cleaned_event
from bot.transport.security_log import RefusalKind, input_kind, refused
from handlers import access_guard, input_guard
from handlers import help as help_handlers
from handlers.context import HandlerContext
from handlers.linking import accounts as linking
from handlers.routes import STAFF_ROLES, Routes

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# Files are downloaded before the transaction opens, so no network wait ever holds the
# database's writer lock. Larger files are refused by the handlers that accept files.
PREFETCH_LIMIT_BYTES = 20 * 1024 * 1024


async def _with_file_fetched(event: IncomingEvent) -> IncomingEvent:
    incoming = event.file
    if incoming is None or incoming.size > PREFETCH_LIMIT_BYTES:
        return event
    try:
        content = await incoming.fetch()
    except Exception:  # the handler will try again and tell the person if it still fails
        log.warning(
            "prefetching %s from %s failed", incoming.filename, event.platform, exc_info=True
        )
        return event

    async def cached() -> bytes:
        return content

    return replace(event, file=replace(incoming, fetch=cached, size=len(content)))


class Dispatcher:
    def __init__(self, app: App, routes: Routes) -> None:
        self._app = app
        self._routes = routes

    async def handle(self, event: IncomingEvent) -> None:
        event = cleaned_event(await _with_file_fetched(event))
        if event.choice is not None:  # a button may be pressed before its message is recorded
            await self._app.messenger.offers_settled(event.chat)
        try:
            ctx = await self._handle_in_transaction(event)
        except Exception:  # rolled back: nothing of it is stored, and the sender is told so
            log.exception("handling %s event %s failed", event.platform, event.event_key)
            await input_guard.apologise(self._app, event)
            return
        if ctx is None:
            return
        for refusal in ctx.refusals:
            refused(refusal.kind, event.platform, event.sender.external_id, refusal.detail)
        await self._app.messenger.deliver(ctx.outgoing, edits_withdrawn=True)
        await reply_outbox.delivered(self._app, ctx.kept_replies)
        for work in ctx.after_commit:
            try:
                await work()
            except Exception:  # the event itself is handled and stored; report and go on
                log.exception(
                    "follow-up work of %s event %s failed", event.platform, event.event_key
                )

    async def _handle_in_transaction(self, event: IncomingEvent) -> HandlerContext | None:
        """Route the event in its own transaction; None for an event handled before.

        Handlers read and write through ``ctx.repos`` and collect what to send; the replies are
        kept in the same transaction (bot/reply_outbox.py) and go out after the commit, here."""
        now = self._app.now()
        async with self._app.db.transaction() as repos:
            if not await repos.processed_updates.mark(event.platform, event.event_key):
                log.info("duplicate %s event %s ignored", event.platform, event.event_key)
                return None
            person = await repos.accounts.find_person(
                Platform(event.platform), event.sender.external_id
            )
            memberships = (
                await repos.memberships.list_for_person(person.id)
                if person is not None and person.id is not None
                else []
            )
            language = person.language if person else normalise_language(event.sender.language_hint)
            ctx = HandlerContext(
                event=event,
                repos=repos,
                now=now,
                person=person,
                memberships=memberships,
                _=Translator(language),
                app=self._app,
                help_providers=self._routes.help_providers,
            )
            await self._route(ctx)
            await Messenger.withdraw_edited(repos, ctx.outgoing)
            ctx.kept_replies = await reply_outbox.keep(repos, ctx.outgoing, now)
            return ctx

    async def _route(self, ctx: HandlerContext) -> None:
        event = ctx.event
        if access_guard.refuse_outside_direct_chat(ctx):  # first: never talk over a group
            return
        if input_guard.refuse_too_long(ctx):
            return
        code = linking.code_in(ctx)
        if code is not None:
            await linking.link_account(ctx, code)
            return
        if ctx.person is None:
            linking.explain_to_stranger(ctx)
            return
        if not ctx.memberships:
            ctx.refuse(
                RefusalKind.NO_ACTIVE_SEAT,
                ctx._(
                    "You are no longer on the roster of any body, so the bot cannot serve you. If this is a mistake, contact your municipal administration."
                ),
                detail=f"person={ctx.person.id} {input_kind(event)}",
            )
            return
        if event.choice is not None:
            if await access_guard.admit_choice(ctx):
                await self._route_choice(ctx)
            return
        if event.command:
            handler = self._routes.commands.get(event.command)
            if handler is None:
                help_handlers.unknown_input_hint(ctx)
            elif event.command in self._routes.staff_commands and not STAFF_ROLES & ctx.roles:
                ctx.refuse(
                    RefusalKind.STAFF_ONLY,
                    ctx._("This command is for clerks and the secretariat only."),
                    detail=f"person={ctx.person.id} command={event.command}",
                )
            else:
                await handler(ctx)
            return
        for conversation in self._routes.conversations:
            if await conversation(ctx):
                return
        help_handlers.unknown_input_hint(ctx)

    async def _route_choice(self, ctx: HandlerContext) -> None:
        payload = ctx.event.choice.payload if ctx.event.choice else ""
        prefix, _, rest = payload.partition(":")
        handler = self._routes.payloads.get(prefix)
        if handler is None:
            ctx.reply_text(ctx._("This button is no longer valid."))
            return
        await handler(ctx, rest)
