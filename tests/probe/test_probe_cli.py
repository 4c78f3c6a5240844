"""The probe's command line: usage errors, consent before spending, JSON on stdout, the
flags it shares with the server, and a real ``python -m wyoming_server probe`` process."""

from __future__ import annotations

import asyncio
import io
import json
import os
import pty
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa
from wyoming_server import __main__ as server_cli
from wyoming_server.probe import cli, probe
from wyoming_server.probe.config import PROBE_TEXT
from wyoming_server.probe.report import SCHEMA

from .conftest import FASEEH_KEY, HAMSA_KEY, RunProbe, assert_no_key_material, fake_args

REPO_ROOT = Path(__file__).resolve().parents[2]
PROCESS_LIMIT = 60.0


async def run_quiet(argv: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = await probe(argv, stdout=stdout, stderr=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "no key to probe"),
        (
            ["--provider", "hamsa", "--faseeh-api-key", "x" * 12],
            "--provider hamsa needs a Hamsa key",
        ),
        (["--provider", "faseeh", "--hamsa-api-key", "x" * 12], "--provider faseeh needs"),
        (
            [
                *("--faseeh-api-key", "x" * 12),
                *("--faseeh-dialect", "fusha", "--faseeh-transport", "websocket"),
            ],
            "--faseeh-dialect needs REST",
        ),
        (["--hamsa-api-key", "x" * 12, "--provider", "espeak"], "invalid choice"),
    ],
)
async def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stdout, _ = await run_quiet(argv)
    assert status == 2
    assert stdout == ""
    assert message in capsys.readouterr().err


async def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, _ = await run_quiet(["--help"])
    assert status == 0
    help_text = capsys.readouterr().out
    assert "--yes" in help_text and "--faseeh-region" in help_text


def test_the_server_and_the_probe_share_the_provider_flags() -> None:
    """One function adds them to both parsers: same names, defaults and choices."""

    def provider_actions(parser: object) -> dict[str, tuple[object, object]]:
        return {
            action.dest: (action.default, action.choices)
            for action in parser._actions  # type: ignore[attr-defined]
            if (action.dest.startswith(("hamsa_", "faseeh_")) or action.dest == "provider_timeout")
            and not action.dest.endswith("_text")  # the server's text steps
        }

    server = provider_actions(server_cli.build_parser())
    probe_flags = provider_actions(cli.build_parser())
    probe_flags.pop("hamsa_voice")
    probe_flags.pop("faseeh_voice")
    assert server == probe_flags
    assert "faseeh_region" in server and "hamsa_connect_interval" in server


