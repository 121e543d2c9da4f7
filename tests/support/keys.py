"""The server secret every test deployment uses (never a real deployment's)."""

from __future__ import annotations

from bot.server_keys import ServerKeys

TEST_SECRET_KEY = "dGVzdC1zZWNyZXQta2V5LWZvci1zZWphYm90LXRlc3RzLW9ubHk"
TEST_KEYS = ServerKeys.from_secret(TEST_SECRET_KEY)
