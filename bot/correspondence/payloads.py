"""Button payloads of correspondence sessions, at most 64 bytes each.

``cs:c:<session>`` confirms delivery, ``cs:v:<motion>:<choice>`` asks to vote,
``cs:s:<motion>:<choice>`` is the "yes, I am sure" that records the vote,
``cs:x:<motion>:<choice>`` cancels it. A payload is never trusted: it only names what the member wants; every check is made
again against the database when it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.models import VoteChoice

PREFIX = "cs"


class Action(StrEnum):
    CONFIRM = "c"
    VOTE = "v"
    SURE = "s"
    CANCEL = "x"


@dataclass(frozen=True, slots=True)
class Payload:
    action: Action
    target: int  # a session id for CONFIRM, a motion id otherwise
    choice: VoteChoice | None = None


def confirm_payload(session_id: int) -> str:
    return f"{PREFIX}:{Action.CONFIRM}:{session_id}"


def vote_payload(motion_id: int, choice: VoteChoice) -> str:
    return f"{PREFIX}:{Action.VOTE}:{motion_id}:{choice.value}"


def sure_payload(motion_id: int, choice: VoteChoice) -> str:
    return f"{PREFIX}:{Action.SURE}:{motion_id}:{choice.value}"


def cancel_payload(motion_id: int, choice: VoteChoice) -> str:
    return f"{PREFIX}:{Action.CANCEL}:{motion_id}:{choice.value}"


def parse_payload(rest: str) -> Payload | None:
    """The part after ``cs:``; None for anything malformed."""
    parts = rest.split(":")
    try:
        action = Action(parts[0])
        target = int(parts[1])
    except (ValueError, IndexError):
        return None
    if target < 1:
        return None
    if action is not Action.CONFIRM:
        if len(parts) != 3:
            return None
        try:
            return Payload(action, target, VoteChoice(parts[2]))
        except ValueError:
            return None
    if len(parts) != 2:
        return None
    return Payload(action, target)