async def test_keys_come_from_the_environment(
    run_probe: RunProbe, hamsa: FakeHamsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAMSA_API_KEY", HAMSA_KEY)
    run = await run_probe(hamsa=hamsa, hamsa_key=None)
    assert run.status == 0
    assert run.step("hamsa", "key")["outcome"] == "ok"


ANSWERS = {"y\n": (True, "confirmed at the prompt"), "\n": (False, "declined at the prompt")}


@pytest.mark.parametrize("answer", list(ANSWERS))
async def test_an_interactive_yes_is_asked_before_anything_is_sent(
    run_probe: RunProbe, hamsa: FakeHamsa, faseeh: FakeFaseeh, answer: str
) -> None:
    allowed, reason = ANSWERS[answer]
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        # Nothing reached a provider before the answer.
        assert hamsa.connections == [] and hamsa.rest_requests == []
        assert faseeh.connections == [] and faseeh.rest_requests == []
        return answer

    run = await run_probe(hamsa=hamsa, faseeh=faseeh, ask=ask)
    assert len(prompts) == 1
    assert f"{len(PROBE_TEXT)} characters to Hamsa (WebSocket)" in prompts[0]
    assert f"{len(PROBE_TEXT)} characters to Faseeh (REST)" in prompts[0]
    assert f"{3 * len(PROBE_TEXT)} characters in all" in prompts[0]
    assert run.data["synthesis"]["allowed"] is allowed
    assert run.data["synthesis"]["reason"] == reason
    assert len(hamsa.requests) == (1 if allowed else 0)
    assert len(faseeh.generations) == (2 if allowed else 0)


async def test_json_on_stdout_puts_the_table_on_stderr(
    hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    argv = [*fake_args(hamsa, faseeh), "--hamsa-api-key", HAMSA_KEY, "--json", "-"]
    argv += ["--faseeh-api-key", FASEEH_KEY, "--provider-timeout", "2"]
    status, stdout, stderr = await run_quiet(argv)
    assert status == 0
    data = json.loads(stdout)
    assert [p["provider"] for p in data["providers"]] == ["hamsa", "faseeh"]
    assert "Verdict" in stderr and "Exit status 0" in stderr
    for text in (stdout, stderr):
        assert_no_key_material(text, "output")


async def test_json_shape_is_stable(run_probe: RunProbe, hamsa: FakeHamsa) -> None:
    run = await run_probe(hamsa=hamsa)
    data = run.data
    assert set(data) == {
        "schema",
        "version",
        "started_at",
        "synthesis",
        "providers",
        "can_speak",
        "exit_status",
    }
    assert set(data["synthesis"]) == {"text", "characters", "allowed", "reason", "planned"}
    provider = data["providers"][0]
    assert set(provider) == {"provider", "name", "endpoints", "steps", "verdict"}
    for step in provider["steps"]:
        assert set(step) == {
            "id",
            "label",
            "outcome",
            "started_ms",
            "duration_ms",
            "timings_ms",
            "details",
            "data",
            "error_code",
            "provider_text",
        }
        assert step["outcome"] in ("ok", "refused", "failed", "skipped")
    assert set(provider["verdict"]) == {
        "can_speak",
        "transport",
        "summary",
        "settings",
        "reasons",
        "unknown",
    }
    assert data["exit_status"] == run.status == 0


async def test_a_json_file_that_cannot_be_written(hamsa: FakeHamsa, tmp_path: Path) -> None:
    argv = [*fake_args(hamsa, None), "--hamsa-api-key", HAMSA_KEY]
    argv += ["--json", str(tmp_path / "missing" / "report.json"), "--provider-timeout", "2"]
    status, stdout, stderr = await run_quiet(argv)
    assert status == 2
    assert "Verdict" in stdout
    assert "cannot write" in stderr


async def test_an_unreachable_provider_fails_every_step_in_time(tmp_path: Path) -> None:
    """Nothing listens on the port: every step fails at once with provider_unavailable."""
    async with FakeHamsa() as gone:
        ws_url, api_url = gone.ws_url, gone.api_url
    argv = ["--hamsa-url", ws_url, "--hamsa-api-url", api_url, "--hamsa-api-key", HAMSA_KEY]
    argv += ["--provider-timeout", "2", "--json", str(tmp_path / "r.json"), "--yes"]
    async with asyncio.timeout(20):
        status, stdout, _ = await run_quiet(argv)
    assert status == 1
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    steps = {step["id"]: step for step in data["providers"][0]["steps"]}
    assert steps["key"]["error_code"] == "provider_unavailable"
    assert steps["socket_auth_header"]["error_code"] == "provider_unavailable"
    assert steps["synthesis_socket"]["outcome"] == "skipped"
    assert "CANNOT SPEAK" in stdout


async def test_a_real_process(hamsa: FakeHamsa, faseeh: FakeFaseeh, tmp_path: Path) -> None:
    """``python -m wyoming_server probe`` against the fakes, keys from the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("HAMSA_API_KEY", "FASEEH_API_KEY")}
    env.update(HAMSA_API_KEY=HAMSA_KEY, FASEEH_API_KEY=FASEEH_KEY)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wyoming_server",
        "probe",
        *fake_args(hamsa, faseeh),
        "--hamsa-connect-interval",
        "0",
        "--provider-timeout",
        "2",
        "--yes",
        "--debug",
        "--json",
        "-",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO_ROOT,
    )
    async with asyncio.timeout(PROCESS_LIMIT):
        out, err = await process.communicate()
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 0, stderr
    data = json.loads(stdout)
    assert data["exit_status"] == 0 and data["synthesis"]["allowed"] is True
    verdicts = {p["provider"]: p["verdict"] for p in data["providers"]}
    assert verdicts["hamsa"]["transport"] == "websocket"
    assert verdicts["faseeh"]["transport"] == "websocket"
    assert [r["text"] for r in hamsa.requests] == [PROBE_TEXT]
    assert sorted(g.transport for g in faseeh.generations) == ["rest", "websocket"]
    assert "Exit status 0" in stderr
    assert "DEBUG" in stderr  # --debug logs, redacted like the rest
    assert_no_key_material(stdout, "the process's stdout")
    assert_no_key_material(stderr, "the process's stderr")


async def test_the_process_without_a_key_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HAMSA_API_KEY", "FASEEH_API_KEY")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wyoming_server",
        "probe",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO_ROOT,
    )
    async with asyncio.timeout(PROCESS_LIMIT):
        _, err = await process.communicate()
    assert process.returncode == 2
    assert b"no key to probe" in err


async def test_ctrl_c_at_the_prompt_ends_the_process_at_once() -> None:
    """On a terminal the probe asks before spending credits; Ctrl-C there ends it (130)
    without waiting for Enter."""
    env = {k: v for k, v in os.environ.items() if k not in ("HAMSA_API_KEY", "FASEEH_API_KEY")}
    env["HAMSA_API_KEY"] = HAMSA_KEY
    controller, terminal = pty.openpty()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wyoming_server",
            "probe",
            "--hamsa-url",
            "ws://127.0.0.1:9/ws",
            "--hamsa-api-url",
            "http://127.0.0.1:9",
            stdin=terminal,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=REPO_ROOT,
        )
        assert process.stderr is not None
        async with asyncio.timeout(PROCESS_LIMIT):
            prompt = b""
            while b"[y/N]" not in prompt:
                line = await process.stderr.read(4096)
                assert line, prompt
                prompt += line
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(5):
            await process.wait()
        assert process.returncode == 130
    finally:
        os.close(controller)
        os.close(terminal)


def test_the_docs_document_the_probe() -> None:
    """Every flag of the probe's own, the JSON schema and each step id are on its page."""
    section = (REPO_ROOT / "docs" / "probe.md").read_text("utf-8")
    server_flags = {
        option for action in server_cli.build_parser()._actions for option in action.option_strings
    }
    for action in cli.build_parser()._actions:
        for option in action.option_strings:
            if option not in server_flags and option not in ("-h", "--help"):
                assert f"`{option}" in section, option
    assert f'"schema": "{SCHEMA}"' in section
    for step_id in (
        "key",
        "catalogue",
        "voices",
        "socket_auth_header",
        "socket_auth_query",
        "socket_auth_init",
        "synthesis_socket",
        "synthesis_rest",
    ):
        assert f'"{step_id}"' in section, step_id
    assert PROBE_TEXT in section
