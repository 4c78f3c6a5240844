"""JSON lines over a child's stdin/stdout: how the bench drives its helper processes.

The fake providers and the floor client each run in their own process, so none of them
shares an event loop (or the GIL) with the client that measures the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

REPO_ROOT = Path(__file__).resolve().parents[1]
LINE_LIMIT = 1 << 28  # replies carry every frame timestamp of a run
START_GUARD = 60.0
REPLY_GUARD = 240.0
STOP_GUARD = 10.0


# --- child side --------------------------------------------------------------------------


async def serve(hello: dict[str, Any], handler: Handler) -> None:
    """Print ``hello``, then answer one JSON command per stdin line until ``quit`` or EOF."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    _send({"pid": os.getpid(), **hello})
    while line := await reader.readline():
        command = json.loads(line)
        if command.get("cmd") == "quit":
            break
        try:
            reply = await handler(command)
        except Exception as err:  # report it to the parent instead of dying silently
            reply = {"error": f"{type(err).__name__}: {err}"}
        _send(reply)


def _send(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# --- parent side -------------------------------------------------------------------------


class Child:
    """A helper process speaking JSON lines."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log: IO[bytes]) -> None:
        self.name = name
        self.process = process
        self._log = log
        self.hello: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    @classmethod
    async def start(cls, name: str, args: list[str], log_path: Path) -> Child:
        """Start ``python -m <args>`` and wait for its hello line."""
        log = log_path.open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            limit=LINE_LIMIT,
            cwd=REPO_ROOT,
        )
        child = cls(name, process, log)
        try:
            async with asyncio.timeout(START_GUARD):
                child.hello = await child._read()
        except BaseException:
            await child.stop()
            raise
        return child

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send a command and return the reply (RuntimeError if the child reported one)."""
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        await self.process.stdin.drain()
        async with asyncio.timeout(REPLY_GUARD):
            reply = await self._read()
        if "error" in reply:
            raise RuntimeError(f"{self.name} failed on {cmd}: {reply['error']}")
        return reply

    async def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} exited (code {await self.process.wait()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def stop(self) -> None:
        """Ask it to quit; terminate, then kill, if it does not."""
        if self.process.returncode is None and self.process.stdin is not None:
            with contextlib.suppress(ConnectionError):
                self.process.stdin.write(b'{"cmd": "quit"}\n')
                await self.process.stdin.drain()
                self.process.stdin.close()
        try:
            async with asyncio.timeout(STOP_GUARD):
                await self.process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        self._log.close()
