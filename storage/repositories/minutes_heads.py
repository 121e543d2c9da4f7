"""The head of the audit trail each session's minutes were first made with (``minutes_heads``).

Written once: a regeneration of the minutes prints the recorded head, so that it matches the
copy sent out, and says whether the trail still contains it (bot/audit/trail.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.audit_chain import ChainHead
from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository

COLUMNS = "session_id, seq, hash, made_at, mac"


@dataclass(frozen=True, slots=True)
class MinutesHead:
    session_id: int
    head: ChainHead
    made_at: datetime
    made_at_text: str  # as stored: the signed message covers the text
    mac: str | None

    def signed_message(self) -> bytes:
        return minutes_head_message(self.session_id, self.head, self.made_at_text)


def minutes_head_message(session_id: int, head: ChainHead, made_at: str) -> bytes:
    """What the MAC of a row covers: every column but the MAC itself."""
    return f"minutes_head:{session_id}:{head.seq}:{head.hash}:{made_at}".encode("ascii")


def _from_row(row: Row) -> MinutesHead:
    return MinutesHead(
        session_id=row["session_id"],
        head=ChainHead(row["seq"], row["hash"]),
        made_at=parse_utc(row["made_at"]),
        made_at_text=row["made_at"],
        mac=row["mac"],
    )


class MinutesHeadRepository(Repository):
    __slots__ = ()

    async def record(self, session_id: int, head: ChainHead, made_at: datetime) -> bool:
        """Keeps ``head`` as the minutes' head unless one was recorded before; True if this
        call recorded it. Signed with the server's audit key when it is at hand."""
        stamp = utc_text(made_at)
        mac = (
            self._keys.sign(minutes_head_message(session_id, head, stamp))
            if self._keys is not None
            else None
        )
        inserted = await self._run(
            f"INSERT INTO minutes_heads ({COLUMNS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id) DO NOTHING",
            (session_id, head.seq, head.hash, stamp, mac),
        )
        return inserted > 0

    async def get(self, session_id: int) -> MinutesHead | None:
        row = await self._one(
            f"SELECT {COLUMNS} FROM minutes_heads WHERE session_id = ?", (session_id,)
        )
        return None if row is None else _from_row(row)

    async def list_all(self) -> list[MinutesHead]:
        rows = await self._all(f"SELECT {COLUMNS} FROM minutes_heads ORDER BY session_id")
        return [_from_row(row) for row in rows]
