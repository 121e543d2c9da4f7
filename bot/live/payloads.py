"""Button payloads of live sessions: "prefix:fields", at most 64 bytes (Telegram's limit).

The services that offer buttons and the handlers that receive them share these prefixes. A vote
payload ends in ":za" or ":proti", so Matrix members may also type "!za" / "!proti".
"""

from __future__ import annotations

from bot.domain.models import VoteChoice

ATTENDANCE = "lat"  # lat:<session>:attend|decline
PRESENT = "lpr"  # lpr:<session>
BALLOT = "lvb"  # lvb:<motion>:<round>:<choice>   a choice, to be confirmed
CONFIRM = "lvc"  # lvc:<motion>:<round>:<choice>   the confirmed vote
BACK = "lvn"  # lvn:<motion>:<round>              back to the ballot
ELECTION_SHOW = "lex"  # lex:<election>:<round>:<mask>  the ballot with marks (hex bit mask)
ELECTION_ASK = "les"  # les:<election>:<round>:<mask>   confirm these marks
ELECTION_CAST = "lec"  # lec:<election>:<round>:<mask>  confirmed ballot
HALL = "lhl"  # lhl:<session>:<person>            the clerk marks / unmarks hall presence
HALL_AS_BEFORE = "lhc"  # lhc:<session>              hall presence as at the previous check
OPEN_SESSION = "lop"  # lop:<session>
VOTE_ITEM = "lvi"  # lvi:<session>:<item number>       the chair picks the item to vote on
VOTE_TIME = "lvt"  # lvt:<session>:<item number>:<minutes, 0 = until closed>
DRAFT = "ldr"  # ldr:<step>:<value>                 the clerk's guided convening


def vote_payload(prefix: str, motion_id: int, round_number: int, choice: VoteChoice) -> str:
    return f"{prefix}:{motion_id}:{round_number}:{choice.value}"


def election_payload(prefix: str, election_id: int, round_number: int, mask: int) -> str:
    return f"{prefix}:{election_id}:{round_number}:{mask:x}"


def motion_round_stems(motion_id: int, round_number: int) -> tuple[str, ...]:
    """What every button of a vote's ballot begins with: the ballot, its confirmation, back."""
    return tuple(f"{prefix}:{motion_id}:{round_number}" for prefix in (BALLOT, CONFIRM, BACK))


def election_round_stems(election_id: int, round_number: int) -> tuple[str, ...]:
    """What every button of an election round's ballot begins with."""
    return tuple(
        f"{prefix}:{election_id}:{round_number}"
        for prefix in (ELECTION_SHOW, ELECTION_ASK, ELECTION_CAST)
    )


def split_ints(rest: str, count: int) -> list[int] | None:
    """The first ``count`` fields of a payload's rest as integers, or None if malformed."""
    fields = rest.split(":")
    if len(fields) < count:
        return None
    try:
        return [int(field) for field in fields[:count]]
    except ValueError:
        return None
