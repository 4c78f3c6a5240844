"""Command line, logging redaction, zeroconf wiring and the container health check."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest
from wyoming.server import AsyncTcpServer

from wyoming_server import __main__ as cli
from wyoming_server.limits import ServerLimits
from wyoming_server.logs import REDACTED, RedactingFilter
from wyoming_server.probe import cli as probe_cli

from .conftest import REPO_ROOT, ServerProcess, free_port

pytestmark = pytest.mark.usefixtures("socket_enabled")

UUID = "3f2b8c1e-9a4d-4e6f-8b2a-1c5d7e9f0a3b"


@pytest.fixture(autouse=True)
def _no_keys_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAMSA_API_KEY", raising=False)
    monkeypatch.delenv("FASEEH_API_KEY", raising=False)


def _espeak(monkeypatch: pytest.MonkeyPatch, *, installed: bool) -> None:
    """Pretend espeak-ng is (not) installed, whatever this machine has."""
    monkeypatch.setattr(cli, "espeak_available", lambda: installed)


def test_defaults_match_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMSA_API_KEY", "from-env")
    _espeak(monkeypatch, installed=True)
    args = cli.parse_args([])
    assert args.uri == "tcp://0.0.0.0:10200"
    assert args.hamsa_api_key == "from-env"
    assert args.faseeh_api_key is None
    assert args.hamsa_url == "wss://api.tryhamsa.com/v1/realtime/ws"
    assert args.hamsa_api_url == "https://api.tryhamsa.com"
    assert args.faseeh_url == "wss://api.faseeh.ai/api/v1/websocket/text-to-speech"
    assert args.faseeh_api_url == "https://api.faseeh.ai/api/v1"
    # faseeh-v1-preview: every current vendor client's default (issue 9); mini stays valid.
    assert args.faseeh_model == "faseeh-v1-preview"
    assert args.faseeh_region == "global"
    assert args.faseeh_transport == "auto"
    assert args.faseeh_dialect == "auto"
    assert args.faseeh_sample_rate == 24000
    assert args.custom_voice == []
    assert args.samples_per_chunk == 1024
    assert args.provider_timeout == 10.0
    assert args.zeroconf is None
    assert not args.debug
    assert args.offline
    assert args.fallback == "offline"
    assert args.fallback_voice is None
    assert args.hamsa_pool == 2
    assert args.hamsa_connect_interval == 7.0
    assert (args.first_audio_deadline, args.stall_timeout) == (1.0, 3.0)
    assert cli.server_limits(args) == ServerLimits(
        max_event_bytes=1024 * 1024,
        max_text_chars=100_000,
        idle_timeout=60.0,
        max_connections=64,
    )


def test_limit_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    _espeak(monkeypatch, installed=True)
    args = cli.parse_args(
        [
            *("--max-event-bytes", "4096", "--max-text-chars", "500"),
            *("--idle-timeout", "2.5", "--max-connections", "3"),
        ]
    )
    assert cli.server_limits(args) == ServerLimits(4096, 500, 2.5, 3)
    assert cli.server_limits(cli.parse_args(["--idle-timeout", "0"])).idle_timeout is None


def test_faseeh_region_sets_both_addresses_and_explicit_urls_win() -> None:
    args = cli.parse_args(["--faseeh-api-key", "f", "--faseeh-region", "uae"])
    assert args.faseeh_url == "wss://ae.api.faseeh.ai/api/v1/websocket/text-to-speech"
    assert args.faseeh_api_url == "https://ae.api.faseeh.ai/api/v1"
    assert not args.faseeh_own_api_url
    args = cli.parse_args(
        ["--faseeh-api-key", "f", "--faseeh-region", "uae", "--faseeh-api-url", "https://x/api/v1"]
    )
    assert args.faseeh_api_url == "https://x/api/v1"
    assert args.faseeh_url == "wss://ae.api.faseeh.ai/api/v1/websocket/text-to-speech"
    assert args.faseeh_own_api_url


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--faseeh-transport", "websocket", "--faseeh-dialect", "emirati"], "needs REST"),
        (["--faseeh-sample-rate", "44100"], "invalid choice"),
        (["--faseeh-region", "mars"], "invalid choice"),
        (["--faseeh-transport", "carrier-pigeon"], "invalid choice"),
    ],
)
def test_faseeh_flags_are_checked(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["--faseeh-api-key", "f", *argv])
    assert message in capsys.readouterr().err


def test_without_espeak_there_is_no_offline_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    _espeak(monkeypatch, installed=False)
    args = cli.parse_args(["--hamsa-api-key", "h"])
    assert not args.offline
    assert args.fallback == "none"


def test_without_keys_the_offline_voice_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    _espeak(monkeypatch, installed=True)
    args = cli.parse_args(["--fallback", "none", "--fallback-voice", "faseeh-ar-najdi-male-2"])
    assert args.hamsa_api_key is None
    assert args.faseeh_api_key is None
    assert (args.fallback, args.fallback_voice) == ("none", "faseeh-ar-najdi-male-2")


def test_flags_override_env_and_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASEEH_API_KEY", "from-env")
    args = cli.parse_args(
        [
            "--faseeh-api-key",
            "from-flag",
            "--hamsa-api-key",
            "h",
            "--custom-voice",
            UUID,
            "--custom-voice",
            UUID.replace("3f", "4f"),
            "--zeroconf",
        ]
    )
    assert args.faseeh_api_key == "from-flag"
    assert args.custom_voice == [UUID, UUID.replace("3f", "4f")]
    assert args.zeroconf == cli.DEFAULT_ZEROCONF_NAME
    assert cli.parse_args(["--hamsa-api-key", "h", "--zeroconf", "kitchen"]).zeroconf == "kitchen"


def test_hamsa_pool_and_pace_flags() -> None:
    args = cli.parse_args(
        ["--hamsa-api-key", "h", "--hamsa-pool", "12", "--hamsa-connect-interval", "0"]
    )
    assert (args.hamsa_pool, args.hamsa_connect_interval) == (12, 0.0)


@pytest.mark.parametrize(
    ("argv", "espeak", "message"),
    [
        ([], False, "no provider configured"),
        (["--hamsa-api-key", "h", "--fallback", "offline"], False, "needs espeak-ng"),
        (["--hamsa-api-key", "h", "--fallback", "piper"], True, "invalid choice"),
        (["--hamsa-api-key", "h", "--custom-voice", "Salem"], True, "not a Hamsa custom voice"),
        (["--faseeh-api-key", "f", "--custom-voice", UUID], True, "needs a Hamsa API key"),
        (["--hamsa-api-key", "h", "--samples-per-chunk", "0"], True, "must be at least 1"),
        (["--hamsa-api-key", "h", "--provider-timeout", "0"], True, "greater than 0"),
        (["--hamsa-api-key", "h", "--hamsa-pool", "0"], True, "must be at least 1"),
        (["--hamsa-api-key", "h", "--hamsa-connect-interval", "-1"], True, "must be 0 or more"),
        (["--hamsa-api-key", "h", "--first-audio-deadline", "0"], True, "greater than 0"),
        (["--hamsa-api-key", "h", "--stall-timeout", "-2"], True, "greater than 0"),
        (["--hamsa-api-key", "h", "--uri", "stdio://", "--zeroconf"], True, "needs a tcp://"),
        (["--max-event-bytes", "0"], True, "must be at least 1"),
        (["--max-text-chars", "-5"], True, "must be at least 1"),
        (["--idle-timeout", "-1"], True, "must be 0 or more"),
        (["--max-connections", "0"], True, "must be at least 1"),
    ],
)
def test_bad_command_lines_exit_with_a_reason(
    argv: list[str],
    espeak: bool,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _espeak(monkeypatch, installed=espeak)
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


async def _run_server_process(*argv: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the real program to its exit (for command lines it must refuse)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wyoming_server",
        "--uri",
        f"tcp://127.0.0.1:{free_port()}",
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=REPO_ROOT,
    )
    async with asyncio.timeout(30):
        output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_no_key_and_no_espeak_refuses_to_start(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    env["PATH"] = str(tmp_path)  # an empty folder: no espeak-ng to be found
    code, output = await _run_server_process(env=env)
    assert code == 2
    assert "no provider configured" in output
    assert "espeak-ng" in output


async def test_unknown_fallback_voice_refuses_to_start() -> None:
    env = {**os.environ, "HAMSA_API_KEY": "k"}
    code, output = await _run_server_process(
        "--hamsa-url", "ws://127.0.0.1:9/", "--fallback-voice", "Nobody", env=env
    )
    assert code != 0
    assert "--fallback-voice Nobody" in output
    assert "There is no voice named 'Nobody'" in output
    assert "Traceback" not in output


def test_argument_dump_redacts_keys() -> None:
    args = cli.parse_args(["--hamsa-api-key", "k-hamsa", "--faseeh-api-key", "k-faseeh"])
    dumped = str(cli.redacted_args(args))
    assert "k-hamsa" not in dumped
    assert "k-faseeh" not in dumped
    assert dumped.count(REDACTED) == 2


def test_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    record_filter = RedactingFilter(["sekret-1"])
    try:
        raise ValueError("bad header X-Api-Key: sekret-1")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.DEBUG, __file__, 1, "key=%s", ("sekret-1",), sys.exc_info()
        )
    assert record_filter.filter(record)
    formatted = logging.Formatter().format(record)
    assert "sekret-1" not in formatted
    assert REDACTED in formatted


async def test_zeroconf_advertises_this_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    class FakeZeroconf:
        def __init__(self, port: int, name: str | None = None, host: str | None = None) -> None:
            calls.append((port, name, host))

        async def register_server(self) -> None:
            calls.append("registered")

    monkeypatch.setattr("wyoming.zeroconf.HomeAssistantZeroconf", FakeZeroconf)

    await cli._start_zeroconf("kitchen", AsyncTcpServer("0.0.0.0", 10200))
    await cli._start_zeroconf("kitchen", AsyncTcpServer("192.168.1.5", 10300))

    # A wildcard bind address is not advertised: the library detects the host's IP.
    assert calls == [
        (10200, "kitchen", None),
        "registered",
        (10300, "kitchen", "192.168.1.5"),
        "registered",
    ]


async def _health_check(port: int) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wyoming_server.health_check",
        "--uri",
        f"tcp://127.0.0.1:{port}",
        "--timeout",
        "10",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_health_check_does_a_describe_round_trip(server: ServerProcess) -> None:
    assert await _health_check(server.port) == (0, "")
    code, output = await _health_check(free_port())
    assert code == 1
    assert output.startswith("unhealthy:")


@pytest.mark.parametrize(
    "argv",
    [
        ["--hamsa-api=hk_live_0123456789abcdefXYZ"],  # an abbreviation argparse would echo
        ["--hamsa-apikey", "hk_live_0123456789abcdefXYZ"],  # a misspelt flag, its value
        ["--faseeh-key=hk_live_0123456789abcdefXYZ"],
    ],
    ids=["abbreviated", "misspelt", "misspelt-with-equals"],
)
@pytest.mark.parametrize("command", [[], ["probe"]], ids=["server", "probe"])
def test_a_key_on_a_wrong_command_line_is_not_repeated(
    argv: list[str],
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """argparse echoes what it cannot use; a key given with a wrong flag must not be."""
    monkeypatch.setattr(sys, "argv", ["wyoming-arabic-tts", *command, *argv])
    with pytest.raises(SystemExit) as exit_info:
        if command:
            probe_cli.parse_args(argv)
        else:
            cli.parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err
    assert "0123456789" not in err and "abcdefXYZ" not in err
