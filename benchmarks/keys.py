"""A fresh server key per benchmark run: the bot seals ballots and signs the audit trail there too."""

from __future__ import annotations

from bot.server_keys import ServerKeys, new_secret_key

BENCH_KEYS = ServerKeys.from_secret(new_secret_key())
