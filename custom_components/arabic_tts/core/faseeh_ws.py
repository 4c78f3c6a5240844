"""Faseeh over its WebSocket: the key in initConnection, one warm socket, isFinal not trusted.

- **Auth.** The key goes in ``initConnection.x_api_key``, never in a header (the socket
  refuses header auth with 40101). If that form is refused, the documented
  ``?x-api-key=`` URL is tried once; that URL is never logged and no exception text built
  here can carry it.
- **One warm socket per account.** A socket is bound to its settings by
  ``initConnection``. Plans allow 2, 5 or 10 generations at once and an idle socket may
  hold one of them, so at most one idle socket is kept (the one used last), and an idle
  socket for other settings is closed before a new one is opened.
- **End of a generation.** The docs end a generation with ``{"audio": "", "isFinal":
  true}``; one integrator saw ``isFinal`` on intermediate batches (providers.md). So:
  the documented end marker (``isFinal`` with no audio) ends the reply at once, and its
  socket settles in the background for a quiet window (0.3 s) before anyone reuses it
  (a request for the same voice waits for that, the rest of the window at most);
  ``isFinal`` on a message that carries audio is no end marker: the reply keeps reading
  until the end marker or a quiet window with nothing more (1 s for a client's first two
  replies, while we learn how the account behaves, then 0.3 s). Audio after an
  ``isFinal`` (inside a reply, while a socket settles, or waiting on an idle socket) is
  learned once: the windows grow to twice the largest gap seen and no socket is reused
  again (each generation gets a fresh, pre-opened socket); audio after the end marker
  also stops the marker ending replies at once. No byte of one reply reaches another.
- **Silence.** With ``first_audio_by`` set (transport ``auto``: a loop time), a socket
  that cannot be opened by then raises ProviderTimeout, and a generation that gives no
  audio by then raises ``SocketSilent``, so the caller can finish it over REST in time.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from .audio import AudioFormat, PcmChunk, SampleAligner
from .errors import (
    AuthFailed,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    TtsError,
)
from .faseeh_api import (
    PROVIDER,
    FaseehVoiceSettings,
    TransportHost,
    UnreadableReply,
    error_from_body,
    parse_message,
    redact,
)
from .redact import redact_error
from .tasks import BackgroundTasks
from .websocket import (
    RetryBeforeAudio,
    close_code,
    close_quietly,
    open_websocket,
    receive,
    send_request,
)

_LOGGER = logging.getLogger(__name__)

ATTEMPTS = 2
# How long a reply keeps listening after isFinal before it ends (and the socket is free).
# The first replies of a client listen longer, to learn whether this account's isFinal
# ends batches (a gap between batches shorter than this is caught inside the reply).
QUIET_AFTER_FINAL = 0.3
QUIET_WHILE_LEARNING = 1.0
LEARNING_REPLIES = 2
MAX_QUIET_AFTER_FINAL = 2.0
CLOSE_POLICY = 1008  # a close without an error message while checking the key
MAX_WARM_BACKOFF = 60.0
MIN_HEALTHY_LIFETIME = 5.0
AUTH_INIT = "init"
AUTH_QUERY = "query"


class SocketSilent(Exception):
    """No audio within the first-audio limit of a trigger (and nothing was yielded)."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"no audio within {waited:g} s of the trigger")
        self.waited = waited


Connect = Callable[[FaseehVoiceSettings], Awaitable[ClientConnection]]


