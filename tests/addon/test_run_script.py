"""The app's s6 scripts, run for real with stand-ins for bashio and the server.

The run script must give the server one flag per option (the keys in its environment),
download the Piper voice first without letting a failed download stop the app, and exec
the server so that it is the service's process.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .app import (
    DISCOVERY_SCRIPT,
    FINISH_SCRIPT,
    RUN_SCRIPT,
    SCRIPT_TIMEOUT,
    STANDINS,
    ScriptRun,
    app_config,
    flag_values,
    require_tools,
    run_app_script,
    supervisor_options,
)

HAMSA_KEY = "hamsa-secret-0123456789abcdef"
FASEEH_KEY = "faseeh-secret-fedcba9876543210"
UUIDS = ["123e4567-e89b-12d3-a456-426614174000", "00000000-1111-4222-8333-444444444444"]

# Every option, the flag it becomes, and a value unlike its default. The keys and the
# list are tested on their own below; together they must cover the whole schema.
VALUE_OPTIONS: dict[str, tuple[str, Any, str]] = {
    "faseeh_region": ("--faseeh-region", "uae", "uae"),
    "faseeh_transport": ("--faseeh-transport", "rest", "rest"),
    "faseeh_dialect": ("--faseeh-dialect", "fusha", "fusha"),
    "faseeh_model": ("--faseeh-model", "faseeh-mini-v1-preview", "faseeh-mini-v1-preview"),
    "piper_voice": ("--piper-voice", "ar_JO-kareem-low", "ar_JO-kareem-low"),
    "fallback": ("--fallback", "none", "none"),
    "fallback_voice": ("--fallback-voice", "faseeh-ar-najdi-male-2", "faseeh-ar-najdi-male-2"),
    "first_audio_deadline": ("--first-audio-deadline", "1.25", "1.25"),
    "stall_timeout": ("--stall-timeout", 2.5, "2.5"),
    "lexicon": ("--lexicon", "/config/arabic_tts/lexicon.txt", "/config/arabic_tts/lexicon.txt"),
    "hamsa_text": ("--hamsa-text", "markup,words,numbers", "markup,words,numbers"),
    "faseeh_text": ("--faseeh-text", "none", "none"),
    "offline_text": ("--offline-text", "markup,numbers", "markup,numbers"),
    "hamsa_url": ("--hamsa-url", "wss://hamsa.example/ws", "wss://hamsa.example/ws"),
    "hamsa_api_url": ("--hamsa-api-url", "https://hamsa.example", "https://hamsa.example"),
    "faseeh_url": ("--faseeh-url", "wss://api.munsit.com/ws", "wss://api.munsit.com/ws"),
    "faseeh_api_url": (
        "--faseeh-api-url",
        "https://api.munsit.com/api/v1",
        "https://api.munsit.com/api/v1",
    ),
}
OTHER_OPTIONS = {"hamsa_api_key", "faseeh_api_key", "custom_voices", "debug"}
DEFAULT_ARGV = [
    "--uri",
    "tcp://0.0.0.0:10200",
    "--data-dir",
    "/data",
    "--faseeh-region",
    "global",
    "--faseeh-transport",
    "auto",
    "--faseeh-dialect",
    "auto",
    "--piper-voice",
    "ar_JO-kareem-medium",
    "--fallback",
    "offline",
]


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tools("bash", "jq")


def without_flag(argv: list[str], flag: str) -> list[str]:
    """argv less every ``flag VALUE`` pair."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == flag:
            skip = True
        else:
            kept.append(arg)
    return kept


def run(tmp_path: Path, **changes: Any) -> ScriptRun:
    result = run_app_script(RUN_SCRIPT, tmp_path, supervisor_options(**changes))
    assert result.returncode == 0, result.output
    return result


def test_every_option_is_mapped() -> None:
    assert set(VALUE_OPTIONS) | OTHER_OPTIONS == set(app_config()["schema"])


