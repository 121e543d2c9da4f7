"""Refused attempts, one structured WARNING line each, on the logger ``sejabot.security``.

Whenever the bot refuses something a person is not entitled to do (an unlinked account, a
member without a seat, a clerk command, a button that is not theirs, a used or expired code, a
vote too late or twice, a user of another homeserver), the refusal is logged here, so the
operator can see attempts and patterns (many codes tried from one account) in one place::

    refused kind=forged_choice platform=telegram user=7001 detail="prefix=cs message=12"

The fields are also attributes of the log record (``refusal_kind``, ``refusal_platform``,
``refusal_user``, ``refusal_detail``) for log shippers. The user is the platform's account id,
never a name. ``detail`` must not carry secrets: no invitation code, no token, no whole button
payload (a ballot's payload names the choice), never how anybody voted in a secret vote.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.transport.events import IncomingEvent

LOGGER_NAME = "sejabot.security"
MAX_DETAIL_CHARACTERS = 200

log = logging.getLogger(LOGGER_NAME)


class RefusalKind(StrEnum):
    # Who may talk to the bot at all (dispatcher, linking, Matrix transport).
    UNLINKED_USER = "unlinked_user"  # an account linked to nobody
    NO_ACTIVE_SEAT = "no_active_seat"  # linked, but removed from every body
    INVITATION_CODE = "invitation_code"  # unknown, used, expired, or the account is someone else's
    CODE_ATTEMPTS_LIMITED = "code_attempts_limited"  # too many wrong codes from an account or chat
    NOT_DIRECT_CHAT = "not_direct_chat"  # a command, button or code in a group chat
    STAFF_ONLY = "staff_only"  # a clerk or secretariat command by someone else
    FOREIGN_HOMESERVER = "foreign_homeserver"  # a Matrix user of a server not allowed
    UNWELCOME_INVITATION = "unwelcome_invitation"  # a Matrix invitation from a stranger
    # Buttons and poll answers (dispatcher, against the messages the bot sent).
    FOREIGN_MESSAGE = "foreign_message"  # not a message the bot sent into this chat (forwarded)
    FORGED_CHOICE = "forged_choice"  # a payload that message never offered
    REPLAYED_CHOICE = "replayed_choice"  # a payload whose message no longer offers it
    # Refusals decided by the features, reported with ``ctx.refuse``.
    NOT_ENTITLED = "not_entitled"  # not a member, not invited, not on the roll of that body
    NOT_PRESIDING = "not_presiding"  # a chair's or clerk's command by a member
    DOUBLE_VOTE = "double_vote"  # already voted in this round (on any platform)
    DEADLINE_PASSED = "deadline_passed"  # acted after the deadline or the vote's set time
    ROUND_CLOSED = "round_closed"  # the vote, session or survey is closed


def refused(kind: RefusalKind | str, platform: str, external_id: str, detail: str = "") -> None:
    """Log one refusal at WARNING; see the module docstring for what ``detail`` may hold."""
    kind_text = str(kind)
    platform_text = str(platform)
    user_text = _one_line(external_id)
    detail_text = _one_line(detail)
    log.warning(
        'refused kind=%s platform=%s user=%s detail="%s"',
        kind_text,
        platform_text,
        user_text,
        detail_text,
        extra={
            "refusal_kind": kind_text,
            "refusal_platform": platform_text,
            "refusal_user": user_text,
            "refusal_detail": detail_text,
        },
    )


def input_kind(event: IncomingEvent) -> str:
    """What a person sent, for ``detail``: never the text itself, which may hold a code."""
    if event.choice is not None:
        return f"choice prefix={event.choice.payload.partition(':')[0][:16]}"
    if event.command:
        return f"command={event.command[:32]}"
    if event.file is not None:
        return "file"
    return "text"


def _one_line(detail: str) -> str:
    """No line breaks or quotes that would let a value forge a second log line or field."""
    flat = " ".join(detail.split()).replace('"', "'")
    if len(flat) > MAX_DETAIL_CHARACTERS:
        return flat[: MAX_DETAIL_CHARACTERS - 1] + "…"
    return flat
