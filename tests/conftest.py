"""Every test process knows the test deployment's secret key, as an operator exports it, so
that command-line runs and bot processes started by tests seal ballots and sign the audit trail.
Tests about a missing key remove it with monkeypatch."""

from __future__ import annotations

import os

from bot.server_keys import SECRET_KEY_ENV
from tests.support.keys import TEST_SECRET_KEY

os.environ.setdefault(SECRET_KEY_ENV, TEST_SECRET_KEY)
