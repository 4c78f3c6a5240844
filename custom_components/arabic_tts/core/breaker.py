"""Remember what failed: one circuit breaker per provider and transport.

A provider that stalls costs a reply its first-audio deadline once; without memory it
would cost every later reply the same wait. So each way of reaching a provider (Hamsa's
WebSocket, Hamsa's REST stream, Faseeh's socket, Faseeh's REST stream) has a breaker:

- **closed**: requests use it.
- **open**: after a missed deadline, a stall, a timeout, a handshake slower than the
  deadline, or a failure to reach it before any audio (a drop after audio is a passing
  fault: the chain finishes that reply), requests skip it and take another way (the
  other transport, or the next voice) at once. A background check that costs nothing (a key
  check, a socket that opens and greets) runs after a pause that doubles each time it
  fails, up to ``max_backoff``.
- **half open**: the check passed; the next request uses it again (one at a time). Its
  first audio closes the breaker; another failure opens it with twice the pause.

Errors a provider reports at once (a refused key, an empty wallet, a bad request, an
internal error) open nothing: they cost no wait, and the next request hears of them just
as fast. A breaker with no check (``retire``) stays open for the life of the client (the
Faseeh socket that gave no audio: the account speaks over REST from then on).

Every change of state is one log line (WARNING when a way closes, INFO when it is back);
``status`` gives state, since when, why and the next check for diagnostics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from .tasks import BackgroundTasks

_LOGGER = logging.getLogger(__name__)

FIRST_BACKOFF = 2.0
MAX_BACKOFF = 300.0
CHECK_TIMEOUT = 10.0
# A half-open breaker lets one request through; one that never reports (its client left)
# frees the turn after this long.
TRIAL_TIMEOUT = 10.0

Check = Callable[[], Awaitable[object]]


class BreakerState(StrEnum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """A snapshot for diagnostics and the log: state, since when, why, the next check."""

    name: str
    state: BreakerState
    since: datetime
    reason: str
    next_check: datetime | None  # None: no check is planned (closed, or retired)
    failures: int  # failures since the breaker was last closed

    def as_dict(self) -> dict[str, Any]:
        """Plain values (times as ISO 8601) for diagnostics and reports."""
        data = asdict(self)
        data["state"] = str(self.state)
        data["since"] = self.since.isoformat()
        data["next_check"] = self.next_check.isoformat() if self.next_check else None
        return data

    def describe(self) -> str:
        """One line: "Hamsa WebSocket: open since 10:02:03 (no audio within 1 s); …"."""
        line = f"{self.name}: {self.state.replace('_', ' ')} since {self.since:%H:%M:%S}"
        if self.reason:
            line += f" ({self.reason})"
        if self.next_check is not None:
            line += f"; next check {self.next_check:%H:%M:%S}"
        return line


class Breaker:
    """One provider transport's breaker (see the module docstring).

    ``check`` is the free background check; without one the breaker goes half open when
    its pause is over. The provider code calls ``admit`` before it uses the transport,
    ``succeeded`` when audio arrived over it and ``failed`` when it failed in a way that
    cost time; the fallback chain calls ``failed`` for a missed deadline or a stall.
    """

    def __init__(
        self,
        name: str,
        *,
        check: Check | None = None,
        first_backoff: float = FIRST_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        check_timeout: float = CHECK_TIMEOUT,
    ) -> None:
        self.name = name
        self._check = check
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._check_timeout = check_timeout
        self._state = BreakerState.CLOSED
        self._since = datetime.now(UTC)
        self._reason = ""
        self._failures = 0
        self._backoff = first_backoff
        self._next_check: datetime | None = None
        self._retired = False
        self._trial_until: float | None = None  # loop time a half-open trial expires
        self._tasks = BackgroundTasks()
        self._checking: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._closed = False  # close() ran: no check starts any more

    @property
    def state(self) -> BreakerState:
        """closed, open or half_open."""
        return self._state

    @property
    def closed(self) -> bool:
        """True while requests use this transport without a second thought."""
        return self._state is BreakerState.CLOSED

    @property
    def status(self) -> BreakerStatus:
        """A snapshot (see BreakerStatus)."""
        return BreakerStatus(
            self.name, self._state, self._since, self._reason, self._next_check, self._failures
        )

    def admit(self) -> bool:
        """May a request use this transport now? Closed: yes. Open: no. Half open: the
        first request yes (it is the trial), the others no until the trial reports."""
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.OPEN:
            return False
        now = asyncio.get_running_loop().time()
        if self._trial_until is not None and now < self._trial_until:
            return False
        self._trial_until = now + TRIAL_TIMEOUT
        return True

    def succeeded(self) -> None:
        """Audio arrived over this transport: it works (a half-open breaker closes)."""
        if self._state is BreakerState.CLOSED:
            return
        if self._state is BreakerState.OPEN and self._retired:
            return
        was = self._state
        self._set(BreakerState.CLOSED, "")
        self._failures = 0
        self._backoff = self._first_backoff
        self._next_check = None
        self._trial_until = None
        self._stop_checking()
        _LOGGER.info("%s works again (was %s)", self.name, was.replace("_", " "))

    def failed(self, reason: str) -> None:
        """It failed in a way that cost time: open (or stay open), and check in the
        background. Said once per change of state."""
        self._failures += 1
        if self._retired:
            return
        if self._state is BreakerState.OPEN:
            self._reason = reason
            return
        if self._state is BreakerState.HALF_OPEN:
            self._backoff = min(self._backoff * 2, self._max_backoff)
        self._trial_until = None
        self._set(BreakerState.OPEN, reason)
        if not self._closed:
            self._next_check = datetime.now(UTC) + timedelta(seconds=self._backoff)
        self._start_checking()
        _LOGGER.warning(
            "%s is skipped for now: %s. Requests take another way; next check in %s",
            self.name,
            reason,
            _seconds(self._backoff),
        )

    def retire(self, reason: str) -> None:
        """Open for good (no check): the client will not use this transport again."""
        if self._retired:
            return
        self._retired = True
        self._next_check = None
        self._stop_checking()
        self._set(BreakerState.OPEN, reason)

    async def wait_for(self, state: BreakerState) -> None:
        """Wait until the breaker is in ``state`` (tests and tools; no timeout of its own)."""
        while self._state is not state:
            self._changed.clear()
            await self._changed.wait()

    async def close(self) -> None:
        """Cancel and await the background check; a failure reported later (a request
        that outlived its client) starts none."""
        self._closed = True
        self._next_check = None
        await self._tasks.cancel_and_wait()

    # --- internals ----------------------------------------------------------------------

    def _set(self, state: BreakerState, reason: str) -> None:
        self._state = state
        self._reason = reason
        self._since = datetime.now(UTC)
        self._changed.set()

    def _start_checking(self) -> None:
        if self._closed:
            return
        if self._checking is None or self._checking.done():
            self._checking = self._tasks.spawn(self._check_loop())

    def _stop_checking(self) -> None:
        checking, self._checking = self._checking, None
        if checking is not None and checking is not asyncio.current_task():
            checking.cancel()

    async def _check_loop(self) -> None:
        """Wait the pause, check; half open when the check passes, else a longer pause."""
        while self._state is BreakerState.OPEN and not self._retired:
            self._next_check = datetime.now(UTC) + timedelta(seconds=self._backoff)
            await asyncio.sleep(self._backoff)
            if self._state is not BreakerState.OPEN:
                return
            if await self._check_passes():
                self._next_check = None
                self._set(BreakerState.HALF_OPEN, self._reason)
                _LOGGER.info(
                    "%s answers again (%s); the next request tries it",
                    self.name,
                    "its check passed" if self._check is not None else "its pause is over",
                )
                return
            self._backoff = min(self._backoff * 2, self._max_backoff)

    async def _check_passes(self) -> bool:
        if self._check is None:
            return True
        try:
            async with asyncio.timeout(self._check_timeout):
                await self._check()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # any failure of the check: still down, said at DEBUG
            _LOGGER.debug("%s: check failed (%s)", self.name, err or type(err).__name__)
            return False
        return True


class Breakers:
    """The breakers of one client, by transport name."""

    def __init__(self) -> None:
        self._by_transport: dict[str, Breaker] = {}

    def add(self, transport: str, breaker: Breaker) -> Breaker:
        """Register ``breaker`` for ``transport`` and return it."""
        self._by_transport[transport] = breaker
        return breaker

    def __getitem__(self, transport: str) -> Breaker:
        return self._by_transport[transport]

    @property
    def all(self) -> tuple[Breaker, ...]:
        """Every breaker, in the order they were added."""
        return tuple(self._by_transport.values())

    def statuses(self) -> list[BreakerStatus]:
        """Snapshots of every breaker (diagnostics)."""
        return [breaker.status for breaker in self._by_transport.values()]

    async def close(self) -> None:
        """Stop every background check."""
        for breaker in self._by_transport.values():
            with contextlib.suppress(Exception):
                await breaker.close()


def _seconds(value: float) -> str:
    return f"{value:g} s"
