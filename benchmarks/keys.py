"""The server key of a benchmark run: a fresh one, exported for the bot processes the run starts
(they seal ballots and sign the audit trail as a deployment does), unless one is set already."""

from __future__ import annotations

import os

from bot.server_keys import SECRET_KEY_ENV, ServerKeys, new_secret_key

BENCH_KEYS = ServerKeys.from_secret(os.environ.setdefault(SECRET_KEY_ENV, new_secret_key()))
