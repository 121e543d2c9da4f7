"""Where each feature plugs its commands, button payloads and conversation steps in.

Each feature's ``Feature`` object (bot/feature.py) names its ``register(routes)``; the runtime
collects them in the order of bot/features.py. The dispatcher then needs no knowledge of any
feature.

* commands: ``/name`` on Telegram, ``!name`` on Matrix; several names may map to one handler.
* payloads: a button or poll answer ``prefix:rest`` goes to the handler of ``prefix``.
* conversations: asked in order for any other input (text, files) of a linked person; the first
  that returns True consumed it. Guided flows (a clerk creating a session, a survey answer in
  progress) live here.
* staff commands are refused to people without a clerk or secretariat seat.
* help: each feature adds the lines /pomoc shows, for what this person can do now (their roles,
  their open sessions and surveys): ``routes.help_lines(provider)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from bot.domain.models import Role
from handlers.context import HandlerContext, HelpProvider

CommandHandler = Callable[[HandlerContext], Awaitable[None]]
ChoiceHandler = Callable[[HandlerContext, str], Awaitable[None]]  # gets the payload after "prefix:"
ConversationHandler = Callable[[HandlerContext], Awaitable[bool]]

STAFF_ROLES = frozenset({Role.CLERK, Role.SECRETARIAT})


@dataclass
class Routes:
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    staff_commands: set[str] = field(default_factory=set)
    payloads: dict[str, ChoiceHandler] = field(default_factory=dict)
    conversations: list[ConversationHandler] = field(default_factory=list)
    help_providers: list[HelpProvider] = field(default_factory=list)

    def command(
        self, names: Iterable[str], handler: CommandHandler, *, staff: bool = False
    ) -> None:
        for name in names:
            if name in self.commands:
                raise ValueError(f"command {name!r} registered twice")
            self.commands[name] = handler
            if staff:
                self.staff_commands.add(name)

    def payload(self, prefix: str, handler: ChoiceHandler) -> None:
        if ":" in prefix or prefix in self.payloads:
            raise ValueError(f"payload prefix {prefix!r} invalid or registered twice")
        self.payloads[prefix] = handler

    def conversation(self, handler: ConversationHandler) -> None:
        self.conversations.append(handler)

    def help_lines(self, provider: HelpProvider) -> None:
        self.help_providers.append(provider)
