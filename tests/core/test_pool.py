"""The shared WebSocket pool's pacing and its no-wait path, with stand-in sockets (no
network). Ordering comes from events and the pool's own state, never from sleeps; the
timeouts below only bound a hang."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

from custom_components.arabic_tts.core.pool import WebSocketPool
from tests.core.helpers import wait_for

NEVER = 30.0  # a pace nobody may wait for
HANG_GUARD = 10.0


class StubSocket:
    """Just what the pool looks at: its state, its close and its close code."""

    def __init__(self, close_blocks: asyncio.Event | None = None) -> None:
        self.state = State.OPEN
        self.close_code: int | None = None
        self.close_started = False
        self._closed = asyncio.Event()
        self._close_blocks = close_blocks

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def close(self, *_: Any) -> None:
        self.close_started = True
        if self._close_blocks is not None:
            await self._close_blocks.wait()  # a peer that never answers the close
        self.state = State.CLOSED
        self.close_code = 1000
        self._closed.set()


class Connector:
    """``connect`` for the pool: records every socket; ``gate`` holds handshakes."""

    def __init__(self) -> None:
        self.opened: list[StubSocket] = []
        self.gate: asyncio.Event | None = None
        self.close_blocks: asyncio.Event | None = None

    async def __call__(self) -> ClientConnection:
        if self.gate is not None:
            await self.gate.wait()
        self.opened.append(StubSocket(self.close_blocks))
        return cast(ClientConnection, self.opened[-1])


async def test_a_request_waiting_behind_a_cancelled_turn_still_connects() -> None:
    """One request waits for its paced turn and is cancelled there (its client left);
    another, waiting for that turn to end, must be woken and connect at the pace."""
    connect = Connector()
    pace = 0.3
    pool = WebSocketPool(connect, name="test", min_idle=0, connect_interval=pace)
    try:
        await pool.acquire()  # the first connection opens at once and starts the pace
        leaving = asyncio.create_task(pool.acquire(fresh=True))
        await wait_for(lambda: not pool.can_open_now() and pool._turn.locked(), HANG_GUARD)
        staying = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)  # it is waiting for the turn now
        leaving.cancel()
        conn, reused = await asyncio.wait_for(staying, timeout=HANG_GUARD)
        assert conn is connect.opened[-1] and not reused
        assert len(connect.opened) == 2
    finally:
        await pool.close()


async def test_acquire_now_takes_an_idle_socket_or_gives_up_instead_of_waiting() -> None:
    """The request path never waits for the pace: an idle socket, a new one if the pace
    allows now, else None (the caller takes another way)."""
    connect = Connector()
    pool = WebSocketPool(connect, name="test", min_idle=0, connect_interval=NEVER)
    try:
        assert pool.can_open_now()
        first = await asyncio.wait_for(pool.acquire_now(), HANG_GUARD)
        assert first is not None and first[1] is False
        assert not pool.can_open_now()  # the pace has started
        assert await asyncio.wait_for(pool.acquire_now(), HANG_GUARD) is None
        pool.release(first[0])
        again = await asyncio.wait_for(pool.acquire_now(), HANG_GUARD)
        assert again == (first[0], True)
        assert await asyncio.wait_for(pool.acquire_now(fresh=True), HANG_GUARD) is None
        assert len(connect.opened) == 1
    finally:
        await pool.close()


async def test_acquire_now_waits_for_a_warm_up_handshake_not_for_its_turn() -> None:
    """A warm-up whose handshake is under way is already part paid: wait for it. A
    warm-up still waiting out the pace is not: give up at once."""
    connect = Connector()
    connect.gate = asyncio.Event()
    pool = WebSocketPool(connect, name="test", min_idle=1, connect_interval=NEVER)
    try:
        pool.start_warming()
        await wait_for(lambda: pool.warming_up, HANG_GUARD)
        waiting = asyncio.create_task(pool.acquire_now())
        await asyncio.sleep(0)
        assert not waiting.done()
        connect.gate.set()  # the handshake ends
        got = await asyncio.wait_for(waiting, HANG_GUARD)
        assert got == (cast(ClientConnection, connect.opened[0]), True)
        # The warm-up now wants a second socket but must wait 30 s for its turn.
        pool.discard(got[0])
        await wait_for(lambda: pool._turn.locked() and not pool.warming_up, HANG_GUARD)
        assert await asyncio.wait_for(pool.acquire_now(), HANG_GUARD) is None
    finally:
        await pool.close()


async def test_discard_never_waits_for_a_close_handshake() -> None:
    """A peer that never answers our close: discarding its socket returns at once (the
    close runs in the background), and closing the pool ends that task."""
    connect = Connector()
    connect.close_blocks = asyncio.Event()
    pool = WebSocketPool(connect, name="test", min_idle=0)
    got = await pool.acquire()
    pool.discard(got[0])
    await wait_for(lambda: connect.opened[0].close_started, HANG_GUARD)
    assert connect.opened[0].state is State.OPEN  # still closing, and nobody waits
    connect.close_blocks.set()
    await asyncio.wait_for(pool.close(), HANG_GUARD)
    assert connect.opened[0].state is State.CLOSED