class SocketPool:
    """At most one idle socket per account, initialised for the settings used last."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._idle: ClientConnection | None = None
        self._idle_settings: FaseehVoiceSettings | None = None
        self._in_use: set[ClientConnection] = set()
        self._opened_at: dict[ClientConnection, float] = {}
        self._opening: asyncio.Task[ClientConnection] | None = None
        self._opening_settings: FaseehVoiceSettings | None = None
        self._warm_settings: FaseehVoiceSettings | None = None  # None: keep nothing warm
        self._warm_task: asyncio.Task[None] | None = None
        self._tasks = BackgroundTasks()
        self._backoff = 1.0
        self._acquiring = 0  # requests opening their own socket right now
        self._retired = False  # the account left the socket: park nothing any more
        self._closed = False
        # Sockets whose reply ended at the end marker, listened to for a quiet window
        # before anyone reuses them: socket -> (its settings, the settling task).
        self._settling: dict[ClientConnection, tuple[FaseehVoiceSettings, asyncio.Task[None]]] = {}

    @property
    def idle_count(self) -> int:
        """Open sockets waiting for a request (0 or 1)."""
        return int(self._idle is not None and self._idle.state is State.OPEN)

    @property
    def settling(self) -> int:
        """Sockets whose reply ended at the end marker, not yet given back."""
        return len(self._settling)

    @property
    def open_count(self) -> int:
        """Sockets open now, idle or in use."""
        return len(self._opened_at)

    async def wait_warm(self, timeout: float) -> bool:
        """Wait until an idle socket exists (tests and benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle_count:
                return True
            await asyncio.sleep(0.01)
        return False

    async def prime(self, settings: FaseehVoiceSettings) -> None:
        """Open the warm socket now and raise whatever went wrong (the start-up probe)."""
        self._warm_settings = settings
        conn = await self._open_shared(settings)
        self._park(conn, settings)

    def keep_warm(self, settings: FaseehVoiceSettings | None) -> None:
        """Keep a socket for ``settings`` open ahead of requests (None: stop)."""
        self._warm_settings = settings
        self._ensure_warm()

    async def retire(self) -> None:
        """The account no longer speaks over the socket: close idle sockets, park none."""
        self._retired = True
        self._warm_settings = None
        await self.close_idle()

    async def acquire(
        self, settings: FaseehVoiceSettings, *, fresh: bool = False
    ) -> tuple[ClientConnection, bool]:
        """An initialised socket for ``settings`` and whether it was reused.

        A warm-up under way for the same settings is waited for (it is already part
        paid). ``fresh`` skips the idle socket: the retry after a reused socket failed.
        """
        if self._closed:  # a request that outlived close() opens nothing no one would close
            raise ProviderUnavailable("The Faseeh connection is shut down.", provider=PROVIDER)
        if not fresh:
            opening = self._opening
            if opening is not None and not opening.done() and self._opening_settings == settings:
                await asyncio.wait([opening])  # never cancels the warm-up
            settling = [task for same, task in self._settling.values() if same == settings]
            if settling and self._take_idle(settings) is None:
                await asyncio.wait(settling, return_when=asyncio.FIRST_COMPLETED)
            if (conn := self._take_idle(settings)) is not None:
                return conn, True
        self._acquiring += 1
        try:
            self._let_go_idle()  # an idle socket may hold a concurrency slot: free it first
            conn = await self._open(settings)
        finally:
            self._acquiring -= 1
        self._in_use.add(conn)
        return conn, False

    def release(self, conn: ClientConnection, settings: FaseehVoiceSettings, reuse: bool) -> None:
        """Give back a socket; it is kept (replacing any older idle one) only if ``reuse``."""
        self._in_use.discard(conn)
        self._backoff = 1.0
        if reuse and not self._retired and not self._closed and conn.state is State.OPEN:
            self._park(conn, settings)
        else:
            self._tasks.spawn(close_quietly(conn))
            if self._warm_settings is not None:
                self._warm_settings = settings  # pre-open the next socket for this voice
        self._ensure_warm()

    def settle(
        self,
        conn: ClientConnection,
        settings: FaseehVoiceSettings,
        quiet: float,
        late_audio: Callable[[], None],
    ) -> None:
        """A reply ended at the end marker: give the socket back only after ``quiet``
        seconds with nothing more on it (``late_audio`` is told when audio came)."""
        task = self._tasks.spawn(self._settle(conn, settings, quiet, late_audio))
        self._settling[conn] = (settings, task)

    async def _settle(
        self,
        conn: ClientConnection,
        settings: FaseehVoiceSettings,
        quiet: float,
        late_audio: Callable[[], None],
    ) -> None:
        try:
            try:
                async with asyncio.timeout(quiet):
                    late: str | bytes | object = await conn.recv()
            except TimeoutError:
                late = None
            except ConnectionClosed:
                late = WAITING_CLOSED
        finally:
            self._settling.pop(conn, None)
        if late is None:
            self.release(conn, settings, reuse=True)
            return
        if _is_audio(late):
            late_audio()
        else:
            _LOGGER.debug("Faseeh: a settling socket had something more; replaced")
        self.discard(conn)

    def discard(self, conn: ClientConnection) -> None:
        """Close a socket in an unknown state (mid-reply, after an error), in the
        background: a close handshake may take seconds, and no request waits for it."""
        self._in_use.discard(conn)
        self._tasks.spawn(close_quietly(conn))
        self._ensure_warm()

    async def close_idle(self) -> None:
        """Close the idle socket and any still settling (each may hold a slot), and wait
        until the idle one is closed (the retry after 42901 needs its slot back)."""
        conn, self._idle, self._idle_settings = self._idle, None, None
        self._let_go_settling()
        if conn is not None:
            await close_quietly(conn)

    def _let_go_idle(self) -> None:
        """Close the idle socket and any still settling in the background: each close
        frame leaves at once (freeing the slot it may hold); a request that opens its own
        socket meanwhile does not wait for the close handshakes (up to 2 s each)."""
        conn, self._idle, self._idle_settings = self._idle, None, None
        if conn is not None:
            self._tasks.spawn(close_quietly(conn))
        self._let_go_settling()

    def _let_go_settling(self) -> None:
        for settling, (_, task) in list(self._settling.items()):
            task.cancel()
            self._settling.pop(settling, None)
            self.discard(settling)

    async def close(self) -> None:
        """Close every socket; cancel and await every task."""
        self._closed = True
        tasks = self._tasks.cancel()
        for conn in list(self._opened_at):
            await close_quietly(conn)
        self._idle = None
        await self._tasks.wait(tasks)

    # --- internals ----------------------------------------------------------------------

    def _take_idle(self, settings: FaseehVoiceSettings) -> ClientConnection | None:
        conn = self._idle
        if conn is None:
            return None
        if conn.state is State.OPEN and self._idle_settings == settings:
            self._idle, self._idle_settings = None, None
            self._in_use.add(conn)
            return conn
        return None  # another settings' socket: acquire() closes it before opening

    def _park(self, conn: ClientConnection, settings: FaseehVoiceSettings) -> None:
        if self._closed or self._retired:
            self._tasks.spawn(close_quietly(conn))
            return
        if self._idle is not None and self._idle is not conn:
            self._tasks.spawn(close_quietly(self._idle))
        self._idle, self._idle_settings = conn, settings
        if self._warm_settings is not None:
            self._warm_settings = settings  # the warm socket follows the voice last used

    async def _open(self, settings: FaseehVoiceSettings) -> ClientConnection:
        conn = await self._connect(settings)
        self._opened_at[conn] = time.monotonic()
        self._tasks.spawn(self._watch(conn))
        return conn

    async def _open_shared(self, settings: FaseehVoiceSettings) -> ClientConnection:
        """Open where requests can wait for it (see ``acquire``)."""
        self._opening_settings = settings
        self._opening = self._tasks.spawn(self._open(settings))
        try:
            return await self._opening
        finally:
            self._opening = None

    async def _watch(self, conn: ClientConnection) -> None:
        """Notice a socket closing (idle timeout, restart) and replace a warm one."""
        await conn.wait_closed()
        opened = self._opened_at.pop(conn, time.monotonic())
        if self._idle is conn:
            self._idle, self._idle_settings = None, None
            _LOGGER.debug("Faseeh closed an idle connection (code %s)", conn.close_code)
            if time.monotonic() - opened < MIN_HEALTHY_LIFETIME:
                self._backoff = min(self._backoff * 2, MAX_WARM_BACKOFF)
        self._ensure_warm()

    def _ensure_warm(self) -> None:
        if (
            self._closed
            or self._retired
            or self._warm_settings is None
            or self._idle is not None
            or self._in_use
            or self._acquiring
            or (self._warm_task is not None and not self._warm_task.done())
            or (self._opening is not None and not self._opening.done())
        ):
            return
        self._warm_task = self._tasks.spawn(self._warm())

    async def _warm(self) -> None:
        while not self._closed and not self._retired and self._idle is None and not self._in_use:
            settings = self._warm_settings
            if settings is None:
                return
            try:
                conn = await self._open_shared(settings)
            except (AuthFailed, InsufficientFunds) as err:
                _LOGGER.warning("Faseeh: cannot keep a connection warm: %s", err)
                self._warm_settings = None
                return
            except TtsError as err:
                _LOGGER.debug("Faseeh: warm connection failed (%s); retrying", err)
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, MAX_WARM_BACKOFF)
                continue
            self._park(conn, settings)
            return


