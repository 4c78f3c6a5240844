"""Command line, logging redaction, zeroconf wiring and the container health check."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
from wyoming.server import AsyncTcpServer

from wyoming_server import __main__ as cli
from wyoming_server.logs import REDACTED, RedactingFilter

from .conftest import REPO_ROOT, ServerProcess, free_port

pytestmark = pytest.mark.usefixtures("socket_enabled")

UUID = "3f2b8c1e-9a4d-4e6f-8b2a-1c5d7e9f0a3b"


@pytest.fixture(autouse=True)
def _no_keys_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAMSA_API_KEY", raising=False)
    monkeypatch.delenv("FASEEH_API_KEY", raising=False)


def test_defaults_match_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMSA_API_KEY", "from-env")
    args = cli.parse_args([])
    assert args.uri == "tcp://0.0.0.0:10200"
    assert args.hamsa_api_key == "from-env"
    assert args.faseeh_api_key is None
    assert args.hamsa_url == "wss://api.tryhamsa.com/v1/realtime/ws"
    assert args.hamsa_api_url == "https://api.tryhamsa.com"
    assert args.faseeh_url == "wss://api.faseeh.ai/api/v1/websocket/text-to-speech"
    assert args.faseeh_api_url == "https://api.faseeh.ai/api/v1"
    assert args.faseeh_model == "faseeh-mini-v1-preview"
    assert args.custom_voice == []
    assert args.samples_per_chunk == 1024
    assert args.provider_timeout == 10.0
    assert args.zeroconf is None
    assert not args.debug


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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "no provider configured"),
        (["--hamsa-api-key", "h", "--custom-voice", "Salem"], "not a Hamsa custom voice id"),
        (["--faseeh-api-key", "f", "--custom-voice", UUID], "needs a Hamsa API key"),
        (["--hamsa-api-key", "h", "--samples-per-chunk", "0"], "must be at least 1"),
        (["--hamsa-api-key", "h", "--provider-timeout", "0"], "greater than 0"),
        (["--hamsa-api-key", "h", "--uri", "stdio://", "--zeroconf"], "needs a tcp://"),
    ],
)
def test_bad_command_lines_exit_with_a_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


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
