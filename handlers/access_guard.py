"""The dispatcher's checks of where an event comes from, before any feature sees it.

* Group chats. The bot serves each person in their private chat only: an invitation, a ballot
  receipt or a vote must never show in a room others read. A command, a button, a poll answer or
  an invitation code in a group is refused with a pointer to the private chat; other chatter
  there is ignored without a word, so the bot never talks over a group.
* Buttons and poll answers. A choice counts only on a message the bot itself sent into this very
  chat, and only with a payload that message offered (``sent_messages``, recorded by the
  messenger). A button on a forwarded copy (the callback arrives with a message the bot never
  sent into the presser's chat), a poll of another room, or a payload made up by a modified
  client is refused and logged. A payload its message no longer offers (pressed twice, or the
  poll on the member's other platform ended once they voted) is logged as a replay and still
  handed to its feature, which checks everything again and tells the member what was recorded
  first, which is more than the dispatcher could say. A press on the bot's own message that it
  has no record of (sent twice after a crash) also takes that copy's buttons away.
"""

from __future__ import annotations

from bot.domain.models import Platform
from bot.i18n import N_
from bot.transport.events import OutgoingMessage
from bot.transport.security_log import RefusalKind, input_kind
from handlers.context import HandlerContext
from handlers.linking.accounts import code_in
from storage.repositories.sent_messages import ChoiceStanding

GROUP_CHAT = N_(
    "For your privacy the bot works only in a private chat with you, never in a group. Write "
    "to it directly; nothing was done here."
)
NOT_OUR_MESSAGE = N_(
    "This button does not belong to a message the bot sent you (for example, the message was "
    "forwarded to you), so nothing was done. Use the buttons under the bot's own messages in "
    "your chat with it."
)
# What an unrecorded copy of the bot's own message in this chat becomes once pressed: after a
# crash between the platform's acceptance and the bot's record, a message may have been sent
# twice; the copy the bot does not know of loses its buttons, and only the other one counts.
SPENT_COPY = N_(
    "This copy of the message no longer counts; the bot's other, identical message in this "
    "chat does."
)
NOT_OFFERED = N_(
    "This choice was never offered under that message, so nothing was recorded. Use the "
    "buttons the bot showed you."
)


def refuse_outside_direct_chat(ctx: HandlerContext) -> bool:
    """True when the event came from a group chat (refused or ignored); False in a private chat."""
    event = ctx.event
    if event.chat.is_direct:
        return False
    if event.choice is not None or event.command or code_in(ctx) is not None:
        ctx.refuse(
            RefusalKind.NOT_DIRECT_CHAT,
            ctx._(GROUP_CHAT),
            detail=f"{input_kind(event)} chat={event.chat.chat_id}",
        )
    return True


async def admit_choice(ctx: HandlerContext) -> bool:
    """True when the choice may go to its feature; False once it has been refused."""
    event = ctx.event
    choice = event.choice
    assert choice is not None
    prefix = choice.payload.partition(":")[0][:16]
    message = choice.message
    if (
        message is None
        or message.chat.platform != event.platform
        or message.chat.chat_id != event.chat.chat_id
    ):
        ctx.refuse(
            RefusalKind.FOREIGN_MESSAGE,
            ctx._(NOT_OUR_MESSAGE),
            detail=f"prefix={prefix} message={message.message_id if message else 'none'}",
        )
        return False
    standing = await ctx.repos.sent_messages.standing(
        Platform(event.platform), event.chat.chat_id, message.message_id, choice.payload
    )
    detail = f"prefix={prefix} message={message.message_id}"
    if standing is ChoiceStanding.NO_MESSAGE:
        ctx.refuse(RefusalKind.FOREIGN_MESSAGE, ctx._(NOT_OUR_MESSAGE), detail=detail)
        # If it is the bot's own copy (sent twice after a crash), its buttons are withdrawn;
        # a forwarded copy is the person's own message, which the platform does not let the
        # bot edit, and nothing happens to it.
        ctx.edit(message, OutgoingMessage(html=ctx._(SPENT_COPY)))
        return False
    if standing is ChoiceStanding.NEVER_OFFERED:
        ctx.refuse(RefusalKind.FORGED_CHOICE, ctx._(NOT_OFFERED), detail=detail)
        return False
    if standing is ChoiceStanding.WITHDRAWN:
        ctx.note_refusal(RefusalKind.REPLAYED_CHOICE, detail=detail)
    return True
