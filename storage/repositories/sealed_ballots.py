"""Ballots of rounds still open, sealed (storage/keyring.py, migration 0010).

A sealed record carries no person, no time and no clear text, and every record of a round has
the same size, so its place in the file pairs it with nothing anyone without the server's key
can read. The records are opened only when their round closes (``secret_ballots``,
``elections``), and then deleted.
"""

from __future__ import annotations

from storage.keyring import KeyRing, ServerKeysMissing
from storage.repositories.base import Repository


def round_label(vote: str, target_id: int, round: int) -> str:
    """What a sealed record is bound to (AES-GCM associated data): ``motion:12/round:1``."""
    return f"{vote}:{target_id}/round:{round}"


class SealedBallotRepository(Repository):
    __slots__ = ()

    def _ring(self) -> KeyRing:
        if self._keys is None:
            raise ServerKeysMissing()
        return self._keys

    async def add(self, vote: str, target_id: int, round: int, plaintext: bytes, size: int) -> None:
        sealed = self._ring().seal(round_label(vote, target_id, round), plaintext, size)
        await self._run(
            "INSERT INTO sealed_ballots (vote, target_id, round, sealed) VALUES (?, ?, ?, ?)",
            (vote, target_id, round, sealed),
        )

    async def open_all(self, vote: str, target_id: int, round: int) -> list[bytes]:
        """The round's ballots in clear, in no meaningful order (the caller shuffles)."""
        rows = await self._all(
            "SELECT sealed FROM sealed_ballots WHERE vote = ? AND target_id = ? AND round = ?",
            (vote, target_id, round),
        )
        if not rows:
            return []
        ring, label = self._ring(), round_label(vote, target_id, round)
        return [ring.unseal(label, bytes(row["sealed"])) for row in rows]

    async def erase(self, vote: str, target_id: int, round: int) -> None:
        """Deletes the round's sealed records; with secure_delete their bytes become zeros, and
        the database truncates its write-ahead log after the commit."""
        deleted = await self._run(
            "DELETE FROM sealed_ballots WHERE vote = ? AND target_id = ? AND round = ?",
            (vote, target_id, round),
        )
        if deleted and self._keys is not None:
            self._keys.unsealed_rounds += 1