@dataclass
class _Outcome:
    """How a generation ended: ``clean`` when isFinal was followed by the quiet window,
    ``settle`` when the end marker ended it (the socket settles in the background)."""

    clean: bool = False
    settle: bool = False


class FaseehSocket:
    """Faseeh's streaming TTS over its WebSocket (one generation at a time per socket)."""

    def __init__(self, api_key: str, ws_url: str, host: TransportHost) -> None:
        self._api_key = api_key
        self._ws_url = ws_url
        self._host = host
        self.auth_form = AUTH_INIT  # how the socket takes the key ("init" or "query")
        self.accepted_key = False  # the socket has initialised with this key once
        self.quiet_after_final = QUIET_AFTER_FINAL
        self.reuse = True  # False once isFinal has been seen in the middle of a generation
        # Whether the end marker ({"audio": "", "isFinal": true}) ends a reply at once:
        # False once audio came after one.
        self.end_marker_trusted = True
        self.clean_replies = 0  # replies that ended with isFinal and a quiet window
        self.has_spoken = False  # a generation gave audio: this is no silent socket
        self.pool = SocketPool(self._connect)

    def __repr__(self) -> str:
        return f"FaseehSocket(auth={self.auth_form}, reuse={self.reuse})"

    async def close(self) -> None:
        """Close every socket and task."""
        await self.pool.close()

    async def check(self, settings: FaseehVoiceSettings) -> None:
        """A free check that the socket works: it opens and initialises, then closes."""
        conn = await self._connect(settings)
        await close_quietly(conn)

    # --- connecting ---------------------------------------------------------------------

    async def _connect(self, settings: FaseehVoiceSettings) -> ClientConnection:
        """An initialised socket; falls back to the URL key form once if init auth is refused."""
        if self.auth_form == AUTH_QUERY:
            return await self._open(settings, key_in_url=True)
        try:
            conn = await self._open(settings, key_in_url=False)
        except AuthFailed as refused:
            try:
                conn = await self._open(settings, key_in_url=True)
            except TtsError:
                raise refused from None
            self.auth_form = AUTH_QUERY
            _LOGGER.info(
                "Faseeh's WebSocket refused the key in initConnection but accepts it in the "
                "URL (?x-api-key=); using that form from now on (the URL is never logged)"
            )
        self.accepted_key = True
        return conn

    async def _open(self, settings: FaseehVoiceSettings, *, key_in_url: bool) -> ClientConnection:
        url = self._ws_url
        if key_in_url:
            url += ("&" if "?" in url else "?") + urlencode({"x-api-key": self._api_key})
        timeout = self._host.connect_timeout
        try:
            conn = await open_websocket(
                url,
                headers={},
                provider=PROVIDER,
                timeout=timeout,
                ssl_context=self._host.ssl_context,
            )
        except TtsError:
            raise  # worded without the URL
        except Exception as err:  # e.g. an invalid URI: its text would carry the URL (and key)
            raise ProviderError(
                f"Faseeh's WebSocket address cannot be used ({type(err).__name__}).",
                provider=PROVIDER,
            ) from None
        try:
            # A refused key is answered with an error message and a close; the message is
            # still readable after the close, so a failed send is not the end of the story.
            with contextlib.suppress(ConnectionClosed):
                await conn.send(json.dumps(settings.init_message(self._api_key)))
            async with asyncio.timeout(timeout):
                while True:
                    raw = await conn.recv()
                    data = parse_message(raw)
                    if data.get("type") == "connectionInitialized":
                        return conn
                    if (error := self._error(data, raw)) is not None:
                        raise error
        except TimeoutError:
            await close_quietly(conn)
            raise ProviderTimeout(
                f"Faseeh did not initialise the connection within {timeout:g} s",
                provider=PROVIDER,
            ) from None
        except ConnectionClosed as err:
            code = close_code(err)
            if code == CLOSE_POLICY:
                raise AuthFailed(
                    "Faseeh closed the connection while checking the key (1008).",
                    provider=PROVIDER,
                    provider_text=f"close {code}",
                ) from None
            raise ProviderUnavailable(
                f"Faseeh closed the connection while initialising it (code {code}).",
                provider=PROVIDER,
                provider_text=f"close {code}",
            ) from None
        except BaseException:
            await close_quietly(conn)
            raise

    # --- synthesis ----------------------------------------------------------------------

    async def synthesize(
        self, text: str, settings: FaseehVoiceSettings, *, first_audio_by: float | None = None
    ) -> AsyncGenerator[PcmChunk]:
        """One generation; audio is yielded as it arrives (``first_audio_by``: see the
        module docstring).

        A failure before any audio on a reused socket is retried once on a fresh one.
        """
        last_error: TtsError | None = None
        for _attempt in range(ATTEMPTS):
            try:
                # A retry never takes the pooled socket: it may be as stale as the last.
                conn, reused = await self._acquire(
                    settings, fresh=last_error is not None, by=first_audio_by
                )
            except ProviderUnavailable as err:
                last_error = err
                continue
            if reused and (waiting := await _waiting(conn)) is not None:
                # Something came after the reply ended: never let it open the next one.
                if waiting is not WAITING_CLOSED and _is_audio(waiting):
                    self._saw_late_audio()
                else:
                    _LOGGER.debug("Faseeh: an idle socket had something waiting; replaced")
                self.pool.discard(conn)
                conn, reused = await self._acquire(settings, fresh=True, by=first_audio_by)
            outcome = _Outcome()
            try:
                reply = self._generate(conn, text, settings, first_audio_by, outcome)
                async with contextlib.aclosing(reply) as stream:
                    async for chunk in stream:
                        yield chunk
            except RetryBeforeAudio as retry:
                last_error = retry.error
                self.pool.discard(conn)
                continue
            except BaseException:
                self.pool.discard(conn)
                raise
            if outcome.settle and self.reuse:
                self.pool.settle(conn, settings, QUIET_AFTER_FINAL, self._saw_audio_after_end)
            else:
                self.pool.release(conn, settings, reuse=self.reuse and outcome.clean)
            return
        assert last_error is not None
        raise last_error

    async def _acquire(
        self, settings: FaseehVoiceSettings, *, fresh: bool, by: float | None
    ) -> tuple[ClientConnection, bool]:
        """A socket from the pool, by loop time ``by`` if given (ProviderTimeout)."""
        if by is None:
            return await self.pool.acquire(settings, fresh=fresh)
        try:
            async with asyncio.timeout_at(by):
                return await self.pool.acquire(settings, fresh=fresh)
        except TimeoutError:
            raise ProviderTimeout(
                "Faseeh's WebSocket could not be opened in time for this reply.",
                provider=PROVIDER,
            ) from None

    async def _generate(
        self,
        conn: ClientConnection,
        text: str,
        settings: FaseehVoiceSettings,
        first_audio_by: float | None,
        outcome: _Outcome,
    ) -> AsyncGenerator[PcmChunk]:
        """Send the text with its trigger; yield audio until the generation ends."""
        request = {"type": "text", "text": text, "try_trigger_generation": True, "flush": True}
        await send_request(conn, json.dumps(request, ensure_ascii=False), self._closed_error)
        loop = asyncio.get_running_loop()
        timeout = self._host.provider_timeout
        triggered = loop.time()
        deadline = first_audio_by if first_audio_by is not None else triggered + timeout
        first_wait = max(0.0, deadline - triggered)
        aligner = SampleAligner()
        yielded = False
        final_at: float | None = None
        while True:
            if final_at is not None:
                raw = await self._quiet_recv(conn, final_at + self.current_quiet)
                if raw is None:
                    outcome.clean = conn.state is State.OPEN
                    self.clean_replies += 1
                    return
            else:
                try:
                    raw = await receive(
                        conn,
                        deadline,
                        provider=PROVIDER,
                        timeout=timeout if yielded else first_wait,
                        closed_error=self._closed_error,
                        audio_sent=yielded,
                    )
                except ProviderTimeout:
                    if not yielded and first_audio_by is not None:
                        raise SocketSilent(first_wait) from None
                    raise
            data = parse_message(raw)
            if (error := self._error(data, raw)) is not None:
                if final_at is not None:
                    _LOGGER.debug("Faseeh sent an error after isFinal: %s", error)
                    return  # the reply was whole; the socket is not reused
                raise error
            if "audio" not in data:
                continue
            now = loop.time()
            if audio := data.get("audio") or "":
                if final_at is not None:
                    self._saw_batches(now - final_at)
                    final_at = None
                try:
                    decoded = base64.b64decode(audio, validate=True)
                    rate = int(data.get("sampleRate") or settings.sample_rate)
                except (binascii.Error, TypeError, ValueError) as err:
                    raise UnreadableReply(
                        "Faseeh sent audio that is not base64 or a sample rate that is not "
                        "a number.",
                        provider=PROVIDER,
                    ) from err
                if pcm := aligner.feed(decoded):
                    yielded = self.has_spoken = True
                    yield PcmChunk(AudioFormat(rate), pcm)
                deadline = now + timeout
            if data.get("isFinal"):
                if not yielded:
                    if first_audio_by is not None:
                        raise SocketSilent(first_wait)
                    raise ProviderError(
                        "Faseeh ended the generation without any audio.", provider=PROVIDER
                    )
                if not audio and self.end_marker_trusted:
                    # The documented end marker: the reply is over (its socket settles).
                    outcome.settle = True
                    self.clean_replies += 1
                    return
                final_at = now

    @property
    def current_quiet(self) -> float:
        """The quiet window after isFinal for the next reply (longer while learning)."""
        if self.reuse and self.clean_replies < LEARNING_REPLIES:
            return max(self.quiet_after_final, QUIET_WHILE_LEARNING)
        return self.quiet_after_final

    async def _quiet_recv(self, conn: ClientConnection, until: float) -> str | bytes | None:
        """The next message before ``until`` (loop time), or None: the reply is over."""
        try:
            async with asyncio.timeout_at(until):
                return await conn.recv()
        except (TimeoutError, ConnectionClosed):
            return None

    def _saw_batches(self, gap: float) -> None:
        """Audio came after isFinal: isFinal marks batches on this account."""
        quiet = min(MAX_QUIET_AFTER_FINAL, max(self.quiet_after_final, 2 * gap))
        if self.reuse:
            _LOGGER.warning(
                "Faseeh sent more audio %.2f s after isFinal: on this account isFinal ends a "
                "batch, not the generation. Replies now wait for %.2f s of quiet after "
                "isFinal, and every generation gets a fresh socket.",
                gap,
                quiet,
            )
        self.reuse = False
        self.quiet_after_final = quiet

    def _saw_audio_after_end(self) -> None:
        """Audio came on a settling socket, after the end marker: that marker ends
        batches on this account too; replies wait for quiet after it from now on."""
        if self.end_marker_trusted:
            _LOGGER.warning(
                'Faseeh sent more audio after the end of a reply ({"audio": "", '
                '"isFinal": true}): on this account that marker ends a batch, not the '
                "generation. Replies now wait for quiet after it (the last one may have "
                "lost its end)."
            )
        self.end_marker_trusted = False
        self._saw_late_audio()

    def _saw_late_audio(self) -> None:
        """A reused socket had something waiting: audio came after the quiet window."""
        quiet = min(MAX_QUIET_AFTER_FINAL, self.quiet_after_final * 2)
        if self.reuse:
            _LOGGER.warning(
                "Faseeh sent more on a socket after its reply had ended (%.2f s after "
                "isFinal); that socket was closed. Replies now wait for %.2f s of quiet "
                "after isFinal, and every generation gets a fresh socket.",
                self.quiet_after_final,
                quiet,
            )
        self.reuse = False
        self.quiet_after_final = quiet

    def _error(self, data: dict[str, Any], raw: str | bytes) -> TtsError | None:
        """The error a message carries (its text redacted), or None for any other message.

        Audio messages are not redacted: they are never shown, and scanning every one
        would cost the loop time on each frame."""
        if "errorCode" not in data and data.get("type") != "error":
            return None
        error = error_from_body(data, self._redact(raw))
        # Its message quotes the provider's words too, which may echo the key.
        return redact_error(error, [self._api_key]) if error is not None else None

    def _redact(self, raw: str | bytes) -> str:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        return redact(text, self._api_key)

    @staticmethod
    def _closed_error(err: ConnectionClosed, mid_reply: bool) -> TtsError:
        where = "in the middle of a reply" if mid_reply else "before replying"
        code = close_code(err)
        return ProviderUnavailable(
            f"Faseeh closed the connection {where} (code {code}).",
            provider=PROVIDER,
            provider_text=f"close {code}",
        )


WAITING_CLOSED = object()


async def _waiting(conn: ClientConnection) -> str | bytes | object | None:
    """What waits on an idle socket nobody was reading: a message, a close, or nothing."""
    try:
        async with asyncio.timeout(0):
            return await conn.recv()  # cancelling recv() loses nothing (websockets says so)
    except TimeoutError:
        return None
    except ConnectionClosed:
        return WAITING_CLOSED


def _is_audio(message: object) -> bool:
    """True for an audio message with audio in it."""
    if not isinstance(message, str | bytes):
        return False
    try:
        return bool(parse_message(message).get("audio"))
    except ProviderError:
        return False
