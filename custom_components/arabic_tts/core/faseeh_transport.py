"""Which transport a Faseeh account speaks over, and the switch from socket to REST.

``rest`` and ``websocket`` are what they say. ``auto`` starts on the socket, whose
``initConnection`` is a free check of the key at start-up, and:

- moves the account to REST for good (while the client lives; logged once at WARNING
  with the reason) when the socket refuses the key (40101) while REST's free ``/models``
  call accepts it, or when it gives no audio in time after a trigger (a silent socket
  cannot be told without spending credits: that request finishes over REST, and nobody
  waits for it a second time). Only the silent socket of the evidence counts: one that
  has never given audio, silent for (nearly) all of its share. A socket that has spoken,
  or whose opening took most of its share, may just be slow to start: that reply goes
  over REST and the socket's breaker rests it (below);
- sends a request over REST at once while the socket's breaker is open (breaker.py):
  after the socket failed as a transport (unreachable, dropped, unreadable, not ready in
  time); its background check (an ``initConnection``) brings it back. An error Faseeh
  reports itself (50001, 42901, …) would be the same over REST and is raised as it is.

"In time" is the socket's share of the time budget (budget.py): half of what is left of
the first-audio deadline when a voice waits to fall back on (0.5 s by default), so REST's
own first audio still fits; ``first_audio_limit`` (3 s) without one. That covers a
start-up whose socket is still being opened: a request waits for it no longer.

A request with a dialect other than ``auto`` goes over REST in ``auto`` (the socket has no
dialect field; the account stays where it is) and is refused in ``websocket``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from .audio import PcmChunk
from .breaker import FIRST_BACKOFF, Breaker, Breakers
from .budget import Attempt, current_attempt, note_transport
from .errors import (
    AuthFailed,
    BadRequest,
    CircuitOpen,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TtsError,
)
from .faseeh_api import (
    PROVIDER,
    TRANSPORT_AUTO,
    TRANSPORT_REST,
    TRANSPORT_WEBSOCKET,
    FaseehVoiceSettings,
    UnreadableReply,
)
from .faseeh_rest import FaseehRest
from .faseeh_ws import AUTH_QUERY, FaseehSocket, SocketSilent
from .tasks import BackgroundTasks

_LOGGER = logging.getLogger(__name__)

# A real first audio takes a few hundred milliseconds; a socket silent for this long after
# a trigger is taken for one that never speaks (the limit never exceeds half the
# provider timeout). With a voice to fall back on, the budget's share below applies.
FIRST_AUDIO_LIMIT = 3.0
# The socket's share of what is left of the first-audio deadline; REST has the rest.
SOCKET_SHARE = 0.5
# A silence proves a silent socket only if the generation had at least this part of the
# socket's share (a warm socket loses nothing of it; opening one may take most of it).
SILENCE_PROOF = 0.8

CheckKey = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class TransportState:
    """Which transport an account speaks over, since when and why (diagnostics, probe)."""

    mode: str  # configured: auto | websocket | rest
    transport: str  # in use: websocket | rest
    since: datetime
    reason: str
    socket_auth: str | None = None  # "init" | "query" once the socket accepted the key
    socket_reuse: bool = True  # False once isFinal was seen in the middle of a generation
    quiet_after_final: float = 0.0  # seconds a socket reply listens on after isFinal

    def as_dict(self) -> dict[str, Any]:
        """Plain values (the time as ISO 8601) for diagnostics and reports."""
        data = asdict(self)
        data["since"] = self.since.isoformat()
        return data


class TransportChooser:
    """Sends each request over the account's transport and moves it to REST when needed."""

    def __init__(
        self,
        mode: str,
        socket: FaseehSocket,
        rest: FaseehRest,
        *,
        check_key: CheckKey,
        first_audio_limit: float,
        context: str = "",
        backoff: float = FIRST_BACKOFF,
    ) -> None:
        """``context`` is said in the settled line (for example the region); ``backoff``
        is the breakers' first pause before a check (breaker.py)."""
        self.mode = mode
        self._context = context
        self._settings: FaseehVoiceSettings | None = None
        self._settled_said = False
        self.socket = socket
        self.rest = rest
        self._check_key = check_key
        self.first_audio_limit = first_audio_limit
        transport = TRANSPORT_REST if mode == TRANSPORT_REST else TRANSPORT_WEBSOCKET
        reason = {
            TRANSPORT_REST: "chosen in the configuration",
            TRANSPORT_WEBSOCKET: "chosen in the configuration (no REST fallback)",
            TRANSPORT_AUTO: "auto starts on the WebSocket; not confirmed yet",
        }[mode]
        self._state = TransportState(mode, transport, datetime.now(UTC), reason)
        self._probe: asyncio.Task[None] | None = None
        self._tasks = BackgroundTasks()
        self.breakers = Breakers()
        self.socket_breaker = self.breakers.add(
            TRANSPORT_WEBSOCKET,
            Breaker(f"{PROVIDER} WebSocket", check=self._check_socket, first_backoff=backoff),
        )
        self.rest_breaker = self.breakers.add(
            TRANSPORT_REST,
            Breaker(f"{PROVIDER} REST stream", check=check_key, first_backoff=backoff),
        )
        if mode == TRANSPORT_REST:
            self.socket_breaker.retire("the configuration chose REST")

    @property
    def state(self) -> TransportState:
        """A snapshot, with what the socket has learned so far."""
        return replace(
            self._state,
            socket_auth=self.socket.auth_form if self.socket.accepted_key else None,
            socket_reuse=self.socket.reuse,
            quiet_after_final=self.socket.current_quiet,
        )

    @property
    def transport(self) -> str:
        """``websocket`` or ``rest``: what the next request uses."""
        return self._state.transport

    # --- start-up -------------------------------------------------------------------------

    def start(self, settings: FaseehVoiceSettings) -> None:
        """Warm the transport and check the key without spending credits."""
        if self._probe is not None:
            return
        self._settings = settings
        if self.mode == TRANSPORT_REST:
            self._probe = self._tasks.spawn(self._probe_rest())
            return
        if self.mode == TRANSPORT_AUTO:
            _LOGGER.debug(
                "Faseeh: transport auto: opening the WebSocket (key in initConnection); REST "
                "takes over if the socket refuses the key, fails, or gives no audio within "
                "%g s of a request",
                self.first_audio_limit,
            )
        self._probe = self._tasks.spawn(self._probe_socket(settings))

    async def _probe_rest(self) -> None:
        try:
            await self._check_key()
        except TtsError as err:
            _LOGGER.warning("Faseeh: the key check over REST failed: %s", err)
        self._say_settled()

    async def _probe_socket(self, settings: FaseehVoiceSettings) -> None:
        await self._prime_socket(settings)
        self._say_settled()

    async def _prime_socket(self, settings: FaseehVoiceSettings) -> None:
        try:
            await self.socket.pool.prime(settings)
        except AuthFailed as err:
            if self.mode != TRANSPORT_AUTO:
                _LOGGER.warning("Faseeh: the WebSocket refused the key: %s", err)
                self._state = replace(self._state, reason=f"the WebSocket refused the key ({err})")
                return
            try:
                await self._socket_refused_key(err)
            except AuthFailed as rest_refused:
                _LOGGER.warning("Faseeh refused the API key: %s", rest_refused)
                self._state = replace(self._state, reason=f"the key was refused ({rest_refused})")
            except TtsError as rest_failed:
                _LOGGER.warning(
                    "Faseeh: the WebSocket refused the key and REST could not check it: %s",
                    rest_failed,
                )
            return
        except TtsError as err:
            _LOGGER.warning(
                "Faseeh: could not open the WebSocket yet (%s); requests will try again", err
            )
            self._state = replace(
                self._state,
                reason=f"not confirmed: the WebSocket could not be opened yet ({err.code})",
            )
        else:
            self._state = replace(
                self._state,
                reason=f"the WebSocket accepted the key (in {self._key_form()})",
            )
        self.socket.pool.keep_warm(settings)

    def _say_settled(self) -> None:
        """The transport and settings the account settled on at start-up: once, at INFO."""
        if self._settled_said:
            return
        self._settled_said = True
        _LOGGER.info("Faseeh: %s", self.describe())

    def describe(self) -> str:
        """One line: the transport in use, why, and the settings requests are sent with."""
        state = self.state
        if state.transport == TRANSPORT_REST:
            words = "speaking over REST"
        else:
            form = "the URL" if state.socket_auth == AUTH_QUERY else "initConnection"
            reuse = "sockets reused" if state.socket_reuse else "a fresh socket per reply"
            words = f"speaking over the WebSocket (key in {form}, {reuse})"
        parts = [f"{words}: {state.reason}"]
        settings = self._settings
        if settings is not None:
            dialect = f"dialect {settings.dialect}"
            if settings.needs_rest:
                dialect += " (requests go over REST: the WebSocket has no dialect)"
            parts.append(
                ", ".join(
                    part
                    for part in (
                        self._context,
                        f"model {settings.model_id}",
                        f"{settings.sample_rate} Hz",
                        dialect,
                    )
                    if part
                )
            )
        return "; ".join(parts)

    def _key_form(self) -> str:
        return "the URL" if self.socket.auth_form == AUTH_QUERY else "initConnection"

    async def _socket_refused_key(self, refused: AuthFailed) -> None:
        """The socket said 40101: switch if REST accepts the key, else raise REST's verdict."""
        await self._check_key()  # raises REST's own verdict (with the region hint)
        code = refused.provider_text or "40101"
        await self._switch_to_rest(f"the WebSocket refused the key ({code}) while REST accepted it")

    # --- requests -----------------------------------------------------------------------

    async def synthesize(
        self, text: str, settings: FaseehVoiceSettings
    ) -> AsyncGenerator[PcmChunk]:
        """Speak over the account's transport; in ``auto`` finish over REST if the socket
        cannot (see the module docstring)."""
        if settings.needs_rest and self.mode == TRANSPORT_WEBSOCKET:
            raise BadRequest(
                f"The Faseeh dialect {settings.dialect!r} needs the REST transport (the "
                "WebSocket has no dialect); choose transport auto or rest.",
                provider=PROVIDER,
            )
        attempt = current_attempt()
        if not self._socket_first(settings, attempt):
            async with contextlib.aclosing(self._rest_stream(text, settings)) as stream:
                async for chunk in stream:
                    yield chunk
            return
        share = self._socket_share(attempt)
        by = None if share is None else asyncio.get_running_loop().time() + share
        probe = self._probe
        if probe is not None and not probe.done():
            # The warm socket (or the switch) is on its way; a request waits for it
            # only as long as the socket's share of the budget (auto), or until the voice
            # behind gives up on it, which then blames the socket (websocket).
            note_transport(self.socket_breaker)
            loop = asyncio.get_running_loop()
            await asyncio.wait([probe], timeout=None if by is None else by - loop.time())
            if not probe.done():
                self.socket_breaker.failed("it was not ready in time for a request")
                async with contextlib.aclosing(self._rest_stream(text, settings)) as stream:
                    async for chunk in stream:
                        yield chunk
                return
            if self.transport == TRANSPORT_REST:
                async with contextlib.aclosing(self._rest_stream(text, settings)) as stream:
                    async for chunk in stream:
                        yield chunk
                return
        yielded = False
        breaker = self.socket_breaker
        note_transport(breaker)
        try:
            socket_stream = self._with_slot_retry(
                lambda: self.socket.synthesize(text, settings, first_audio_by=by)
            )
            async with contextlib.aclosing(socket_stream) as stream:
                async for chunk in stream:
                    if not yielded:
                        yielded = True
                        breaker.succeeded()
                    yield chunk
            return
        except SocketSilent as silent:
            assert share is not None  # only raised with a deadline
            said = f"no audio within {silent.waited:.1f} s of the trigger"
            if self.socket.has_spoken or silent.waited < share * SILENCE_PROOF:
                breaker.failed(f"{said}: slow to start, not silent")  # this reply: REST
            else:
                await self._switch_to_rest(f"the WebSocket accepted the text but sent {said}")
        except AuthFailed as refused:
            if yielded or self.mode != TRANSPORT_AUTO:
                raise
            await self._socket_refused_key(refused)  # raises when REST refuses the key too
        except (ProviderUnavailable, ProviderTimeout, UnreadableReply) as err:
            # The socket failed as a transport; an error Faseeh reported itself (50001,
            # 42901, ...) is the same over REST and is not a reason to switch. A drop
            # after audio is a passing fault: the fallback chain finishes that reply.
            if isinstance(err, ProviderTimeout) or not yielded:
                breaker.failed(f"{err.code}: {err.message.rstrip('.')}")
            if yielded or self.mode != TRANSPORT_AUTO:
                raise
        async with contextlib.aclosing(self._rest_stream(text, settings)) as stream:
            async for chunk in stream:
                yield chunk

    def _socket_first(self, settings: FaseehVoiceSettings, attempt: Attempt | None) -> bool:
        """Whether this request starts on the socket (see the module docstring); raises
        CircuitOpen when no transport may be used and a voice waits to fall back on."""
        if self.mode == TRANSPORT_REST or settings.needs_rest or self.transport == TRANSPORT_REST:
            return False
        if self.socket_breaker.admit():
            return True
        if self.mode == TRANSPORT_WEBSOCKET:
            if attempt is not None:
                raise CircuitOpen(
                    f"Faseeh is not used for now: its WebSocket failed recently "
                    f"({self.socket_breaker.status.reason}); it is checked in the background.",
                    provider=PROVIDER,
                )
            return True  # nothing else to try: late speech beats none
        return False

    def _socket_share(self, attempt: Attempt | None) -> float | None:
        """Seconds from now the socket has to give audio before REST takes over (auto)."""
        if self.mode != TRANSPORT_AUTO:
            return None
        limit = self.first_audio_limit
        if attempt is not None:
            limit = min(limit, attempt.remaining() * SOCKET_SHARE)
        return limit

    async def _rest_stream(
        self, text: str, settings: FaseehVoiceSettings
    ) -> AsyncGenerator[PcmChunk]:
        """The request over REST, its breaker told how it went (CircuitOpen at once when
        it rests and a voice waits to fall back on)."""
        breaker = self.rest_breaker
        if not breaker.admit() and current_attempt() is not None:
            raise CircuitOpen(
                f"Faseeh is not used for now: its REST stream failed recently "
                f"({breaker.status.reason}); it is checked in the background.",
                provider=PROVIDER,
            )
        note_transport(breaker)
        yielded = False
        stream = self._with_slot_retry(lambda: self.rest.synthesize(text, settings))
        try:
            async with contextlib.aclosing(stream):
                async for chunk in stream:
                    if not yielded:
                        yielded = True
                        breaker.succeeded()
                    yield chunk
        except (ProviderUnavailable, ProviderTimeout) as err:
            if isinstance(err, ProviderTimeout) or not yielded:
                breaker.failed(f"{err.code}: {err.message.rstrip('.')}")
            raise

    async def _with_slot_retry(
        self, attempt: Callable[[], AsyncGenerator[PcmChunk]]
    ) -> AsyncGenerator[PcmChunk]:
        """On 42901 before any audio while we hold an idle socket, free it and retry once:
        an idle warm socket must never cost a real request its slot."""
        for tries_left in (1, 0):
            yielded = False
            stream = attempt()
            try:
                async with contextlib.aclosing(stream):
                    async for chunk in stream:
                        yielded = True
                        yield chunk
                return
            except RateLimited:
                if yielded or not tries_left or not self.socket.pool.idle_count:
                    raise
                _LOGGER.info("Faseeh: plan concurrency limit reached; closing the idle socket")
                await self.socket.pool.close_idle()

    async def _switch_to_rest(self, reason: str) -> None:
        """Move the account to REST for good; said once, at WARNING, with the reason."""
        if self._state.transport == TRANSPORT_REST:
            return
        self._state = replace(
            self._state, transport=TRANSPORT_REST, since=datetime.now(UTC), reason=reason
        )
        self.socket_breaker.retire(reason)
        _LOGGER.warning(
            "Faseeh: this account now speaks over REST instead of the WebSocket: %s. It "
            "stays on REST until restarted (set the transport to rest to skip the socket).",
            reason,
        )
        await self.socket.pool.retire()

    async def _check_socket(self) -> None:
        """The socket's free check: a connection that opens and initialises."""
        await self.socket.check(self._settings or FaseehVoiceSettings())

    async def close(self) -> None:
        """Cancel and await the probe, every task and the breakers' checks."""
        await self._tasks.cancel_and_wait()  # the probe is one of them
        await self.breakers.close()
