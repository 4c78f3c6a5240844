"""The app's files as the Supervisor sees them, and its scripts run with stand-ins.

The scripts run for real (bash, jq) with stand-ins on PATH for what only the container
has: bashio (``standins/bashio`` and ``standins/lib.sh``) and the server's console script
(``standins/wyoming-arabic-tts``, which records how it was called).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .supervisor_rules import AppOptions

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "addon"
STANDINS = Path(__file__).resolve().parent / "standins"
S6 = APP / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d"
RUN_SCRIPT = S6 / "arabic_tts" / "run"
FINISH_SCRIPT = S6 / "arabic_tts" / "finish"
DISCOVERY_SCRIPT = S6 / "discovery" / "run"
SCRIPT_TIMEOUT = 60  # seconds; only bounds a hang


def load_yaml(path: Path) -> Any:
    """YAML as the Supervisor reads it (SafeLoader: supervisor/utils/yaml.py:19-31)."""
    return yaml.safe_load(path.read_text("utf-8"))


def app_config() -> dict[str, Any]:
    config: dict[str, Any] = load_yaml(APP / "config.yaml")
    return config


def repository_tree() -> list[str]:
    """The files a clone of this repository holds (and new ones not yet committed)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=SCRIPT_TIMEOUT,
    ).stdout.decode()
    return sorted(path for path in listing.split("\0") if path and (ROOT / path).is_file())


def supervisor_options(**changes: Any) -> dict[str, Any]:
    """What the Supervisor hands the app: its defaults with the user's changes, validated.

    A change of None removes the option (an optional option the user left empty).
    """
    config = app_config()
    options = {**config["options"], **changes}
    options = {key: value for key, value in options.items() if value is not None}
    return AppOptions(config["schema"])(options)


@dataclass
class ScriptRun:
    """What one run of an app script did."""

    returncode: int
    pid: int
    output: str
    calls: list[dict[str, Any]]  # the stand-in server's runs, in order
    discoveries: list[dict[str, Any]]

    @property
    def server(self) -> dict[str, Any]:
        """The run that is not ``download``: the server the script exec'd."""
        servers = [call for call in self.calls if call["argv"][:1] != ["download"]]
        assert len(servers) == 1, self.calls
        return servers[0]

    @property
    def downloads(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls if call["argv"][:1] == ["download"]]


def run_app_script(
    script: Path,
    tmp_path: Path,
    options: dict[str, Any],
    *args: str,
    env: dict[str, str] | None = None,
    extra_bin: Path | None = None,
) -> ScriptRun:
    """Run an s6 script the way its ``#!/command/with-contenv bashio`` line does."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    options_file = tmp_path / "options.json"
    options_file.write_text(json.dumps(options), "utf-8")
    record = tmp_path / "server-calls.jsonl"
    discoveries = tmp_path / "discoveries.jsonl"
    path = [str(STANDINS), os.environ.get("PATH", "/usr/bin:/bin")]
    if extra_bin is not None:
        path.insert(0, str(extra_bin))
    process = subprocess.Popen(
        [str(STANDINS / "bashio"), str(script), *args],
        env={
            "PATH": os.pathsep.join(path),
            "LANG": "C.UTF-8",
            "BASHIO_OPTIONS": str(options_file),
            "BASHIO_RECORD": str(discoveries),
            "STANDIN_RECORD": str(record),
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, _ = process.communicate(timeout=SCRIPT_TIMEOUT)
    return ScriptRun(
        returncode=process.returncode,
        pid=process.pid,
        output=output,
        calls=_json_lines(record),
        discoveries=_json_lines(discoveries),
    )


def _json_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def flag_values(argv: list[str], flag: str) -> list[str]:
    """Every value given after ``flag`` in ``argv``."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


def require_tools(*names: str) -> None:
    """Fail with a clear message when a tool the scripts need is missing here."""
    missing = [name for name in names if shutil.which(name) is None]
    assert not missing, (
        f"these tests need {', '.join(missing)} (apt-get install {' '.join(missing)})"
    )
