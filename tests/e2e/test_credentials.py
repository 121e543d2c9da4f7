"""A wrong token or password, started for real: `sejabot run` and `check-config --online` say
what is wrong and how to fix it, exit with 1, and print no traceback and no secret."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.local_homeserver import SynapseServer
from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.support.fake_telegram import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TELEGRAM_CONFIG = """\
[bot]
database_path = "sejabot.sqlite3"

[telegram]
enabled = true
api_base_url = "{url}/bot"
"""

MATRIX_CONFIG = """\
[bot]
database_path = "sejabot.sqlite3"

[matrix]
enabled = true
homeserver = "{homeserver}"
user_id = "{user}"
device_id = "SEJABOT"
store_path = "matrix-store"
"""


async def sejabot(work_dir: Path, *args: str, **secrets: str) -> tuple[int, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SEJABOT_TELEGRAM", "SEJABOT_MATRIX"))
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(work_dir / "sejabot.toml"), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**environment, **secrets}, cwd=work_dir,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, output.decode(errors="replace")


async def test_a_wrong_telegram_token(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        (tmp_path / "sejabot.toml").write_text(TELEGRAM_CONFIG.format(url=fake.url))
        wrong = "123456789:" + "x" * 35
        code, output = await sejabot(tmp_path, "run", SEJABOT_TELEGRAM_TOKEN=wrong)
        assert code == 1, output
        assert "Telegram je zavrnil žeton bota iz SEJABOT_TELEGRAM_TOKEN" in output
        assert "@BotFather" in output and "Traceback" not in output and wrong not in output
        code, output = await sejabot(
            tmp_path, "--lang", "en", "check-config", "--online", SEJABOT_TELEGRAM_TOKEN=wrong
        )
        assert code == 1 and "Telegram refused the bot token" in output, output
        code, output = await sejabot(
            tmp_path, "--lang", "en", "check-config", "--online", SEJABOT_TELEGRAM_TOKEN=fake.token
        )
        assert code == 0 and "Telegram accepts the token: the bot is @" in output, output


async def test_a_matrix_token_of_another_device_and_a_wrong_password(
    synapse: SynapseServer, matrix_users: MatrixUsers, tmp_path: Path
) -> None:
    bot_user = await matrix_users.register("bot")
    # The token a person would copy from Element: it belongs to Element's device.
    element = await matrix_users.login(bot_user, device_name="Element")
    (tmp_path / "sejabot.toml").write_text(
        MATRIX_CONFIG.format(homeserver=synapse.base_url, user=bot_user)
    )
    code, output = await sejabot(tmp_path, "run", SEJABOT_MATRIX_ACCESS_TOKEN=element.access_token)
    assert code == 1, output
    assert (
        f"pripada napravi {element.device_id}, ne nastavljeni napravi device_id SEJABOT" in output
    )
    assert "SEJABOT_MATRIX_PASSWORD" in output and "Traceback" not in output
    assert element.access_token not in output

    code, output = await sejabot(
        tmp_path, "--lang", "en", "run", SEJABOT_MATRIX_PASSWORD="not the password"
    )
    assert code == 1 and "refused the log-in of" in output and "Traceback" not in output, output
    assert "not the password" not in output

    code, output = await sejabot(
        tmp_path,
        "--lang",
        "en",
        "check-config",
        "--online",
        SEJABOT_MATRIX_PASSWORD=DEFAULT_PASSWORD,
    )
    assert code == 0 and f"accepts {bot_user} as device SEJABOT" in output, output
