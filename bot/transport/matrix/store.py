"""The bot's Matrix crypto store: encrypted with the server's pickle key, readable by its owner.

nio keeps the bot's Olm account, its Olm sessions and the Megolm sessions of every room in a
SQLite file under ``store_path``, each pickled (encrypted) with a passphrase. nio's default
passphrase is the constant ``DEFAULT_KEY``, so anyone with a copy of that file and the
homeserver's database could read every encrypted event. The running bot passes the
``matrix_pickle`` key derived from ``SEJABOT_SECRET_KEY`` (bot/server_keys.py) instead.

A store written before with ``DEFAULT_KEY`` keeps working: at start, when the account does not
unpickle with the new key but does with the old one, the account, the Olm sessions and the
inbound Megolm sessions are pickled again with the new key, in place (the rest of the store,
device keys and trust, holds no pickles). A store that opens with neither key is refused with
an error saying so, instead of nio starting a new identity on top of it.

The folder is made readable by the owner only (0700) and the database file is created 0600
before nio opens it; SQLite gives its journal and write-ahead files the mode of the database.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from nio.store import DefaultStore

log = logging.getLogger(__name__)

NIO_DEFAULT_PICKLE_KEY = "DEFAULT_KEY"  # nio's AsyncClientConfig.pickle_key default
FOLDER_MODE = 0o700
FILE_MODE = 0o600
_COMPANIONS = ("", "-journal", "-wal", "-shm")


class StoreKeyError(RuntimeError):
    """The store opens neither with the configured pickle key nor with nio's default one."""


def store_file(store_path: Path, user_id: str, device_id: str) -> Path:
    """The SQLite file nio's default store uses (``<user id>_<device id>.db``)."""
    return store_path / f"{user_id}_{device_id}.db"


def restrict(store_path: Path, user_id: str, device_id: str) -> None:
    """The folder 0700; the database file (created empty if new) and its companions 0600."""
    store_path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    os.chmod(store_path, FOLDER_MODE)
    database = store_file(store_path, user_id, device_id)
    with contextlib.suppress(FileExistsError):
        # SQLite takes an empty file for a new database; made here so it is never 0644.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for suffix in _COMPANIONS:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{database}{suffix}", FILE_MODE)


def _store(store_path: Path, user_id: str, device_id: str, pickle_key: str) -> DefaultStore:
    return DefaultStore(user_id, device_id, str(store_path), pickle_key=pickle_key)


def _opens(store: DefaultStore) -> bool:
    try:
        store.load_account()
    except Exception:  # noqa: BLE001 - vodozemac raises several kinds for a wrong key
        return False
    return True


def rekey(store_path: Path, user_id: str, device_id: str, pickle_key: str) -> bool:
    """Make the store open with ``pickle_key``; returns True if it had to be re-pickled.

    Raises :class:`StoreKeyError` when the store opens with neither key.
    """
    if pickle_key == NIO_DEFAULT_PICKLE_KEY:
        return False
    new = _store(store_path, user_id, device_id, pickle_key)
    try:
        if _opens(new):
            return False
        old = _store(store_path, user_id, device_id, NIO_DEFAULT_PICKLE_KEY)
        try:
            if not _opens(old):
                raise StoreKeyError(
                    f"The Matrix store {store_path} opens neither with the key derived from "
                    "SEJABOT_SECRET_KEY nor with nio's default key: it was written with another "
                    "SEJABOT_SECRET_KEY. Start with that key again, or move the store away "
                    "(the bot then logs in as a new device)."
                )
            _repickle(old, new)
        finally:
            old.database.close()
    finally:
        new.database.close()
    log.info("The Matrix store %s is now encrypted with the server's pickle key", store_path)
    return True


def _repickle(old: DefaultStore, new: DefaultStore) -> None:
    account = old.load_account()
    assert account is not None  # _opens loaded it
    sessions = old.load_sessions()
    group_sessions = old.load_inbound_group_sessions()
    with new.database.atomic():
        new.save_account(account)
        for sender_key, session_list in sessions.items():
            for session in session_list:
                new.save_session(sender_key, session)
        for group_session in group_sessions:
            new.save_inbound_group_session(group_session)
