"""A real Home Assistant of the newest supported release, run in the Python 3.14 root.

The configuration folder lives in this checkout (``.ui-check/``), which the root sees at
``/src``; Home Assistant runs with ``--skip-pip`` (everything it needs was installed by
``script/setup --ui``), so it never reaches for the network. Two files of ``.storage/``
are written before the first start, as Home Assistant itself would after a first run:
onboarding with every step but the user done (the owner is then made through the
onboarding API, as the frontend does), and the HTTP settings (Home Assistant 2026.11 keeps
them in storage and turns YAML into a trial configuration awaiting confirmation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
IN_ROOT = Path("/src")  # where script/ha-current shows this checkout
UI_PYTHON = "/opt/ui-venv/bin/python"  # made by script/setup --ui
OWNER = {"name": "Owner", "username": "owner", "password": "ui-check-owner-password"}
# Generous bounds that only stop a hang: Home Assistant starts in 10-60 s on a busy machine.
START_TIMEOUT = 240.0
STOP_TIMEOUT = 60.0

CONFIGURATION = """\
homeassistant:
  name: Home
  latitude: 24.7136
  longitude: 46.6753
  elevation: 612
  unit_system: metric
  time_zone: Asia/Riyadh
  country: SA
  currency: SAR
  language: {language}
frontend:
config:
diagnostics:
repairs:
tts:
# Every real installation has the recorder (default_config): the frontend asks it for its
# state on every page, and a rejected "recorder/info" escapes it now and then.
recorder:
logger:
  default: info
# The kitchen speaker: a media player that hands what tts.speak asks it to play to the
# check (an event), which then fetches the audio as a network speaker would (kitchen.py).
template:
  - media_player:
      - name: Kitchen
        unique_id: ui_check_kitchen
        play_media:
          - event: ui_check_kitchen_play
            event_data:
              media_content_id: "{{{{ media_content_id }}}}"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class HomeAssistant:
    """One Home Assistant process with a fresh configuration folder."""

    folder: Path  # inside this checkout
    language: str
    ca_file: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.folder / "config"

    def _in_root(self, path: Path) -> str:
        return str(IN_ROOT / path.resolve().relative_to(ROOT))

    def prepare(self) -> None:
        """A new configuration folder with the integration copied in."""
        shutil.rmtree(self.config, ignore_errors=True)
        storage = self.config / ".storage"
        storage.mkdir(parents=True)
        shutil.copytree(
            ROOT / "custom_components" / "arabic_tts",
            self.config / "custom_components" / "arabic_tts",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        (self.config / "configuration.yaml").write_text(
            CONFIGURATION.format(language=self.language), "utf-8"
        )
        # Every onboarding step but the owner's, which start() makes through the API.
        done = ["core_config", "analytics", "integration"]
        _write_store(storage, "onboarding", 4, {"done": done})
        _write_store(
            storage,
            "http",
            3,
            {
                "stable": {
                    "server_port": self.port,
                    "server_host": ["127.0.0.1"],
                    "cors_allowed_origins": [],
                    "login_attempts_threshold": -1,
                    "ip_ban_enabled": True,
                    "ssl_profile": "intermediate_v6",
                    "use_x_frame_options": True,
                    "created_at": "2026-01-01T00:00:00+00:00",
                    "error": None,
                    "error_message": None,
                },
                "pending": None,
                "yaml_migration_done": True,
            },
        )

    async def start(self) -> None:
        """Start ``hass`` and wait until it runs; then make the owner (onboarding API)."""
        log = (self.folder / "hass.out").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            str(ROOT / "script" / "ha-current"),
            UI_PYTHON,
            "-m",
            "homeassistant",
            "--config",
            self._in_root(self.config),
            "--skip-pip",
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "REQUESTS_CA_BUNDLE": self._in_root(self.ca_file)},
        )
        log.close()
        async with asyncio.timeout(START_TIMEOUT), aiohttp.ClientSession() as session:
            while not await self._answers(session):
                if self.process.returncode is not None:
                    raise RuntimeError(f"Home Assistant ended: see {self.folder / 'hass.out'}")
                await asyncio.sleep(0.5)
            self.token = await self._onboard(session)
            # Another process: nothing to wait on but its answers.
            while (await self.api(session, "GET", "/api/config"))["state"] != "RUNNING":  # noqa: ASYNC110
                await asyncio.sleep(0.5)

    async def _answers(self, session: aiohttp.ClientSession) -> bool:
        try:
            async with session.get(f"{self.url}/api/onboarding") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def _onboard(self, session: aiohttp.ClientSession) -> str:
        """The owner, as the onboarding screen makes it; returns an access token."""
        client_id = f"{self.url}/"
        async with session.post(
            f"{self.url}/api/onboarding/users",
            json={**OWNER, "client_id": client_id, "language": self.language},
        ) as response:
            response.raise_for_status()
            code = (await response.json())["auth_code"]
        async with session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
        ) as response:
            response.raise_for_status()
            return str((await response.json())["access_token"])

    async def api(
        self, session: aiohttp.ClientSession, method: str, path: str, body: Any = None
    ) -> Any:
        async with session.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def stop(self) -> None:
        """SIGTERM, as ``docker stop`` or systemd would; Home Assistant saves and ends."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await self.process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()

    def entries(self) -> list[dict[str, Any]]:
        """Our config entries as Home Assistant stored them (``core.config_entries``)."""
        path = self.config / ".storage" / "core.config_entries"
        if not path.exists():
            return []
        stored = json.loads(path.read_text("utf-8"))
        return [e for e in stored["data"]["entries"] if e["domain"] == "arabic_tts"]

    def log_lines(self) -> list[str]:
        path = self.config / "home-assistant.log"
        return path.read_text("utf-8", errors="replace").splitlines() if path.exists() else []


def _write_store(storage: Path, key: str, version: int, data: dict[str, Any]) -> None:
    document = {"version": version, "minor_version": 1, "key": key, "data": data}
    (storage / key).write_text(json.dumps(document, indent=2), "utf-8")
