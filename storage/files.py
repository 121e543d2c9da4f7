"""Files that hold votes or keys are readable by their owner only (docs/SECURITY.md).

SQLite gives the write-ahead log and shared-memory files the mode of the database file, so
creating the database owner-only is enough for the three; a file created earlier with a
looser mode is narrowed when it is opened again.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY = 0o600
OWNER_ONLY_FOLDER = 0o700


def owner_only_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; narrow its mode if it is looser."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, OWNER_ONLY))
    narrow(path)


def narrow(path: Path) -> None:
    """Take away every permission of the group and others, if the file exists."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        path.chmod(mode & 0o700)


def owner_only_database(path: Path) -> None:
    """The database file and its companions, created or narrowed before SQLite opens them."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=OWNER_ONLY_FOLDER)
    owner_only_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        narrow(path.with_name(path.name + suffix))
