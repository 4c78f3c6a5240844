"""Fixtures: the fake providers in the test's loop, the REAL server as a child process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import pytest

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa

from .helpers import describe

HAMSA_KEY = "hamsa-secret-key-7f3a9c"
FASEEH_KEY = "faseeh-secret-key-b41d2e"
REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_LIMIT = 30.0
STOP_LIMIT = 10.0


@pytest.fixture(autouse=True)
def _allow_loopback_sockets(socket_enabled: None) -> None:
    """pytest-homeassistant-custom-component blocks sockets; we need 127.0.0.1."""


def free_port() -> int:
    """An ephemeral port that was free a moment ago (the server binds it next)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """One running ``python -m wyoming_server`` and where its output goes."""

    port: int
    process: asyncio.subprocess.Process
    log_path: Path
    log_file: IO[bytes]
    args: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_ready(self) -> None:
        """Poll Describe until it answers (the process binds its port after start-up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_LIMIT
        while True:
            if self.process.returncode is not None:
                pytest.fail(f"server exited with {self.process.returncode}:\n{self.output}")
            try:
                async with asyncio.timeout(2):
                    await describe(self.port)
                return
            except (OSError, TimeoutError):
                if loop.time() > deadline:
                    pytest.fail(f"server did not answer Describe:\n{self.output}")
                await asyncio.sleep(0.05)

    async def stop(self) -> int:
        """SIGTERM, then SIGKILL if it does not stop; returns the exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                async with asyncio.timeout(STOP_LIMIT):
                    await self.process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        self.log_file.close()
        assert self.process.returncode is not None
        return self.process.returncode


class StartServer(Protocol):
    """Signature of the ``start_server`` fixture."""

    def __call__(
        self,
        *extra_args: str,
        hamsa: bool = True,
        faseeh: bool = True,
        hamsa_key: str = HAMSA_KEY,
        faseeh_key: str = FASEEH_KEY,
    ) -> Awaitable[ServerProcess]: ...


@pytest.fixture
async def fake_hamsa() -> AsyncIterator[FakeHamsa]:
    """Fake Hamsa accepting HAMSA_KEY."""
    async with FakeHamsa(valid_keys={HAMSA_KEY}) as fake:
        yield fake


@pytest.fixture
async def fake_faseeh() -> AsyncIterator[FakeFaseeh]:
    """Fake Faseeh accepting FASEEH_KEY."""
    async with FakeFaseeh(valid_keys={FASEEH_KEY}) as fake:
        yield fake


@pytest.fixture
async def start_server(
    fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, tmp_path: Path
) -> AsyncIterator[StartServer]:
    """Start the real server process against the fakes; every one is stopped at teardown."""
    started: list[ServerProcess] = []

    async def start(
        *extra_args: str,
        hamsa: bool = True,
        faseeh: bool = True,
        hamsa_key: str = HAMSA_KEY,
        faseeh_key: str = FASEEH_KEY,
    ) -> ServerProcess:
        port = free_port()
        # No Piper voice unless a test names one: a server must not fetch 63 MB from the
        # internet during the suite (tests/wyoming/test_piper.py brings its own voice).
        piper = [] if "--piper-voice" in extra_args else ["--piper-voice", "none"]
        args = [
            "--uri",
            f"tcp://127.0.0.1:{port}",
            *piper,
            "--hamsa-url",
            fake_hamsa.ws_url,
            "--hamsa-api-url",
            fake_hamsa.api_url,
            "--faseeh-url",
            fake_faseeh.ws_url,
            "--faseeh-api-url",
            fake_faseeh.api_url,
            *extra_args,
        ]
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("HAMSA_API_KEY", "FASEEH_API_KEY")
        }
        env["ARABIC_TTS_DATA_DIR"] = str(tmp_path / "data")
        if hamsa:
            env["HAMSA_API_KEY"] = hamsa_key
        if faseeh:
            env["FASEEH_API_KEY"] = faseeh_key
        log_path = tmp_path / f"server-{len(started)}.log"
        log_file = log_path.open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wyoming_server",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
        )
        server = ServerProcess(port, process, log_path, log_file, args)
        started.append(server)
        await server.wait_ready()
        return server

    yield start
    for server in started:
        await server.stop()


@pytest.fixture
async def server(start_server: StartServer) -> ServerProcess:
    """Both providers, default flags."""
    return await start_server()


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for something the server does in the background."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30  # a hang guard: a slow, busy machine may take seconds
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"never happened: {what}")
        await asyncio.sleep(0.02)
