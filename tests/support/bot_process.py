"""The real bot as its own process (`sejabot run`), configured against the fake Telegram server
and a Synapse homeserver, so tests and benchmarks can kill it, restart it and measure it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

CONFIG = """\
[bot]
database_path = "{database}"

[telegram]
enabled = true
api_base_url = "{telegram_url}/bot"

[matrix]
enabled = {matrix_enabled}
homeserver = "{homeserver}"
user_id = "{matrix_user}"
device_id = "BOTPROCESS"
store_path = "{store}"
"""


class BotProcess:
    def __init__(
        self,
        work_dir: Path,
        database: Path,
        telegram_url: str,
        telegram_token: str,
        *,
        homeserver: str = "",
        matrix_user: str = "",
        matrix_password: str = "",
    ) -> None:
        self.work_dir = work_dir
        self.config = work_dir / "sejabot.toml"
        self.config.write_text(
            CONFIG.format(
                database=database,
                telegram_url=telegram_url,
                matrix_enabled=str(bool(homeserver)).lower(),
                homeserver=homeserver or "https://unused.example",
                matrix_user=matrix_user or "@unused:unused.example",
                store=work_dir / "matrix-store",
            ),
            encoding="utf-8",
        )
        self._environment = {
            **os.environ,
            "SEJABOT_TELEGRAM_TOKEN": telegram_token,
            "SEJABOT_MATRIX_PASSWORD": matrix_password,
        }
        self._transports = 2 if homeserver else 1
        self.process: asyncio.subprocess.Process | None = None
        self.log = work_dir / "bot.log"

    async def start(self, ready_marker: str = "transport running", timeout: float = 60.0) -> None:
        # Only what this start writes counts: a restart appends to the same log.
        offset = self.log.stat().st_size if self.log.exists() else 0
        log = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(self.config),
            "run",
            stdout=log,
            stderr=log,
            env=self._environment,
            cwd=self.work_dir,
        )
        log.close()
        expected = self._transports
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._log_since(offset).count(ready_marker) < expected:
            if self.process.returncode is not None or loop.time() > deadline:
                raise RuntimeError(
                    f"the bot did not start:\n{self.log.read_text(errors='replace')[-3000:]}"
                )
            await asyncio.sleep(0.05)

    def _log_since(self, offset: int) -> str:
        with self.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def peak_memory_kib(self) -> int:
        """The process's peak resident set size (VmHWM), read from /proc."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("VmHWM not found")

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a power cut would do."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0
