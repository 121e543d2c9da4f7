"""The server's keys, derived from one secret that lives only in the environment.

``SEJABOT_SECRET_KEY`` holds 32 random bytes (``sejabot init`` prints a fresh one). Each use
gets its own key derived with HKDF-SHA256, so no key serves two purposes and none of them is in
the database, its write-ahead log or a backup (docs/SECURITY.md):

- ``ballot_sealing``: AES-256-GCM key that seals secret ballots while their round is open;
- ``audit_mac``: HMAC-SHA256 key that signs every audit entry, so an entry appended behind the
  bot's back is found even when its chain hash was recomputed;
- ``matrix_pickle``: the passphrase that encrypts the Matrix crypto store (nio's pickle key);
- ``linking_codes``: HMAC-SHA256 key for storing linking codes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_KEY_ENV = "SEJABOT_SECRET_KEY"
SECRET_BYTES = 32


class InvalidSecretKey(ValueError):
    """The secret is not 32 or more bytes written in base64 (as ``sejabot init`` prints it)."""


def new_secret_key() -> str:
    """A fresh secret in the form ``SEJABOT_SECRET_KEY`` takes: 32 random bytes, base64url."""
    return base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _decode(text: str) -> bytes:
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise InvalidSecretKey("not base64") from error
    if len(raw) < SECRET_BYTES:
        raise InvalidSecretKey(f"{len(raw)} bytes, at least {SECRET_BYTES} needed")
    return raw


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"sejabot",
        info=f"sejabot/{purpose}/v1".encode(),
    ).derive(secret)


@dataclass(frozen=True, slots=True, repr=False)
class ServerKeys:
    """The keys of one deployment. Never printed: ``repr`` shows only the fingerprint."""

    ballot_sealing: bytes
    audit_mac: bytes
    matrix_pickle: str
    linking_codes: bytes
    fingerprint: str  # identifies the secret (e.g. to say sealed ballots need another one)

    @classmethod
    def from_secret(cls, text: str) -> ServerKeys:
        """Raises ``InvalidSecretKey`` for a value that is not a secret ``init`` could print."""
        secret = _decode(text)
        return cls(
            ballot_sealing=_derive(secret, "ballot-sealing"),
            audit_mac=_derive(secret, "audit-mac"),
            matrix_pickle=_derive(secret, "matrix-pickle").hex(),
            linking_codes=_derive(secret, "linking-codes"),
            fingerprint=_derive(secret, "fingerprint")[:8].hex(),
        )

    def sign(self, message: bytes) -> str:
        """The audit MAC of ``message``, 64 hex digits."""
        return hmac.new(self.audit_mac, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"ServerKeys(fingerprint={self.fingerprint})"