def test_the_defaults_start_the_server_with_its_fixed_flags(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.server["argv"] == DEFAULT_ARGV
    assert result.server["env"] == {"HAMSA_API_KEY": "<unset>", "FASEEH_API_KEY": "<unset>"}
    # exec: the server is the service's own process (s6 signals reach it, and its exit
    # code reaches the finish script), not a child of the script.
    assert result.server["pid"] == result.pid


@pytest.fixture(scope="module")
def default_argv(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    argv: list[str] = run(tmp_path_factory.mktemp("defaults")).server["argv"]
    return argv


@pytest.mark.parametrize("option", list(VALUE_OPTIONS))
def test_an_option_becomes_its_flag(tmp_path: Path, default_argv: list[str], option: str) -> None:
    flag, value, expected = VALUE_OPTIONS[option]
    default = app_config()["options"].get(option)
    assert flag_values(default_argv, flag) == ([] if default is None else [default])
    argv = run(tmp_path, **{option: value}).server["argv"]
    assert flag_values(argv, flag) == [expected]
    # Nothing else changed.
    assert without_flag(argv, flag) == without_flag(default_argv, flag)


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_optional_option_gives_no_flag(tmp_path: Path, empty: str | None) -> None:
    argv = run(tmp_path, fallback_voice=empty, lexicon=None).server["argv"]
    assert "--fallback-voice" not in argv
    assert "--lexicon" not in argv


def test_the_keys_reach_the_server_only_through_its_environment(tmp_path: Path) -> None:
    result = run(tmp_path, hamsa_api_key=HAMSA_KEY, faseeh_api_key=FASEEH_KEY, debug=True)
    assert result.server["env"] == {"HAMSA_API_KEY": HAMSA_KEY, "FASEEH_API_KEY": FASEEH_KEY}
    everything = json.dumps([call["argv"] for call in result.calls]) + result.output
    for key in (HAMSA_KEY, FASEEH_KEY):
        assert key not in everything
    assert "--hamsa-api-key" not in result.server["argv"]
    assert "--faseeh-api-key" not in result.server["argv"]


def test_one_key_alone(tmp_path: Path) -> None:
    result = run(tmp_path, faseeh_api_key=FASEEH_KEY)
    assert result.server["env"] == {"HAMSA_API_KEY": "<unset>", "FASEEH_API_KEY": FASEEH_KEY}


def test_each_custom_voice_is_one_flag_in_order(tmp_path: Path) -> None:
    argv = run(tmp_path, hamsa_api_key=HAMSA_KEY, custom_voices=UUIDS).server["argv"]
    assert flag_values(argv, "--custom-voice") == UUIDS
    assert argv.count("--custom-voice") == 2


def test_no_custom_voice_no_flag(tmp_path: Path) -> None:
    assert "--custom-voice" not in run(tmp_path, custom_voices=[]).server["argv"]


def test_debug(tmp_path: Path) -> None:
    assert run(tmp_path / "on", debug=True).server["argv"][-1] == "--debug"
    assert "--debug" not in run(tmp_path / "off", debug=False).server["argv"]


def test_a_value_stays_one_argument_whatever_its_characters(tmp_path: Path) -> None:
    lexicon = "/share/my lexicon $HOME *.txt"
    voice = "/share/piper/صوت *.onnx"
    argv = run(tmp_path, lexicon=lexicon, piper_voice=voice).server["argv"]
    assert flag_values(argv, "--lexicon") == [lexicon]
    assert flag_values(argv, "--piper-voice") == [voice]


def test_the_piper_voice_is_downloaded_before_the_server_starts(tmp_path: Path) -> None:
    result = run(tmp_path, piper_voice="ar_JO-kareem-low")
    assert [call["argv"] for call in result.calls] == [
        ["download", "--data-dir", "/data", "ar_JO-kareem-low"],
        result.server["argv"],
    ]
    assert flag_values(result.server["argv"], "--data-dir") == ["/data"]


@pytest.mark.parametrize("voice", ["none", "/share/piper/ar_SA-voice-medium.onnx"])
def test_no_download_for_no_piper_or_a_file_of_ones_own(tmp_path: Path, voice: str) -> None:
    result = run(tmp_path, piper_voice=voice)
    assert result.downloads == []
    assert flag_values(result.server["argv"], "--piper-voice") == [voice]


def test_a_failed_download_is_logged_and_the_server_still_starts(tmp_path: Path) -> None:
    options = supervisor_options(hamsa_api_key=HAMSA_KEY)
    result = run_app_script(RUN_SCRIPT, tmp_path, options, env={"STANDIN_DOWNLOAD_EXIT": "1"})
    assert result.returncode == 0, result.output
    assert result.downloads == [["download", "--data-dir", "/data", "ar_JO-kareem-medium"]]
    assert result.server["argv"] == DEFAULT_ARGV
    assert result.server["env"]["HAMSA_API_KEY"] == HAMSA_KEY
    warning = next(line for line in result.output.splitlines() if line.startswith("WARNING:"))
    assert "ar_JO-kareem-medium could not be downloaded" in warning
    assert "espeak-ng" in warning


def test_the_script_is_a_bashio_script() -> None:
    for script in (RUN_SCRIPT, FINISH_SCRIPT, DISCOVERY_SCRIPT):
        assert script.read_text("utf-8").startswith("#!/command/with-contenv bashio\n"), script


# Discovery: Home Assistant is told where the server is once it answers Describe.


def _stand_in_bin(tmp_path: Path, failures: int) -> Path:
    """python3 (the health check: fails `failures` times), sleep and hostname."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "health-checks"
    (folder / "python3").write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$*" >>"{log}"\n'
        f'[[ $(wc -l <"{log}") -gt {failures} ]]\n',
        "utf-8",
    )
    (folder / "sleep").write_text("#!/usr/bin/env bash\nexit 0\n", "utf-8")
    (folder / "hostname").write_text("#!/usr/bin/env bash\necho 0c28933d-arabic-tts\n", "utf-8")
    for tool in folder.iterdir():
        tool.chmod(0o755)
    return folder


def test_discovery_waits_for_the_server_then_tells_home_assistant(tmp_path: Path) -> None:
    bin_folder = _stand_in_bin(tmp_path, failures=3)
    result = run_app_script(DISCOVERY_SCRIPT, tmp_path, supervisor_options(), extra_bin=bin_folder)
    assert result.returncode == 0, result.output
    checks = (tmp_path / "health-checks").read_text("utf-8").splitlines()
    assert checks == ["-m wyoming_server.health_check --uri tcp://127.0.0.1:10200"] * 4
    assert result.discoveries == [
        {"service": "wyoming", "config": {"uri": "tcp://0c28933d-arabic-tts:10200"}}
    ]
    assert "INFO: Home Assistant was told about the server" in result.output


def test_a_refused_discovery_is_an_error_in_the_log(tmp_path: Path) -> None:
    bin_folder = _stand_in_bin(tmp_path, failures=0)
    result = run_app_script(
        DISCOVERY_SCRIPT,
        tmp_path,
        supervisor_options(),
        env={"BASHIO_DISCOVERY_FAILS": "1"},
        extra_bin=bin_folder,
    )
    assert result.returncode == 0, result.output
    assert len(result.discoveries) == 1
    error = next(line for line in result.output.splitlines() if line.startswith("ERROR:"))
    assert "host 0c28933d-arabic-tts and port 10200" in error


# Finish: how the container ends when the server ends. s6-overlay's files live in /run,
# so each case runs in a private mount namespace with a tmpfs there.

FINISH_HARNESS = """
set -eu
mount -t tmpfs tmpfs /run
mkdir -p /run/s6-linux-init-container-results /run/s6/basedir/bin
echo "$EARLIER" >/run/s6-linux-init-container-results/exitcode
printf '#!/bin/sh\\necho halted >/run/halted\\n' >/run/s6/basedir/bin/halt
chmod +x /run/s6/basedir/bin/halt
"$BASHIO" "$FINISH" "$CODE" "$SIGNAL" >/dev/null
echo "exitcode=$(cat /run/s6-linux-init-container-results/exitcode)"
echo "halted=$(cat /run/halted 2>/dev/null || echo no)"
"""


@pytest.mark.parametrize(
    ("code", "signal", "earlier", "exit_code", "halted"),
    [
        ("2", "0", "0", "2", "halted"),  # refused its flags: stop, with its code
        ("0", "0", "0", "0", "no"),  # a clean exit: s6 starts it again
        ("256", "15", "0", "143", "halted"),  # SIGTERM: the container is stopping
        ("256", "9", "0", "137", "no"),  # killed: s6 starts it again
        ("1", "0", "2", "2", "halted"),  # the first failure's code stays
    ],
)
def test_the_finish_script_stops_the_container_when_the_server_fails(
    code: str, signal: str, earlier: str, exit_code: str, halted: str
) -> None:
    require_tools("unshare", "mount")
    process = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "bash", "-c", FINISH_HARNESS],
        env={
            "PATH": os.pathsep.join([str(STANDINS), os.environ.get("PATH", "/usr/bin:/bin")]),
            "BASHIO": str(STANDINS / "bashio"),
            "FINISH": str(FINISH_SCRIPT),
            "CODE": code,
            "SIGNAL": signal,
            "EARLIER": earlier,
            "BASHIO_OPTIONS": "/dev/null",
        },
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.split() == [f"exitcode={exit_code}", f"halted={halted}"]
