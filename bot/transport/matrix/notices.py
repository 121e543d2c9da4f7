"""The adapter's own answers to poll responses that did not become a choice.

Each such response is logged as a refusal on ``sejabot.security`` (event ids only, never the
answer, which may name a vote) and, in a direct room, answered with what happened and what to
do instead, so a member is never left waiting for a reply that will not come. In group rooms
the bot never talks: the refusal is only logged. The bot does not know the member's language
at this point, so the answer is in the transport's language (Slovenian unless configured).
"""

from __future__ import annotations

from bot.domain.models import Platform
from bot.i18n import N_, Translator
from bot.transport.events import OutgoingMessage
from bot.transport.matrix.incoming import NoticeReason, PollNotice
from bot.transport.matrix.outgoing import OutgoingMessages
from bot.transport.security_log import RefusalKind, refused

NOTICE_TEXTS = {
    NoticeReason.UNREADABLE: N_(
        "The bot could not read this poll answer, so nothing was recorded. Please choose your "
        "answer in the poll again."
    ),
    NoticeReason.EMPTY: N_(
        "Your poll answer was empty (or withdrawn), so nothing was recorded and nothing "
        "recorded earlier was changed. To answer, choose one of the answers in the poll."
    ),
    NoticeReason.NOT_OFFERED: N_(
        "This answer is not one of the poll's choices, so nothing was recorded. Choose one of "
        "the answers shown in the poll."
    ),
    NoticeReason.NOT_FROM_BOT: N_(
        "This poll was not sent by the bot, so your answer was not recorded. To vote or to "
        "answer, use the polls the bot sends you in this chat."
    ),
}

_REFUSAL_KINDS = {
    NoticeReason.UNREADABLE: RefusalKind.FORGED_CHOICE,
    NoticeReason.EMPTY: RefusalKind.FORGED_CHOICE,
    NoticeReason.NOT_OFFERED: RefusalKind.FORGED_CHOICE,
    NoticeReason.NOT_FROM_BOT: RefusalKind.FOREIGN_MESSAGE,
}


class PollNotices:
    def __init__(self, outgoing: OutgoingMessages, translate: Translator) -> None:
        self._outgoing = outgoing
        self._translate = translate

    async def answer(self, notice: PollNotice) -> None:
        refused(
            _REFUSAL_KINDS[notice.reason],
            Platform.MATRIX,
            notice.sender,
            f"poll answer {notice.reason} room={notice.chat.chat_id} event={notice.event_id} "
            f"poll={notice.poll_event_id or 'none'}",
        )
        if not notice.chat.is_direct:
            return
        text = self._translate(NOTICE_TEXTS[notice.reason])
        await self._outgoing.send(notice.chat, OutgoingMessage(html=text))
