"""Warm, reusable WebSocket connections: one request at a time on each socket.

A request should never pay a handshake that could have been paid earlier. The pool keeps
``min_idle`` sockets open ahead of demand (counting sockets in use, so one household's
sequential requests share one socket), takes back a socket after a clean reply,
notices sockets the provider closed while idle (each open socket has a watcher task) and
replaces them in the background.

It can also pace itself: with ``connect_interval`` it never starts two connections less
than that many seconds apart, because a provider may punish bursts of new connections
(Hamsa is suspected to answer them with a useless 640-byte reply).

Two ways to get a socket, for the time budget (budget.py): ``acquire_now`` never waits
for the pace (an idle socket, the one a warm-up handshake is opening, or a new one if the
pace allows it now; else None, and the caller takes another way: hamsa.py goes over
REST), so the pace delays only the pool's own growth; ``acquire`` waits for its turn and
takes a socket given back in the meantime instead, whichever comes first (the last
resort, bounded by the fallback chain's deadline when a voice waits behind it). Sockets
in an unknown state are closed in the background: a close handshake may take seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

from .errors import AuthFailed, InsufficientFunds, TtsError
from .tasks import BackgroundTasks
from .websocket import close_quietly

_LOGGER = logging.getLogger(__name__)

MAX_WARM_BACKOFF = 60.0
MIN_HEALTHY_LIFETIME = 5.0


class _WarmUpStopped(Exception):
    """A warm-up open gave up its turn: warming was blocked while it waited."""


class WebSocketPool:
    """A small pool of open connections made by ``connect``."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[ClientConnection]],
        *,
        name: str,
        min_idle: int = 1,
        max_idle: int = 4,
        connect_interval: float = 0.0,
        no_rewarm_close_codes: frozenset[int] = frozenset(),
    ) -> None:
        self._connect_fn = connect
        self._name = name
        self._min_idle = min_idle
        self._max_idle = max(max_idle, min_idle)
        self._connect_interval = connect_interval
        # Paced opens run one at a time; the next may start ``connect_interval`` after the
        # previous handshake ended (so the provider sees them at least that far apart).
        self._turn = asyncio.Lock()
        self._last_open: float | None = None  # loop time the last paced connection opened
        # Set whenever a socket becomes idle or a warm-up handshake ends: waiters look again.
        self._changed = asyncio.Event()
        self._no_rewarm_close_codes = no_rewarm_close_codes
        self._idle: list[ClientConnection] = []
        self._in_use: set[ClientConnection] = set()
        self._opened_at: dict[ClientConnection, float] = {}
        self._tasks = BackgroundTasks()
        self._warm_task: asyncio.Task[None] | None = None
        self._opening: asyncio.Task[ClientConnection] | None = None  # the warm-up's open
        self._warm_handshake = False  # a warm-up's handshake is under way (not its turn)
        self._warm_wanted = False
        self._warm_blocked = False
        self._backoff = 1.0
        self._closed = False

    @property
    def idle_count(self) -> int:
        """Open sockets waiting for a request."""
        return sum(1 for conn in self._idle if conn.state is State.OPEN)

    async def acquire(self, *, fresh: bool = False) -> tuple[ClientConnection, bool]:
        """Return an open socket and whether it was reused (warm) or new.

        With no idle socket but a warm-up handshake under way (just after start-up or a
        replacement), wait for that one (it is already part paid, a new one is not) or
        for a socket given back meanwhile. A new connection waits for its turn under
        ``connect_interval``, and takes a socket given back meanwhile instead.

        ``fresh`` skips the idle sockets and opens a new one (still paced): the retry
        after a reused socket failed, since the other pooled sockets may be just as stale
        (a provider instance that restarts answers every old socket's next request with
        1001).
        """
        if fresh:
            return await self._open_in_use(), False
        while True:
            if idle := self._take_idle():
                return idle, True
            opening = self._opening
            if opening is not None and not opening.done():
                # The warm-up files its socket as idle (and says so) before we resume.
                await self._wait_for_change(None)
                continue
            if self._turn.locked():
                # Another connection is being opened at its turn; it says when it is done.
                await self._wait_for_change(None)
                continue
            delay = self._pace_delay()
            if delay <= 0:
                return await self._open_in_use(), False
            await self._wait_for_change(delay)

    def take_idle(self) -> ClientConnection | None:
        """An idle socket now, or None (never opens one): a retry that wants another
        socket than the one it just used, if there is one."""
        return self._take_idle()

    def can_open_now(self) -> bool:
        """Whether a new connection may start now without waiting for the pace (none is
        being opened at its turn, and the last one opened long enough ago)."""
        if self._closed:
            return False
        if self._connect_interval <= 0:
            return True
        return not self._turn.locked() and self._pace_delay() <= 0

    @property
    def warming_up(self) -> bool:
        """A warm-up handshake is under way (its socket will be idle when it ends); a
        warm-up still waiting for its turn is not."""
        return self._warm_handshake

    async def acquire_now(
        self, *, fresh: bool = False, connect: bool = True
    ) -> tuple[ClientConnection, bool] | None:
        """A socket without waiting for the pace, or None: an idle one, or the one a
        warm-up handshake under way is opening (already part paid), else a new one if
        ``connect`` and the pace allows it now (``fresh``: only a new one). The caller
        takes another way on None (the time budget: a request never waits for a paced
        connection)."""
        while not fresh:
            if (idle := self._take_idle()) is not None:
                return idle, True
            if not self.warming_up:
                break
            # The warm-up files its socket as idle (and says so) before we resume; another
            # request may take it first, then we look again.
            await self._wait_for_change(None)
        if not connect or not self.can_open_now():
            return None
        return await self._open_in_use(), False

    async def _wait_for_change(self, timeout: float | None) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._changed.wait()

    def _pace_delay(self) -> float:
        """Seconds until a new connection may start (0: now)."""
        if self._connect_interval <= 0 or self._last_open is None:
            return 0.0
        loop = asyncio.get_running_loop()
        return max(0.0, self._last_open + self._connect_interval - loop.time())

    async def _open_in_use(self) -> ClientConnection:
        conn = await self._open()
        self._in_use.add(conn)
        return conn

    def _take_idle(self) -> ClientConnection | None:
        while self._idle:
            conn = self._idle.pop()
            if conn.state is State.OPEN:
                self._in_use.add(conn)
                return conn
        return None

    def release(self, conn: ClientConnection) -> None:
        """Give back a socket whose last reply ended cleanly."""
        self._in_use.discard(conn)
        self._warm_blocked = False
        self._backoff = 1.0
        if self._closed or conn.state is not State.OPEN or len(self._idle) >= self._max_idle:
            self._tasks.spawn(close_quietly(conn))
            return
        self._idle.append(conn)
        self._changed.set()

    def discard(self, conn: ClientConnection) -> None:
        """Close a socket in an unknown state (mid-reply, after an error), in the
        background: a close handshake may take seconds, and no request waits for it."""
        self._in_use.discard(conn)
        with contextlib.suppress(ValueError):
            self._idle.remove(conn)
        self._tasks.spawn(close_quietly(conn))
        self._ensure_warm()

    def start_warming(self) -> None:
        """Keep ``min_idle`` sockets open from now on (start-up, after configuration)."""
        self._warm_wanted = True
        self._ensure_warm()

    async def wait_warm(self, timeout: float) -> bool:
        """Wait until a warm socket exists (tests and benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle_count >= min(1, self._min_idle):
                return True
            await asyncio.sleep(0.01)
        return False

    async def close(self) -> None:
        """Close every socket and cancel and await every task the pool started."""
        self._closed = True
        tasks = self._tasks.cancel()
        for conn in list(self._opened_at):
            await close_quietly(conn)
        self._idle.clear()
        await self._tasks.wait(tasks)

    async def _open(self, *, warm_up: bool = False) -> ClientConnection:
        if self._connect_interval > 0:
            conn = await self._paced_connect(warm_up=warm_up)
        else:
            conn = await self._handshake(warm_up=warm_up)
        self._opened_at[conn] = time.monotonic()
        self._tasks.spawn(self._watch(conn))
        return conn

    async def _paced_connect(self, *, warm_up: bool) -> ClientConnection:
        """Connect at our turn: one handshake at a time, ``connect_interval`` apart.

        The wait ends early when the pace is reset (an account close), and a warm-up
        gives up its turn when warming was blocked meanwhile.
        """
        async with self._turn:
            try:
                while (delay := self._pace_delay()) > 0:
                    if warm_up and self._warm_blocked:
                        raise _WarmUpStopped
                    await self._wait_for_change(delay)
                if warm_up and self._warm_blocked:
                    raise _WarmUpStopped
                # Only connections that opened count against the pace: a failure (the
                # network down, a certificate refused) is reported at once, so the
                # offline voice can speak instead of waiting for a turn that cannot help.
                conn = await self._handshake(warm_up=warm_up)
                self._last_open = asyncio.get_running_loop().time()
                return conn
            finally:
                # However the turn ends (opened, failed, cancelled while waiting), whoever
                # waits for it is woken.
                self._changed.set()

    async def _handshake(self, *, warm_up: bool) -> ClientConnection:
        """``connect``; a warm-up's is flagged (see ``warming_up``) until ``_warm`` has
        filed its socket as idle or given up."""
        if warm_up:
            self._warm_handshake = True
        return await self._connect_fn()

    async def _watch(self, conn: ClientConnection) -> None:
        """Notice a socket closing (idle timeout, server restart) and replace it."""
        await conn.wait_closed()
        opened = self._opened_at.pop(conn, time.monotonic())
        was_idle = conn in self._idle
        with contextlib.suppress(ValueError):
            self._idle.remove(conn)
        code = conn.close_code
        if code in self._no_rewarm_close_codes:
            self._warm_blocked = True
            # A refused account gets no audio, glitched or not: the next request (after
            # a new key or a top-up) need not wait for its turn to find out.
            self._last_open = None
            self._changed.set()
            _LOGGER.warning(
                "%s closed a connection with code %s; not reconnecting", self._name, code
            )
            return
        if was_idle:
            _LOGGER.debug("%s closed an idle connection (code %s); replacing it", self._name, code)
            if time.monotonic() - opened < MIN_HEALTHY_LIFETIME:
                self._backoff = min(self._backoff * 2, MAX_WARM_BACKOFF)
        self._ensure_warm()

    def _ensure_warm(self) -> None:
        if (
            self._closed
            or not self._warm_wanted
            or self._warm_blocked
            or (self._warm_task is not None and not self._warm_task.done())
            or len(self._idle) + len(self._in_use) >= self._min_idle
        ):
            return
        self._warm_task = self._tasks.spawn(self._warm())

    async def _warm(self) -> None:
        # A close code that forbids re-warming (bad key, empty wallet) stops the loop too:
        # with several warm sockets, each new one would otherwise be refused in turn.
        while (
            not self._closed
            and not self._warm_blocked
            and len(self._idle) + len(self._in_use) < self._min_idle
        ):
            self._opening = self._tasks.spawn(self._open(warm_up=True))
            try:
                conn = await self._opening
            except BaseException as err:
                self._after_warm_open()
                if isinstance(err, _WarmUpStopped):
                    return
                if isinstance(err, AuthFailed | InsufficientFunds):
                    _LOGGER.warning("%s: cannot keep a connection warm: %s", self._name, err)
                    self._warm_blocked = True
                    return
                if not isinstance(err, TtsError):
                    raise
                _LOGGER.debug("%s: warm connection failed (%s); retrying", self._name, err)
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, MAX_WARM_BACKOFF)
                continue
            if self._closed:
                self._after_warm_open()
                await close_quietly(conn)
                return
            self._idle.append(conn)
            self._after_warm_open()

    def _after_warm_open(self) -> None:
        """The warm-up's open is over (filed, failed or stopped): waiters look again."""
        self._opening = None
        self._warm_handshake = False
        self._changed.set()
