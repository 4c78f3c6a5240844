"""The shared WebSocket pool's pacing, with stand-in sockets (no network needed)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

from custom_components.arabic_tts.core.pool import WebSocketPool

PACE = 0.3


class StubSocket:
    """Just what the pool looks at: its state, its close and its close code."""

    def __init__(self) -> None:
        self.state = State.OPEN
        self.close_code: int | None = None
        self._closed = asyncio.Event()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def close(self, *_: Any) -> None:
        self.state = State.CLOSED
        self.close_code = 1000
        self._closed.set()


async def test_a_request_waiting_behind_a_cancelled_turn_still_connects() -> None:
    """One request waits for its paced turn and is cancelled there (its client left);
    another, waiting for that turn to end, must be woken and connect at the pace."""
    opened: list[StubSocket] = []

    async def connect() -> ClientConnection:
        opened.append(StubSocket())
        return cast(ClientConnection, opened[-1])

    pool = WebSocketPool(connect, name="test", min_idle=0, connect_interval=PACE)
    try:
        await pool.acquire()  # the first connection opens at once and starts the pace
        leaving = asyncio.create_task(pool.acquire(fresh=True))
        await asyncio.sleep(PACE / 6)  # it now holds the turn, waiting out the pace
        staying = asyncio.create_task(pool.acquire())
        await asyncio.sleep(PACE / 6)
        leaving.cancel()
        conn, reused = await asyncio.wait_for(staying, timeout=PACE * 4)
        assert conn is opened[-1] and not reused
        assert len(opened) == 2
    finally:
        await pool.close()
