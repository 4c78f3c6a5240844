"""What one client may cost the server: event size, text length, idle time, connections.

A home server answers a handful of clients (Home Assistant, satellites), each sending
events of a few hundred bytes. The defaults leave every real request far inside them and
stop a broken or hostile client from holding memory, a connection or the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

# The JSON of a request carrying the longest text, even with every character escaped
# (\uXXXX: 6 bytes), fits with room to spare.
DEFAULT_MAX_EVENT_BYTES = 1024 * 1024
# About an hour and a half of speech; a wallet-draining mistake rather than a request.
DEFAULT_MAX_TEXT_CHARS = 100_000
# Longer than any pause of a language model between two sentences of one reply.
DEFAULT_IDLE_TIMEOUT = 60.0
# A household has a few clients; an announcement to every room is one connection each.
DEFAULT_MAX_CONNECTIONS = 64


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Per-connection and per-server limits (flags ``--max-event-bytes`` and friends)."""

    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS


class IdleTimer:
    """Calls ``on_idle`` once the connection did nothing for ``timeout`` seconds.

    A reply under way (``busy()``) counts as activity, so only a client that sends nothing
    while nothing is being spoken for it runs the clock. One timer per connection,
    re-armed at most once per ``timeout``: touching it costs a clock read.
    """

    def __init__(
        self, timeout: float | None, busy: Callable[[], bool], on_idle: Callable[[], None]
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._timeout = timeout
        self._busy = busy
        self._on_idle = on_idle
        self._last = self._loop.time()
        self._handle: asyncio.TimerHandle | None = None
        if timeout is not None:
            self._handle = self._loop.call_at(self._last + timeout, self._check)

    def touch(self) -> None:
        """Something happened: the idle time starts again."""
        self._last = self._loop.time()

    def cancel(self) -> None:
        """The connection is over."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _check(self) -> None:
        assert self._timeout is not None
        now = self._loop.time()
        if self._busy():
            self._last = now
        due = self._last + self._timeout
        if now >= due:
            self._handle = None
            self._on_idle()
            return
        self._handle = self._loop.call_at(due, self._check)
