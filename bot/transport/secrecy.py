"""Messages that ask for or show a secret choice, and what transports do to keep it secret.

Art. 42-43: nobody may learn how a member voted in a secret vote or election, and that includes
whoever runs a chat platform's servers. Services describe such a message as a
:class:`SecretMessage` (always ``secret=True``), and every transport keeps what its platform
lets it keep:

* **Sizes.** ``same_size_as`` holds the same message as it would read for every other choice
  the member could make (ZA, PROTI, VZDRŽAN; an election ballot with no and with all marks).
  The Matrix adapter pads each event of the message to the longest of them, so the homeserver
  sees ciphertext of one length whatever was chosen; poll answers of a secret message carry
  positional ids, not the choice.
* **Where a ballot goes** (``ballot``, a :class:`BallotTerms`): only to platforms the body's
  rules allow for secret votes, and on Matrix only into end-to-end encrypted rooms. Elsewhere
  the member reads why and how to go on instead, and the transport raises
  :class:`BallotWithheld`, so nothing records the ballot as shown there.
* **Telegram** bot chats are not end-to-end encrypted. Where the rules allow secret ballots on
  Telegram, a ballot shown there (not its later edits) follows a notice, a message of its own,
  that Telegram's servers carry the choice.

Texts are written by the services in the member's language; transports only pick among them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Platform
from bot.transport.events import Capability, OutgoingMessage, UnsupportedCapability


@dataclass(frozen=True, slots=True)
class BallotTerms:
    """Where a secret ballot may be shown, and what the member reads where it may not."""

    platforms: frozenset[Platform]  # the rule set allows secret ballots on these
    not_allowed: str = ""  # on any other platform: why not here, where to vote (HTML)
    unencrypted: str = ""  # a Matrix room without end-to-end encryption: how to go on (HTML)
    # Shown with a new ballot on a platform whose servers can read it: (platform, HTML) pairs.
    readable_notices: tuple[tuple[Platform, str], ...] = ()

    def allows(self, platform: Platform) -> bool:
        return platform in self.platforms

    def notice(self, platform: Platform) -> str:
        return next((html for where, html in self.readable_notices if where is platform), "")


@dataclass(frozen=True, slots=True)
class SecretMessage(OutgoingMessage):
    """An :class:`OutgoingMessage` that shows or asks for a secret choice (module docstring)."""

    same_size_as: tuple[OutgoingMessage, ...] = ()
    ballot: BallotTerms | None = None


class BallotWithheld(UnsupportedCapability):
    """The transport did not show a secret ballot here and told the member why instead."""

    def __init__(self, platform: Platform, reason: str) -> None:
        super().__init__(platform, Capability.ENCRYPTION)
        self.reason = reason  # "not_allowed" or "unencrypted", for the log


def ballot_terms(message: OutgoingMessage) -> BallotTerms | None:
    return message.ballot if isinstance(message, SecretMessage) else None


def size_alternatives(message: OutgoingMessage) -> tuple[OutgoingMessage, ...]:
    return message.same_size_as if isinstance(message, SecretMessage) else ()
