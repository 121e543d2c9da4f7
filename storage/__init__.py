"""Storage of Sejabot: SQLite through aiosqlite, portable SQL, numbered migrations.

Repositories speak to an engine-neutral seam (storage/engine.py); SQLite is its one adapter
(storage/sqlite.py). ``Database.open(path)`` applies the migrations in
``storage/migrations/sqlite/`` and gives ``db.read`` (committed data, read-only connection) and
``db.transaction()`` (the single writer).
Repositories return the dataclasses of bot/domain/models.py or storage/records.py.
The schema, its constraints and the secrecy of secret ballots are described in
storage/README.md.
"""

from storage.database import Database
from storage.migrations import DatabaseTooNew
from storage.repositories import Repositories
from storage.sqlite import WalUnavailable

__all__ = ["Database", "DatabaseTooNew", "Repositories", "WalUnavailable"]
