"""Every flag the run script can give is one the server's own parser accepts.

The argv comes from running the real run script (test_run_script.py's stand-ins); the
parser is ``wyoming_server.__main__.parse_args``, the server's, with the keys in the
environment as the script leaves them. Flags added by other work are tested here before
it lands: ``--data-dir`` and ``--piper-voice`` and the ``download`` command (the Piper
engine), ``--first-audio-deadline`` and ``--stall-timeout`` (the time budget),
``--lexicon`` (the text front-end).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wyoming_server.__main__ import parse_args

from .app import ROOT, RUN_SCRIPT, SCRIPT_TIMEOUT, require_tools, run_app_script, supervisor_options
from .test_run_script import FASEEH_KEY, HAMSA_KEY, UUIDS, VALUE_OPTIONS, flag_values


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tools("bash", "jq")


def script_argv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes: Any) -> list[str]:
    """The server's argv from the run script; its environment applied to this process."""
    result = run_app_script(RUN_SCRIPT, tmp_path, supervisor_options(**changes))
    assert result.returncode == 0, result.output
    for name, value in result.server["env"].items():
        if value == "<unset>":
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    argv: list[str] = result.server["argv"]
    return argv


def test_the_default_command_line_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = parse_args(script_argv(tmp_path, monkeypatch))
    assert args.uri == "tcp://0.0.0.0:10200"
    assert str(args.data_dir) == "/data"
    assert str(args.piper_voice) == "ar_JO-kareem-medium"
    assert args.fallback == "offline"
    assert args.hamsa_api_key is None
    assert args.faseeh_api_key is None


def test_the_keys_reach_the_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = script_argv(
        tmp_path,
        monkeypatch,
        hamsa_api_key=HAMSA_KEY,
        faseeh_api_key=FASEEH_KEY,
        custom_voices=UUIDS,
        debug=True,
    )
    args = parse_args(argv)
    assert args.hamsa_api_key == HAMSA_KEY
    assert args.faseeh_api_key == FASEEH_KEY
    assert args.custom_voice == UUIDS
    assert args.debug is True


@pytest.mark.parametrize("option", list(VALUE_OPTIONS))
def test_each_option_flag_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    flag, value, expected = VALUE_OPTIONS[option]
    given = flag_values(script_argv(tmp_path / "run", monkeypatch, **{option: value}), flag)
    assert given == [expected]
    if option == "lexicon":  # the app's /config/… is a file in tmp_path here
        expected = str(tmp_path / "lexicon.txt")
        Path(expected).write_text("", "utf-8")
    # This flag alone, so a flag still missing from the parser fails only its own case.
    args = parse_args([flag, expected])
    parsed = getattr(args, flag.removeprefix("--").replace("-", "_"))
    if isinstance(parsed, float):
        assert parsed == float(expected)
    elif hasattr(parsed, "describe"):  # text steps
        assert parsed.describe() == expected
    else:
        assert str(parsed) == expected


def test_a_household_configuration_is_accepted_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("", "utf-8")
    argv = script_argv(
        tmp_path / "run",
        monkeypatch,
        hamsa_api_key=HAMSA_KEY,
        faseeh_api_key=FASEEH_KEY,
        faseeh_region="uae",
        faseeh_transport="auto",
        faseeh_dialect="emirati",
        custom_voices=UUIDS,
        fallback_voice="faseeh-ar-najdi-male-2",
        first_audio_deadline=1.5,
        stall_timeout=2.5,
        lexicon=f"/share/{lexicon.name}",
        debug=True,
    )
    # The app reads the lexicon at /share; here the file is in tmp_path.
    argv[argv.index("--lexicon") + 1] = str(lexicon)
    args = parse_args(argv)
    assert args.faseeh_region == "uae"
    assert args.faseeh_dialect == "emirati"
    assert args.first_audio_deadline == 1.5
    assert args.stall_timeout == 2.5
    assert str(args.lexicon) == str(lexicon)


def test_the_download_command_takes_the_scripts_arguments() -> None:
    # `wyoming-arabic-tts download --data-dir /data NAME`, as the run script calls it.
    process = subprocess.run(
        [sys.executable, "-m", "wyoming_server", "download", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    usage = " ".join(process.stdout.split("\n\n")[0].split())
    # The download command's own usage, not the server's (which has --data-dir too).
    assert usage.startswith("usage: wyoming-arabic-tts download "), usage
    assert "--data-dir DIR" in usage
    assert "NAME" in usage


@pytest.mark.usefixtures("socket_enabled")
def test_the_discovery_scripts_health_check_takes_its_arguments(unused_tcp_port: int) -> None:
    # As the discovery script runs it, against a port where nothing listens: the check
    # runs and says unhealthy (1), where a usage error would be 2.
    uri = f"tcp://127.0.0.1:{unused_tcp_port}"
    process = subprocess.run(
        [sys.executable, "-m", "wyoming_server.health_check", "--uri", uri],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert process.returncode == 1, process.stderr
    assert process.stderr.startswith("unhealthy:")
