"""`sejabot restore BACKUP`: put a backup in the database's place, keeping the current file.

The bot must be stopped: the restore takes SQLite's exclusive lock on the current database
first, which any open connection (a running bot, another command) prevents, and refuses
otherwise. The backup is checked (integrity, a Sejabot schema this version can open) and copied
beside the database with SQLite's backup API; the current database, with its log folded in, is
renamed to ``<name>.before-restore-<UTC time>``; then the copy takes its name. Each step leaves
a whole database under the final name, so a failure at any point loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.i18n import N_, Translator
from storage.errors import StorageError
from storage.files import owner_only_file
from storage.migrations import bundled_migrations, latest_version


class RestoreRefused(StorageError):
    def __init__(self, message: str, **params: object) -> None:
        self.message_id = message
        self.params = {key: str(value) for key, value in params.items()}
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        return Translator(language)(self.message_id, **self.params)


NOT_A_BACKUP = N_("{path} is not a Sejabot database ({detail}); nothing was restored.")
DAMAGED = N_("{path} failed its integrity check ({detail}); nothing was restored.")
TOO_NEW = N_(
    "{path} has schema version {found}, newer than this Sejabot understands ({supported}); "
    "nothing was restored. Upgrade Sejabot first."
)
IN_USE = N_(
    "The database {path} is in use (the bot or another sejabot command has it open); nothing "
    "was restored. Stop the bot first, e.g. systemctl stop sejabot."
)


async def restore_file(backup: Path, target: Path, now: datetime | None = None) -> Path | None:
    """Restore ``backup`` to ``target``; returns where the previous database was kept."""
    moment = now or datetime.now(UTC)
    return await asyncio.to_thread(_restore, backup, target, moment)


def _restore(backup: Path, target: Path, now: datetime) -> Path | None:
    _check_backup(backup)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    owner_only_file(partial)
    try:
        with (
            contextlib.closing(
                sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
            ) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
        kept = _set_aside(target, now)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return kept


def _check_backup(backup: Path) -> None:
    try:
        with contextlib.closing(
            sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        ) as connection:
            (result,) = connection.execute("PRAGMA integrity_check").fetchone()
            if result != "ok":
                raise RestoreRefused(DAMAGED, path=backup, detail=result)
            (found,) = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
    except sqlite3.Error as error:
        raise RestoreRefused(NOT_A_BACKUP, path=backup, detail=error) from None
    supported = latest_version(bundled_migrations())
    if int(found or 0) > supported:
        raise RestoreRefused(TOO_NEW, path=backup, found=found, supported=supported)


def _set_aside(target: Path, now: datetime) -> Path | None:
    """Fold the current database's log into it, under SQLite's exclusive lock (refused while
    anyone has it open), and rename it out of the way with its companions."""
    if not target.exists():
        return None
    connection = sqlite3.connect(target, isolation_level=None, timeout=0)
    try:
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            connection.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise RestoreRefused(IN_USE, path=target) from None
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    kept = target.with_name(f"{target.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
    target.replace(kept)
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    return kept
