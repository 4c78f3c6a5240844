"""A provider address that accepts TCP and never answers: no TLS, no HTTP, no WebSocket
handshake (a firewall that swallows packets after the SYN, or a provider whose front end
accepts connections it never serves). Issue 18's "never answers the handshake" rows.

``async with BlackHole() as hole:`` then point a client at ``hole.ws_url(path)`` or
``hole.http_url``. It reads and drops whatever arrives, so a client's write never
blocks, and holds every connection open until the client gives up or the hole stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self

HOST = "127.0.0.1"


class BlackHole:
    """A TCP listener on 127.0.0.1 that never says a word."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted = 0  # connections accepted so far
        self.open = 0  # connections a client still holds
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def http_url(self) -> str:
        """An http:// base URL on the hole."""
        return f"http://{HOST}:{self.port}"

    def ws_url(self, path: str = "/") -> str:
        """A ws:// URL on the hole."""
        return f"ws://{HOST}:{self.port}{path}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._swallow, HOST, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        self._writers.add(writer)
        try:
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):
                    pass
        finally:
            self.open -= 1
            self._writers.discard(writer)
            writer.close()


__all__ = ["BlackHole"]
