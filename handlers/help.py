"""Help, language choice and the hint for input the bot does not understand.

/pomoc shows what the person can do now: the general lines here, then the lines each feature
contributes through ``routes.help_lines(provider)`` in its own ``register`` (features do not
edit this module).
"""

from __future__ import annotations

from html import escape

from bot.feature import Feature
from bot.i18n import SUPPORTED_LANGUAGES, Translator
from bot.transport.events import Choice, OutgoingMessage
from handlers.context import HandlerContext
from handlers.routes import STAFF_ROLES, Routes

LANGUAGE_PAYLOAD_PREFIX = "lang"
LANGUAGE_NAMES = {"sl": "Slovenščina", "en": "English"}


def command_prefix(ctx: HandlerContext) -> str:
    return "!" if ctx.event.platform == "matrix" else "/"


async def help_text(ctx: HandlerContext) -> str:
    _ = ctx._
    p = command_prefix(ctx)
    lines = [
        "<b>" + _("Hello, {name}.", name=escape(ctx.person.full_name)) + "</b>"
        if ctx.person
        else "",
        _("Here is what you can do now:"),
    ]
    for provider in ctx.help_providers:
        lines.extend(await provider(ctx))
    if STAFF_ROLES & ctx.roles:
        lines.append(_("• {prefix}povezani — list who is linked and on which platform.", prefix=p))
    lines += [
        _("• {prefix}jezik — choose Slovenian or English.", prefix=p),
        _("• {prefix}pomoc — show this help.", prefix=p),
    ]
    if ctx.event.platform == "matrix":
        lines.append(_("Instead of pressing a button you may also type the number of an answer."))
    return "\n".join(line for line in lines if line)


async def show_help(ctx: HandlerContext) -> None:
    ctx.reply_text(await help_text(ctx))


def language_choices() -> tuple[tuple[Choice, ...], ...]:
    return (
        tuple(
            Choice(LANGUAGE_NAMES[code], f"{LANGUAGE_PAYLOAD_PREFIX}:{code}")
            for code in SUPPORTED_LANGUAGES
        ),
    )


async def ask_language(ctx: HandlerContext) -> None:
    wanted = ctx.event.args[0].lower() if ctx.event.args else ""
    if wanted in SUPPORTED_LANGUAGES:
        await set_language(ctx, wanted)
        return
    _ = ctx._
    ctx.reply(
        OutgoingMessage(
            html=_("Choose your language:"),
            choices=language_choices(),
            poll_question=_("Choose your language:"),
        )
    )


async def set_language(ctx: HandlerContext, language: str) -> None:
    if language not in SUPPORTED_LANGUAGES:
        ctx.reply_text(ctx._("This language is not available."))
        return
    if ctx.person is not None and ctx.person.id is not None:
        await ctx.repos.persons.set_language(ctx.person.id, language)
    ctx._ = Translator(language)
    ctx.reply_text(ctx._("Language set to English."))


def unknown_input_hint(ctx: HandlerContext) -> None:
    _ = ctx._
    if ctx.event.file is not None:
        ctx.reply_text(
            _("The file {name} was not expected now, so it was not stored. Send {prefix}pomoc "
              "to see what you can do.", name=escape(ctx.event.file.filename),
              prefix=command_prefix(ctx))
        )  # fmt: skip
        return
    ctx.reply_text(
        _(
            "I did not understand that. Send {prefix}pomoc to see what you can do.",
            prefix=command_prefix(ctx),
        )
    )


async def _choose_language(ctx: HandlerContext, language: str) -> None:
    await set_language(ctx, language)


def register(routes: Routes) -> None:
    routes.command(("pomoc", "pomoč", "help", "start"), show_help)
    routes.command(("jezik", "language", "lang"), ask_language)
    routes.payload(LANGUAGE_PAYLOAD_PREFIX, _choose_language)


FEATURE = Feature("help", routes=register)
