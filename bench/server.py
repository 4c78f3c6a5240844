"""The real Wyoming server as a child process, and CPU/RSS sampling of any process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from .wyoming_client import describe_rtt

REPO_ROOT = Path(__file__).resolve().parents[1]
READY_GUARD = 60.0
STOP_GUARD = 10.0
POLL = 0.005
BENCH_MAX_CONNECTIONS = 1000


def free_port() -> int:
    """An ephemeral port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """``python -m wyoming_server`` against the fake providers."""

    port: int
    process: asyncio.subprocess.Process
    log: IO[bytes]
    started: float

    @property
    def pid(self) -> int:
        """Process id."""
        return self.process.pid

    @classmethod
    async def start(
        cls,
        fakes: dict[str, Any],
        log_path: Path,
        samples_per_chunk: int,
        extra_args: tuple[str, ...] = (),
        *,
        defaults: bool = False,
        urls: dict[str, str] | None = None,
        tree: Path | None = None,
    ) -> ServerProcess:
        """Start it (keys through the environment, as we recommend); do not wait.

        ``defaults``: the server's own defaults but for the addresses (the issue-18
        figures), not the relay figures' unpaced pool and connection limit. ``urls``
        replaces the fakes' addresses (``hamsa_ws``, ``hamsa_api``, ``faseeh_ws``,
        ``faseeh_api``). ``tree``: run another checkout's server (an A/B run).
        """
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("HAMSA_API_KEY", "FASEEH_API_KEY")}
        env["HAMSA_API_KEY"] = fakes["hamsa_key"]
        env["FASEEH_API_KEY"] = fakes["faseeh_key"]
        if tree is not None:
            env["PYTHONPATH"] = str(_import_shim(tree, log_path.parent))
        where = {key: fakes[key] for key in ("hamsa_ws", "hamsa_api", "faseeh_ws", "faseeh_api")}
        where.update(urls or {})
        # Up to 100 concurrent streams plus the measuring clients: more than a home's
        # default of 64 connections. Hamsa's connection pacing (a guard against a
        # suspected limit on new connections) is off too: the relay figures measure the
        # relay, on sockets, with the fakes' rate limit off (bench/fake_host.py).
        relay_flags = (
            ()
            if defaults
            else (
                "--samples-per-chunk",
                str(samples_per_chunk),
                "--max-connections",
                str(BENCH_MAX_CONNECTIONS),
                "--hamsa-connect-interval",
                "0",
            )
        )
        log = log_path.open("ab")
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wyoming_server",
            "--uri",
            f"tcp://127.0.0.1:{port}",
            "--hamsa-url",
            where["hamsa_ws"],
            "--hamsa-api-url",
            where["hamsa_api"],
            "--faseeh-url",
            where["faseeh_ws"],
            "--faseeh-api-url",
            where["faseeh_api"],
            # The Piper voice has its own benchmark (bench/piper.py) and must not start a
            # 63 MB download in the middle of these: the offline voice here is espeak-ng.
            "--piper-voice",
            "none",
            *relay_flags,
            *extra_args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT if tree is None else tree,
        )
        return cls(port, process, log, started)

    async def wait_ready(self) -> float:
        """Poll Describe until it answers, as a client would; returns seconds since start."""
        deadline = time.monotonic() + READY_GUARD
        while True:
            if self.process.returncode is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                async with asyncio.timeout(2):
                    await describe_rtt(self.port)
                return time.monotonic() - self.started
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not answer Describe") from None
                await asyncio.sleep(POLL)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it hangs."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                async with asyncio.timeout(STOP_GUARD):
                    await self.process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        self.log.close()


def _import_shim(tree: Path, out: Path) -> Path:
    """A folder that makes ``tree``'s server and core importable (an A/B run): the same
    names the installed package maps, pointing into the other checkout."""
    shim = out / "ab-shim"
    shim.mkdir(parents=True, exist_ok=True)
    for name, target in (
        ("arabic_tts_core", tree / "custom_components" / "arabic_tts" / "core"),
        ("wyoming_server", tree / "wyoming_server"),
    ):
        link = shim / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target.resolve())
    return shim


class Usage:
    """CPU seconds and peak RSS of a process over a window: ``async with Usage(pid) as u``."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._cpu_start = 0.0
        self.cpu_seconds = 0.0
        self.rss_start = 0
        self.rss_peak = 0

    def _cpu(self) -> float:
        """CPU seconds so far: the scheduler's nanosecond count where Linux has it.

        psutil's user + system times tick in 10 ms steps, too coarse for short windows;
        /proc/<pid>/task/*/schedstat counts every thread's time on a CPU exactly.
        """
        total = 0
        try:
            for task in Path(f"/proc/{self._process.pid}/task").iterdir():
                total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            times = self._process.cpu_times()
            return float(times.user + times.system)
        return total / 1e9

    def rss(self) -> int:
        """Current resident set size in bytes."""
        return int(self._process.memory_info().rss)

    async def __aenter__(self) -> Usage:
        self.rss_start = self.rss_peak = self.rss()
        self._cpu_start = self._cpu()
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.cpu_seconds = self._cpu() - self._cpu_start
        self.rss_peak = max(self.rss_peak, self.rss())

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            with contextlib.suppress(psutil.Error):
                self.rss_peak = max(self.rss_peak, self.rss())
