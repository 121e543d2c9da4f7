"""The server's keys as storage uses them: sealing secret ballots, signing audit entries.

A sealed ballot is AES-256-GCM over a fixed-size plaintext, with a fresh random nonce and the
round as associated data, so a sealed record says nothing about its ballot (not even its
length) to anyone without SEJABOT_SECRET_KEY, and cannot be moved to another round unnoticed.
One ring belongs to one open database; it also remembers that a round was unsealed, so the
database truncates its write-ahead log after that commit (docs/SECURITY.md).
"""

from __future__ import annotations

import hmac
import os
import struct
from hashlib import sha256

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.i18n import N_, Translator
from bot.server_keys import SECRET_KEY_ENV, ServerKeys
from storage.errors import StorageError

NONCE_BYTES = 12
LENGTH_PREFIX = struct.Struct(">H")


class ServerKeysMissing(StorageError):
    """A secret ballot arrived at a database opened without the server's keys."""

    MESSAGE = N_(
        "A secret ballot cannot be stored without the server's secret key. "
        "Fix: export {env} and start Sejabot again."
    )

    def __init__(self) -> None:
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        return Translator(language)(self.MESSAGE, env=SECRET_KEY_ENV)


class SealedBallotUnreadable(StorageError):
    """A sealed ballot does not open with this server's key: another key, or a changed record."""

    MESSAGE = N_(
        "A sealed secret ballot of {round} cannot be opened with the secret key in {env} "
        "(key {fingerprint}). Fix: start Sejabot with the key it had when the ballot was cast."
    )

    def __init__(self, round_label: str, fingerprint: str) -> None:
        self.round_label = round_label
        self.fingerprint = fingerprint
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        return Translator(language)(
            self.MESSAGE, round=self.round_label, env=SECRET_KEY_ENV, fingerprint=self.fingerprint
        )


class KeyRing:
    __slots__ = ("_aead", "keys", "unsealed_rounds")

    def __init__(self, keys: ServerKeys) -> None:
        self.keys = keys
        self._aead = AESGCM(keys.ballot_sealing)
        self.unsealed_rounds = 0  # rounds opened since the log was last truncated

    @property
    def fingerprint(self) -> str:
        return self.keys.fingerprint

    def sign(self, message: bytes) -> str:
        return self.keys.sign(message)

    def code_hash(self, normalised_code: str) -> str:
        """How a linking code is stored: HMAC-SHA256 under the server's code key, so a copy of
        the database cannot be searched offline for the codes (about 50 bits each)."""
        return hmac.new(
            self.keys.linking_codes, normalised_code.encode("ascii"), sha256
        ).hexdigest()

    def seal(self, round_label: str, plaintext: bytes, size: int) -> bytes:
        """``plaintext`` padded to ``size`` bytes and sealed: every record of a round is as long
        as every other one."""
        if len(plaintext) + LENGTH_PREFIX.size > size:
            raise ValueError(f"a ballot of {len(plaintext)} bytes does not fit {size}")
        padded = LENGTH_PREFIX.pack(len(plaintext)) + plaintext
        padded += bytes(size - len(padded))
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, padded, round_label.encode())

    def unseal(self, round_label: str, sealed: bytes) -> bytes:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            padded = self._aead.decrypt(nonce, body, round_label.encode())
        except InvalidTag:
            raise SealedBallotUnreadable(round_label, self.fingerprint) from None
        (length,) = LENGTH_PREFIX.unpack_from(padded)
        return padded[LENGTH_PREFIX.size : LENGTH_PREFIX.size + length]
