"""A real Synapse homeserver on 127.0.0.1, run as a child process from its own virtualenv.

Used by the end-to-end tests and by the bot's demo mode, so it has no pytest dependency.
The demo uses it to bring up a homeserver a person can try the bot on; production points
the bot at a real homeserver instead.

    async with SynapseServer(work_dir) as server:
        user_id = await server.register_user("alice", "secret")
        ... talk to server.base_url ...

Synapse comes from a separate virtualenv (``make synapse``) so its pins never fight the bot's.
The server writes its own homeserver.yaml into the work directory: sqlite database, one
client listener on a free loopback port, no federation, no presence, rate limits raised far
beyond anything the tests do, and cheap password hashing (tests register dozens of users).
All state lives in the work directory, so :meth:`SynapseServer.restart` (or a new instance on
the same directory) keeps users, rooms and media.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import signal
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SYNAPSE_VENV_ENV = "SEJABOT_SYNAPSE_VENV"
DEFAULT_SYNAPSE_VENV = REPO_ROOT / ".venv-synapse"

CONFIG_FILE = "homeserver.yaml"
LOG_CONFIG_FILE = "log.config"
LOG_FILE = "homeserver.log"
# Synapse writes here before its logging is configured (config errors, import errors).
CONSOLE_FILE = "console.log"
SIGNING_KEY_FILE = "signing.key"
DATABASE_FILE = "homeserver.db"
MEDIA_DIR = "media_store"

# Far above anything a test or the demo does, so no request ever meets a 429.
_GENEROUS_LIMIT: dict[str, float] = {"per_second": 10_000, "burst_count": 100_000}
_RATE_LIMIT_KEYS = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_admin_redaction",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)
_NESTED_RATE_LIMIT_KEYS = {
    "rc_login": ("address", "account", "failed_attempts"),
    "rc_joins": ("local", "remote"),
    "rc_invites": ("per_room", "per_user", "per_issuer"),
    "rc_presence": ("per_user",),
}


class SynapseError(RuntimeError):
    """Synapse could not be found, started, stopped or asked to do something."""


def default_synapse_venv() -> Path:
    """The Synapse virtualenv: $SEJABOT_SYNAPSE_VENV, else <repo>/.venv-synapse."""
    configured = os.environ.get(SYNAPSE_VENV_ENV)
    return Path(configured) if configured else DEFAULT_SYNAPSE_VENV


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def generate_signing_key() -> str:
    """A Synapse signing key line: algorithm, key version, unpadded base64 of an ed25519 seed.

    This is the format synapse's own ``generate_signing_key`` writes; the seed is plain random
    bytes, so no crypto library from the Synapse virtualenv (and no extra interpreter start) is
    needed.
    """
    version = "a_" + secrets.token_hex(2)
    seed = base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    return f"ed25519 {version} {seed}\n"


def registration_mac(
    shared_secret: str, nonce: str, localpart: str, password: str, admin: bool
) -> str:
    """HMAC-SHA1 that the shared-secret registration admin API expects."""
    mac = hmac.new(shared_secret.encode("utf-8"), digestmod=hashlib.sha1)
    for index, part in enumerate((nonce, localpart, password, "admin" if admin else "notadmin")):
        if index:
            mac.update(b"\x00")
        mac.update(part.encode("utf-8"))
    return mac.hexdigest()


# Runs the homeserver module like `python -m synapse.app.homeserver`, after asking Linux to
# kill it when its parent dies, so a crashed or killed test run never leaves a homeserver
# behind. (Done in the child itself: a preexec_fn is unsafe once the parent has threads.)
_LAUNCHER = """
import ctypes, runpy, signal
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
runpy.run_module("synapse.app.homeserver", run_name="__main__", alter_sys=True)
"""


def _tail(path: Path, max_lines: int = 40) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path.name} does not exist)"
    return "\n".join(lines[-max_lines:]) or f"({path.name} is empty)"


class SynapseServer:
    """One Synapse homeserver process bound to 127.0.0.1, with all state in ``work_dir``."""

    def __init__(
        self,
        work_dir: Path | str,
        synapse_venv: Path | str | None = None,
        *,
        server_name: str = "localhost",
        host: str = "127.0.0.1",
        startup_timeout: float = 60.0,
        shutdown_timeout: float = 10.0,
        extra_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.work_dir = Path(work_dir).resolve()
        self.synapse_venv = Path(synapse_venv) if synapse_venv else default_synapse_venv()
        self.server_name = server_name
        self.host = host
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self.extra_config = dict(extra_config or {})
        self.port: int | None = None
        self.last_start_seconds: float | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._console: Any = None
        self._registration_secret: str | None = None
        self._http: aiohttp.ClientSession | None = None

    # ----------------------------------------------------------------- properties

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise SynapseError("Synapse has not been started, so it has no address yet.")
        return f"http://{self.host}:{self.port}"

    @property
    def python(self) -> Path:
        return self.synapse_venv / "bin" / "python"

    @property
    def config_path(self) -> Path:
        return self.work_dir / CONFIG_FILE

    @property
    def log_path(self) -> Path:
        return self.work_dir / LOG_FILE

    @property
    def console_path(self) -> Path:
        return self.work_dir / CONSOLE_FILE

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Write the configuration, start Synapse and wait until the client API answers."""
        if self.running:
            raise SynapseError("Synapse is already running.")
        self._check_venv()
        began = time.monotonic()
        if self.port is None:
            self.port = find_free_port(self.host)
        await asyncio.to_thread(self._prepare_work_dir)
        self._console = await asyncio.to_thread(self.console_path.open, "ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                str(self.python),
                "-c",
                _LAUNCHER,
                "--config-path",
                str(self.config_path),
                cwd=self.work_dir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=self._console,
                stderr=asyncio.subprocess.STDOUT,
            )
            await self._wait_until_ready()
        except BaseException:
            await self.stop()
            raise
        self.last_start_seconds = time.monotonic() - began

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if Synapse has not exited within ``shutdown_timeout``."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), self.shutdown_timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._console is not None:
            self._console.close()
            self._console = None

    async def restart(self) -> None:
        """Stop and start again on the same port with the same data."""
        await self.stop()
        await self.start()

    # --------------------------------------------------------------- registration

    async def register_user(self, localpart: str, password: str, admin: bool = False) -> str:
        """Create an account through the shared-secret admin API; returns the user id.

        This is what ``register_new_matrix_user`` does over HTTP, without starting a Python
        interpreter per user (about 20 times faster, which matters for tests with dozens of
        users). :meth:`register_user_with_script` runs the documented script itself.
        """
        http = await self._session()
        register_url = f"{self.base_url}/_synapse/admin/v1/register"
        async with http.get(register_url) as response:
            nonce_body = await self._json_or_raise(response, "get a registration nonce")
        body = {
            "nonce": nonce_body["nonce"],
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": registration_mac(
                self._shared_secret(), nonce_body["nonce"], localpart, password, admin
            ),
        }
        async with http.post(register_url, json=body) as response:
            registered = await self._json_or_raise(response, f"register {localpart!r}")
        return str(registered["user_id"])

    async def register_user_with_script(
        self, localpart: str, password: str, admin: bool = False
    ) -> str:
        """Create an account with Synapse's ``register_new_matrix_user``; returns the user id."""
        script = self.synapse_venv / "bin" / "register_new_matrix_user"
        # The password goes through a private file so it never shows in the process list.
        password_file = self.work_dir / f".password-{secrets.token_hex(8)}"
        await asyncio.to_thread(self._write_private, password_file, password)
        try:
            process = await asyncio.create_subprocess_exec(
                str(script),
                "--user",
                localpart,
                "--password-file",
                str(password_file),
                "--admin" if admin else "--no-admin",
                "--config",
                str(self.config_path),
                self.base_url,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await process.communicate()
        finally:
            await asyncio.to_thread(password_file.unlink, missing_ok=True)
        if process.returncode != 0:
            raise SynapseError(
                f"register_new_matrix_user failed for {localpart!r} "
                f"(exit {process.returncode}): {output.decode(errors='replace').strip()}"
            )
        return self.user_id(localpart)

    # ------------------------------------------------------------------ internals

    def _check_venv(self) -> None:
        if not self.python.is_file():
            raise SynapseError(
                f"No Synapse virtualenv at {self.synapse_venv} (set {SYNAPSE_VENV_ENV} or "
                f"run `make synapse` in {REPO_ROOT} to create it)."
            )

    def _shared_secret(self) -> str:
        if self._registration_secret is None:
            raise SynapseError("Synapse has not been configured yet; call start() first.")
        return self._registration_secret

    def _prepare_work_dir(self) -> None:
        """Create the directory layout and (re)write the configuration; keeps existing data."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / MEDIA_DIR).mkdir(exist_ok=True)
        signing_key = self.work_dir / SIGNING_KEY_FILE
        if not signing_key.exists():
            self._write_private(signing_key, generate_signing_key())
        secrets_in_use = self._existing_secrets()
        self._registration_secret = secrets_in_use["registration_shared_secret"]
        (self.work_dir / LOG_CONFIG_FILE).write_text(
            yaml.safe_dump(self._log_config(), sort_keys=False), encoding="utf-8"
        )
        config = self._homeserver_config(secrets_in_use)
        self._write_private(self.config_path, yaml.safe_dump(config, sort_keys=False))

    def _existing_secrets(self) -> dict[str, str]:
        """Secrets of an earlier run in this directory, or new ones."""
        names = ("registration_shared_secret", "macaroon_secret_key", "form_secret")
        previous: dict[str, Any] = {}
        if self.config_path.exists():
            previous = yaml.safe_load(self.config_path.read_text(encoding="utf-8")) or {}
        return {name: str(previous.get(name) or secrets.token_urlsafe(32)) for name in names}

    def _homeserver_config(self, secrets_in_use: Mapping[str, str]) -> dict[str, Any]:
        work = self.work_dir
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": f"{self.base_url}/",
            "pid_file": str(work / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": [self.host],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(work / DATABASE_FILE)},
            },
            "log_config": str(work / LOG_CONFIG_FILE),
            "media_store_path": str(work / MEDIA_DIR),
            "signing_key_path": str(work / SIGNING_KEY_FILE),
            **secrets_in_use,
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            # No federation: nobody to fetch keys from, and no warning about it.
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            # bcrypt's default of 12 rounds costs ~0.25 s per registration and per login.
            "bcrypt_rounds": 4,
            **self._rate_limits(),
        }
        config.update(self.extra_config)
        return config

    @staticmethod
    def _rate_limits() -> dict[str, Any]:
        limits: dict[str, Any] = {key: dict(_GENEROUS_LIMIT) for key in _RATE_LIMIT_KEYS}
        for key, parts in _NESTED_RATE_LIMIT_KEYS.items():
            limits[key] = {part: dict(_GENEROUS_LIMIT) for part in parts}
        limits["rc_federation"] = {
            "window_size": 1000,
            "sleep_limit": 10_000,
            "sleep_delay": 0,
            "reject_limit": 100_000,
            "concurrent": 1000,
        }
        return limits

    def _log_config(self) -> dict[str, Any]:
        return {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s"
                }
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "encoding": "utf8",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }

    @staticmethod
    def _write_private(path: Path, text: str) -> None:
        """Write a file only the owner can read (it holds secrets)."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)

    async def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._http

    @staticmethod
    async def _json_or_raise(response: aiohttp.ClientResponse, action: str) -> dict[str, Any]:
        text = await response.text()
        if response.status != 200:
            raise SynapseError(f"Synapse refused to {action}: HTTP {response.status} {text}")
        body: dict[str, Any] = await response.json(content_type=None)
        return body

    async def _wait_until_ready(self) -> None:
        """Poll /_matrix/client/versions until it answers, the process dies or time runs out."""
        assert self._process is not None
        versions_url = f"{self.base_url}/_matrix/client/versions"
        deadline = time.monotonic() + self.startup_timeout
        http = await self._session()
        while True:
            if self._process.returncode is not None:
                raise SynapseError(
                    f"Synapse exited with code {self._process.returncode} while starting.\n"
                    + await asyncio.to_thread(self._log_tails)
                )
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(
                    versions_url, timeout=aiohttp.ClientTimeout(total=2)
                ) as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise SynapseError(
                    f"Synapse did not answer {versions_url} within {self.startup_timeout:.0f} s.\n"
                    + await asyncio.to_thread(self._log_tails)
                )
            await asyncio.sleep(0.05)

    def _log_tails(self) -> str:
        return (
            f"--- {self.console_path}\n{_tail(self.console_path)}\n"
            f"--- {self.log_path}\n{_tail(self.log_path)}"
        )
