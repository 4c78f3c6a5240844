"""Hamsa: streaming TTS over warm WebSockets (or its REST stream), plus the REST calls
around it.

One socket carries many requests strictly one after another (frames carry no request
id), so each request borrows a warm socket from the pool and gives it back after ``end``.

The connection policy (providers.md: Hamsa is suspected of answering bursts of new
connections with a useless 640-byte reply; the time budget comes first):

- **Warm sockets ahead of demand.** ``pool_size`` sockets are kept open before any
  request needs them; the pool opens and replaces them in the background, never two
  less than ``connect_interval`` apart (the evidence: "4 fresh connections within ~20
  seconds" preceded the glitch; a retry on a new connection 1-2 s later fixed ~95 %).
- **A request never waits for a paced connection.** It takes an idle warm socket; with
  none idle (a burst, start-up, a socket just discarded) it goes over Hamsa's REST stream
  at once (hamsa_rest.py: the transport Hamsa's own plugin uses, on keep-alive HTTP
  connections, no WebSocket opened). Only when REST is resting too does it wait for a
  socket (one given back, or the next paced one); with a voice to fall back on, the
  fallback chain ends that wait at its deadline.
- **A 640-byte reply** is retried at once on another idle socket, else over REST; the
  socket that gave it is kept (it is not broken, and closing it would cost a new
  connection later).
- **Breakers** (breaker.py): a transport that timed out, dropped, could not connect or
  missed the reply's deadline is skipped at once by the next requests while a free check
  (a socket that opens and greets; the key check over REST) watches for its return; a
  WebSocket handshake slower than the first-audio deadline counts as such a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .audio import PcmChunk
from .breaker import Breaker, Breakers
from .budget import DEFAULT_FIRST_AUDIO_DEADLINE, current_attempt, note_transport
from .client import CloudClient
from .errors import (
    AuthFailed,
    BadRequest,
    CircuitOpen,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    TtsError,
    UnknownVoice,
    error_for_message,
)
from .hamsa_live import HamsaVoiceBook
from .hamsa_reply import (
    MULAW_RATE,
    PCM_RATE,
    Aborted,
    HamsaRequest,
    ShortReply,
    exchange,
)
from .hamsa_rest import HamsaRest
from .hamsa_voices import (
    HAMSA_DEFAULT_DIALECT,
    HAMSA_DEFAULT_SPEAKER,
    is_uuid,
    known_speaker,
)
from .pool import WebSocketPool
from .redact import redact_error
from .rest import dicts_under
from .text import iter_for_limit
from .voices import HAMSA, Voice
from .websocket import RetryBeforeAudio, close_code, close_quietly, open_websocket

_LOGGER = logging.getLogger(__name__)

DEFAULT_WS_URL = "wss://api.tryhamsa.com/v1/realtime/ws"
DEFAULT_API_URL = "https://api.tryhamsa.com"
PROVIDER = "Hamsa"

MAX_TEXT_CHARS = 2000
# Sockets kept open ahead of demand: two lets a household's announcement and Assist reply
# overlap, and gives a retry after a 640-byte reply another warm socket at once.
DEFAULT_POOL_SIZE = 2
# Never two new connections closer than this: one team saw 640-byte replies after "4 fresh
# connections within ~20 seconds", so at most 3 start in any 20 s. Only background pool
# growth waits for it: a request that finds no warm socket goes over REST (see above).
DEFAULT_CONNECT_INTERVAL = 7.0
SHORT_REPLY_RETRIES = 2
CLOSED_RETRIES = 1  # a socket found closed before any audio: once more on a fresh one
# A WebSocket handshake still under way after this long cannot serve a reply in time:
# its breaker opens (the first-audio deadline's default).
SLOW_HANDSHAKE = DEFAULT_FIRST_AUDIO_DEADLINE
INFO_WAIT = 2.0  # the WebSocket check waits this long for the greeting (``info``)
TRANSPORT_WEBSOCKET = "websocket"
TRANSPORT_REST = "rest"
LIST_PAGE_SIZE = 100
LIST_MAX_PAGES = 10

CLOSE_INVALID_KEY = 4001
CLOSE_WALLET_EMPTY = 4003
CLOSE_INTERNAL_AUTH = 4500

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_CONNECT_INTERVAL",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_WS_URL",
    "MULAW_RATE",
    "PCM_RATE",
    "TRANSPORT_REST",
    "TRANSPORT_WEBSOCKET",
    "HamsaClient",
    "HamsaTransportState",
    "HamsaVoiceSettings",
    "error_for_close",
    "is_custom_voice_id",
]


def is_custom_voice_id(speaker: str) -> bool:
    """Cloned voices are UUIDs; built-in speakers are names."""
    return is_uuid(speaker)


@dataclass(frozen=True, slots=True)
class HamsaVoiceSettings:
    """What one Hamsa request needs besides the text: any speaker in any dialect."""

    speaker: str = HAMSA_DEFAULT_SPEAKER
    dialect: str = HAMSA_DEFAULT_DIALECT
    mulaw: bool = False


@dataclass(frozen=True, slots=True)
class HamsaTransportState:
    """How requests reach a Hamsa account and why (diagnostics, the server's log)."""

    transport: str
    socket_auth: str
    reason: str
    pool_size: int
    connect_interval: float
    short_reply_retries: int
    warm_connections: int
    rest_requests: int  # requests that went over the REST stream (no warm socket free)
    voice_ids: int  # catalogue ids known: a request names its voice by id (pins the accent)
    ids_refused: bool  # the socket refused ids: names are sent
    first_connection: str | None  # "opened in 85 ms", "failed: …", or None (not yet)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for diagnostics."""
        return asdict(self)

    def describe(self) -> str:
        """One line for a log: transport, key form, pool, pace, retries, voice naming."""
        if self.ids_refused:
            voices = "voices by name (the socket refused catalogue ids)"
        elif self.voice_ids:
            voices = f"voices by catalogue id ({self.voice_ids} known)"
        else:
            voices = "voices by name (no catalogue ids: Hamsa's voice lists gave none)"
        first = self.first_connection or "no connection opened yet"
        return (
            f"speaking over the WebSocket (key in the X-Api-Key header; first connection "
            f"{first}); pool {self.pool_size}, a new connection at most every "
            f"{self.connect_interval:g} s (the pool grows in the background; a request with "
            "no warm connection free goes over the REST stream at once, and so does the "
            f"retry of a 640-byte reply, up to {self.short_reply_retries} times); {voices}"
        )


@dataclass(slots=True)
class _Attempts:
    """Retries left for one request, by reason."""

    short_replies: int = 0
    closed: int = 0
    by_name: bool = False  # the id was refused; now the bare name
    repreloaded: bool = False


class HamsaClient(CloudClient):
    """Streams Hamsa speech over warm WebSockets; preloads and lists voices over REST."""

    provider = HAMSA
    provider_name = PROVIDER
    default_ws_url = DEFAULT_WS_URL
    default_api_url = DEFAULT_API_URL
    default_max_idle = 4

    def __init__(
        self,
        api_key: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        connect_interval: float = DEFAULT_CONNECT_INTERVAL,
        slow_handshake: float = SLOW_HANDSHAKE,
        **options: Any,
    ) -> None:
        """``pool_size``: sockets kept open ahead of demand; ``connect_interval``: the
        least time between two new connections (background growth only);
        ``slow_handshake``: a handshake still under way after this long opens the
        WebSocket's breaker."""
        self.pool_size = max(1, pool_size)
        self.connect_interval = max(0.0, connect_interval)
        self.slow_handshake = slow_handshake
        super().__init__(api_key, **options)

    def _setup(self) -> None:
        self.preloaded: set[str] = set()
        self._preload_refused: set[str] = set()  # ids whose preload got 400/404
        self.voice_book = HamsaVoiceBook()
        self._project_id: str | None = None
        self._first_connection: str | None = None
        self._first_connection_done = asyncio.Event()
        self.rest_requests = 0
        self.breakers = Breakers()
        self._ws_breaker = self.breakers.add(
            TRANSPORT_WEBSOCKET,
            Breaker(
                f"{PROVIDER} WebSocket",
                check=self._check_socket,
                first_backoff=self.breaker_backoff,
            ),
        )
        self._rest_breaker = self.breakers.add(
            TRANSPORT_REST,
            Breaker(
                f"{PROVIDER} REST stream",
                check=self.validate_key,
                first_backoff=self.breaker_backoff,
            ),
        )
        self.rest = HamsaRest(self._api_key, self._api_url, self, redact=self._redact_error)
        self._pool = WebSocketPool(
            self._connect,
            name=PROVIDER,
            min_idle=self.pool_size,
            max_idle=max(self.max_idle, self.pool_size),
            connect_interval=self.connect_interval,
            no_rewarm_close_codes=frozenset({CLOSE_INVALID_KEY, CLOSE_WALLET_EMPTY}),
        )

    @property
    def pool(self) -> WebSocketPool:
        """The warm connections (exposed for diagnostics and tests)."""
        return self._pool

    # --- lifecycle ----------------------------------------------------------------------

    def start_warming(self) -> None:
        """Open connections now so the first request pays no handshake."""
        self._pool.start_warming()

    async def close(self) -> None:
        """Close sockets, tasks, breaker checks and the HTTP session we own."""
        await self.breakers.close()
        await self._pool.close()
        await super().close()

    async def _connect(self) -> ClientConnection:
        started = time.monotonic()
        slow = asyncio.get_running_loop().call_later(
            self.slow_handshake,
            self._ws_breaker.failed,
            f"its handshake took longer than {self.slow_handshake:g} s",
        )
        try:
            conn = await self._open_socket()
        except TtsError as err:
            self._first_outcome(f"failed ({err.code}: {err.message})")
            if isinstance(err, ProviderTimeout | ProviderUnavailable):
                self._ws_breaker.failed(f"it could not connect ({err.message})")
            raise
        finally:
            slow.cancel()
        self._first_outcome(f"opened in {(time.monotonic() - started) * 1000:.0f} ms")
        return conn

    async def _open_socket(self) -> ClientConnection:
        return await open_websocket(
            self._ws_url,
            headers={"X-Api-Key": self._api_key},
            provider=PROVIDER,
            timeout=self.connect_timeout,
            ssl_context=self.ssl_context,
        )

    async def _check_socket(self) -> None:
        """The WebSocket's free check: a connection that opens and greets (``info``)."""
        conn = await self._open_socket()
        try:
            with contextlib.suppress(TimeoutError, ConnectionClosed):
                async with asyncio.timeout(INFO_WAIT):
                    await conn.recv()
        finally:
            await close_quietly(conn)

    def _first_outcome(self, outcome: str) -> None:
        if self._first_connection is None:
            self._first_connection = outcome
            self._first_connection_done.set()

    async def wait_first_connection(self, timeout: float) -> bool:
        """Wait until the first connection opened or failed; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                await self._first_connection_done.wait()
        except TimeoutError:
            return False
        return True

    @property
    def transport_state(self) -> HamsaTransportState:
        """How requests reach this account: one transport, its settings, what was seen."""
        return HamsaTransportState(
            transport="websocket",
            socket_auth="header",
            reason="Hamsa streams over its WebSocket only; the key goes in the X-Api-Key "
            "header, as its docs prefer and live use confirms",
            pool_size=self.pool_size,
            connect_interval=self.connect_interval,
            short_reply_retries=SHORT_REPLY_RETRIES,
            warm_connections=self._pool.idle_count,
            rest_requests=self.rest_requests,
            voice_ids=self.voice_book.id_count,
            ids_refused=self.voice_book.ids_refused,
            first_connection=self._first_connection,
        )

    # --- synthesis ----------------------------------------------------------------------

    async def synthesize(
        self, text: str, settings: HamsaVoiceSettings | None = None
    ) -> AsyncGenerator[PcmChunk]:
        """Speak ``text``; long text becomes several requests whose audio is concatenated.

        A known speaker's name is sent in the catalogue's spelling, or as the catalogue id
        of that speaker in that dialect when the live list gave one; any other name is
        sent as it is (Hamsa may know speakers we do not).
        """
        settings = settings or HamsaVoiceSettings()
        if not text.strip():
            raise BadRequest("There is no text to speak.", provider=PROVIDER)
        known = known_speaker(settings.speaker)
        speaker = known.name if known is not None else settings.speaker
        wire = self.voice_book.wire_speaker(speaker, settings.dialect)
        if self._needs_preload(wire):
            await self._preload_before_use(wire)
        # Most requests fit in one: skip the sentence splitter (same result, less work).
        pieces = [text] if len(text) <= MAX_TEXT_CHARS else iter_for_limit(text, MAX_TEXT_CHARS)
        for piece in pieces:
            if piece.strip():
                request = HamsaRequest(piece.strip(), wire, settings.dialect, settings.mulaw)
                attempts = _Attempts()
                async with contextlib.aclosing(self._speak(request, speaker, attempts)) as stream:
                    async for chunk in stream:
                        yield chunk
                if attempts.by_name:
                    # The id was refused and the name spoke: the rest of this text goes
                    # by name at once, not one refusal and new socket per piece.
                    wire = speaker

    async def _speak(
        self, request: HamsaRequest, speaker: str, attempts: _Attempts
    ) -> AsyncGenerator[PcmChunk]:
        """One request over a warm socket or the REST stream (the module docstring says
        which), retried before any audio left as the failure suggests:

        - a 640-byte reply: on another idle socket, else over REST, up to twice (the
          socket that gave it is kept);
        - a socket found closed: once more, over REST or on a fresh socket (never another
          pooled one: they may be just as stale after a provider restart);
        - the REST stream unreachable or silent: once over a socket;
        - "aborted" for a catalogue id we chose: once with the bare name; for a clone:
          preloaded again, once. "Aborted" for a name is a provider error (so a fallback
          voice can speak): Hamsa uses it for passing faults too.
        """
        aside: ClientConnection | None = None  # gave a short reply: not for the retry
        fresh = False
        rest_failed = False
        while True:
            # After a 640-byte reply, no new connection at once: that is a burst.
            way = await self._socket_or_rest(fresh=fresh, rest=not rest_failed, aside=aside)
            aside = None  # given back by _socket_or_rest
            if way is None:
                heard = False
                try:
                    async with contextlib.aclosing(self._over_rest(request)) as stream:
                        async for chunk in stream:
                            heard = True
                            yield chunk
                except Aborted as aborted:  # the REST stream refused the speaker
                    request = await self._after_abort(aborted, request, speaker, attempts)
                    continue
                except (ProviderTimeout, ProviderUnavailable):
                    if heard or rest_failed:
                        raise
                    rest_failed = True
                    continue
                self._spoke(request, attempts)
                return
            conn, reused = way
            started = time.monotonic()
            note_transport(self._ws_breaker)
            heard = False
            try:
                reply = exchange(
                    conn,
                    request,
                    provider=PROVIDER,
                    timeout=self.provider_timeout,
                    closed_error=self._closed_error,
                    payload_error=self._payload_error,
                )
                async with contextlib.aclosing(reply) as stream:
                    async for chunk in stream:
                        if not heard:
                            heard = True
                            self._ws_breaker.succeeded()
                        yield chunk
            except ShortReply as short:
                attempts.short_replies += 1
                _LOGGER.debug("Hamsa short reply (%s socket): %s", _kind(reused), short.error)
                if attempts.short_replies > SHORT_REPLY_RETRIES:
                    self._pool.release(conn)
                    raise short.error from None
                aside = conn
                continue
            except RetryBeforeAudio as retry:
                self._pool.discard(conn)
                attempts.closed += 1
                _LOGGER.debug("Hamsa %s socket failed before audio: %s", _kind(reused), retry.error)
                if attempts.closed > CLOSED_RETRIES:
                    self._ws_breaker.failed(f"its sockets closed before replying ({retry.error})")
                    raise retry.error from None
                fresh = True  # for the rest of this request: the pooled sockets may be stale
                continue
            except Aborted as aborted:
                self._pool.discard(conn)
                request = await self._after_abort(aborted, request, speaker, attempts)
                continue
            except (ProviderTimeout, ProviderUnavailable) as err:
                self._pool.discard(conn)
                if isinstance(err, ProviderTimeout) or not heard:
                    # A drop after audio is a passing fault (the chain finishes the reply).
                    self._ws_breaker.failed(err.message.rstrip("."))
                raise
            except BaseException:
                self._pool.discard(conn)
                raise
            self._pool.release(conn)
            self._spoke(request, attempts)
            _LOGGER.debug("Hamsa reply took %.3f s", time.monotonic() - started)
            return

    async def _socket_or_rest(
        self, *, fresh: bool, rest: bool, aside: ClientConnection | None = None
    ) -> tuple[ClientConnection, bool] | None:
        """A socket and whether it was warm, or None for the REST stream.

        If the WebSocket is usable: an idle warm socket or the one the warm-up is opening
        (``fresh``: never a pooled one), or a new connection if the pace allows one now
        (not for the retry after a 640-byte reply, ``aside`` the socket that gave it: a
        new connection at once would be a burst). Else REST at once. Else (REST resting
        too) a wait for a socket, given back or the next paced one, on whose transport
        the wait is blamed if the fallback chain gives up on it; ``aside`` is given back
        before that wait (it can serve the retry itself: it is not broken), and in any
        case before this returns. With both transports resting and a voice to fall back
        on: CircuitOpen at once.
        """
        ws = self._ws_breaker
        pool = self._pool
        connect = aside is None
        try:
            ws_admitted = False
            ready = not fresh and (pool.idle_count or pool.warming_up)
            if (ready or (connect and pool.can_open_now())) and ws.admit():
                ws_admitted = True
                note_transport(ws)
                if (way := await pool.acquire_now(fresh=fresh, connect=connect)) is not None:
                    return way
            if rest and self._rest_breaker.admit():
                return None
            if ws_admitted or ws.admit() or current_attempt() is None:
                note_transport(ws)
                if aside is not None:
                    pool.release(aside)
                    aside = None
                return await pool.acquire(fresh=fresh)
            raise CircuitOpen(
                "Hamsa is not used for now: its WebSocket and its REST stream both failed "
                f"recently ({ws.status.reason}; {self._rest_breaker.status.reason}); they "
                "are checked in the background.",
                provider=PROVIDER,
            )
        finally:
            if aside is not None:
                pool.release(aside)

    async def _over_rest(self, request: HamsaRequest) -> AsyncGenerator[PcmChunk]:
        """The request over the REST stream, its breaker told how it went."""
        self.rest_requests += 1
        breaker = self._rest_breaker
        note_transport(breaker)
        heard = False
        try:
            async with contextlib.aclosing(self.rest.synthesize(request)) as stream:
                async for chunk in stream:
                    if not heard:
                        heard = True
                        breaker.succeeded()
                    yield chunk
        except (ProviderTimeout, ProviderUnavailable) as err:
            if isinstance(err, ProviderTimeout) or not heard:
                breaker.failed(err.message.rstrip("."))
            raise

    def _spoke(self, request: HamsaRequest, attempts: _Attempts) -> None:
        """What a reply that spoke teaches about its voice."""
        if request.speaker in self._preload_refused:
            # Its preload was refused, yet it spoke: a built-in voice, not a clone.
            self.voice_book.mark_builtin(request.speaker)
        if attempts.by_name:
            self.voice_book.id_refused()
            if self.voice_book.ids_refused:
                _LOGGER.info("Hamsa refuses catalogue ids as speaker; sending names")

    async def _after_abort(
        self, aborted: Aborted, request: HamsaRequest, speaker: str, attempts: _Attempts
    ) -> HamsaRequest:
        """The request to try after "aborted", or the error to report."""
        if request.speaker != speaker and not attempts.by_name:
            # The catalogue id we chose for this name was refused: the name may work.
            attempts.by_name = True
            _LOGGER.debug("Hamsa refused voice id %s; trying the name %s", request.speaker, speaker)
            return HamsaRequest(request.text, speaker, request.dialect, request.mulaw)
        if is_uuid(request.speaker) and not self.voice_book.is_builtin(request.speaker):
            if not attempts.repreloaded:
                # A cloned voice that fell out of Hamsa's cache is preloaded again.
                attempts.repreloaded = True
                await self.preload_voice(request.speaker)
                return request
            raise UnknownVoice(
                f"Hamsa could not speak with voice {request.speaker} in dialect "
                f"'{request.dialect}' ({aborted.message}), even after preloading it. Check "
                "that the cloned voice exists in this Hamsa account.",
                provider=PROVIDER,
                provider_text=aborted.message,
            )
        if known_speaker(speaker) is None and not self.voice_book.knows_name(speaker):
            # A name neither our catalogue nor Hamsa's lists know: most likely a typo, which
            # another voice would only paper over (unknown_voice is not fallen back).
            raise UnknownVoice(
                f"Hamsa does not know the speaker '{speaker}' (in dialect "
                f"'{request.dialect}': {aborted.message}). Choose one of Hamsa's speakers.",
                provider=PROVIDER,
                provider_text=aborted.message,
            )
        # A speaker Hamsa has: "aborted" may be a passing fault, so another voice may speak.
        raise ProviderError(
            f"Hamsa stopped the reply for speaker '{speaker}' in dialect '{request.dialect}' "
            f"({aborted.message}). If this speaker or dialect is not one of Hamsa's, choose "
            "another voice.",
            provider=PROVIDER,
            provider_text=aborted.message,
        )

    def _payload_error(self, message: str) -> TtsError:
        # Hamsa's words go into the message, which is logged and shown: never the key.
        return self._redact_error(error_for_message(message, provider=PROVIDER))

    def _redact_error(self, error: TtsError) -> TtsError:
        return redact_error(error, [self._api_key])

    def _closed_error(self, err: ConnectionClosed, mid_reply: bool) -> TtsError:
        return redact_error(error_for_close(err, mid_reply), [self._api_key])

    # --- REST ---------------------------------------------------------------------------

    def _rest_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self._api_key}"}

    async def validate_key(self) -> str:
        """A free call that proves the key works; returns (and keeps) the project id."""
        body = await self._rest(
            "GET",
            "/v1/projects/by-api-key",
            "checking the API key",
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or "id" not in data:
            raise ProviderError("Hamsa answered the key check with an unexpected body.")
        self._project_id = str(data["id"])
        return self._project_id

    async def preload_voice(self, voice_id: str) -> None:
        """Ask Hamsa to load a cloned voice so the WebSocket can use it."""
        if not is_custom_voice_id(voice_id):
            raise BadRequest(f"'{voice_id}' is not a custom voice id (a UUID).", provider=PROVIDER)
        await self._rest(
            "POST",
            "/v2/tts/voices/custom/preload",
            f"preloading custom voice {voice_id}",
            json_body={"voiceId": voice_id},
            status_errors={400: UnknownVoice, 404: UnknownVoice},
        )
        self.preloaded.add(voice_id)

    def _needs_preload(self, speaker: str) -> bool:
        """Clones only: a UUID that is no known built-in voice and not loaded yet."""
        return (
            is_uuid(speaker)
            and speaker not in self.preloaded
            and not self.voice_book.is_builtin(speaker)
        )

    async def _preload_before_use(self, voice_id: str) -> None:
        """Preload a clone; a refusal never fails the request (it may be a built-in voice
        we have no list for): the socket says "aborted" if the voice really is unknown."""
        try:
            await self.preload_voice(voice_id)
        except (AuthFailed, InsufficientFunds):
            raise
        except UnknownVoice as err:
            self._preload_refused.add(voice_id)
            _LOGGER.info("Hamsa refused to preload voice %s (%s); trying it anyway", voice_id, err)
        except TtsError as err:
            _LOGGER.info("Preloading Hamsa voice %s failed (%s); trying it anyway", voice_id, err)

    async def list_voices(self) -> list[Voice]:
        """Built-in voices from the live catalogue and the voices list (which also holds
        the account's clones). Their ids are remembered, so requests pin them."""
        voices: list[Voice] = []
        failure: TtsError | None = None
        try:
            catalog = await self._rest("GET", "/v2/tts/voices/catalog", "listing voices")
            voices.extend(self.voice_book.learn_catalog(dicts_under(catalog, "voices")))
        except (AuthFailed, InsufficientFunds):
            raise
        except TtsError as err:
            _LOGGER.debug("Hamsa voice catalogue unavailable: %s", err)
            failure = err
        try:
            voices.extend(await self._list_account_voices())
        except (AuthFailed, InsufficientFunds):
            raise
        except TtsError as err:
            _LOGGER.debug("Hamsa voices list unavailable: %s", err)
            if failure is not None:
                raise
        return voices

    async def _list_account_voices(self) -> list[Voice]:
        """``/v2/tts/voices`` page by page, as Hamsa's own web app asks for it."""
        project_id = self._project_id or await self.validate_key()
        voices: list[Voice] = []
        for page in range(1, LIST_MAX_PAGES + 1):
            query = urlencode(
                {
                    "q": "",
                    "page": page,
                    "perPage": LIST_PAGE_SIZE,
                    "source": "jobs",
                    "projectId": project_id,
                }
            )
            body = await self._rest("GET", f"/v2/tts/voices?{query}", "listing voices")
            data = body.get("data") if isinstance(body, dict) else None
            entries = dicts_under(data, "voices")
            voices.extend(self.voice_book.learn_listed(entries))
            total = data.get("total") if isinstance(data, dict) else None
            if len(entries) < LIST_PAGE_SIZE or (
                isinstance(total, int) and page * LIST_PAGE_SIZE >= total
            ):
                break
        return voices


def error_for_close(err: ConnectionClosed, mid_reply: bool) -> TtsError:
    """What a socket Hamsa closed means (4001 bad key, 4003 empty wallet, …), with the
    close code and reason verbatim as provider text."""
    code = close_code(err)
    reason = err.rcvd.reason if err.rcvd is not None else ""
    said = f"close code {code}" + (f": {reason}" if reason else "")
    if code == CLOSE_INVALID_KEY:
        return AuthFailed(
            "Hamsa refused the API key (invalid or missing).",
            provider=PROVIDER,
            provider_text=said,
        )
    if code == CLOSE_WALLET_EMPTY:
        return InsufficientFunds(
            "The Hamsa wallet is empty.", provider=PROVIDER, provider_text=said
        )
    if code == CLOSE_INTERNAL_AUTH:
        return ProviderError(
            "Hamsa had an internal authentication error (close code 4500).",
            provider=PROVIDER,
            provider_text=said,
        )
    where = "in the middle of a reply" if mid_reply else "before replying"
    return ProviderUnavailable(
        f"Hamsa closed the connection {where} (code {code}).",
        provider=PROVIDER,
        provider_text=said,
    )


def _kind(reused: bool) -> str:
    return "warm" if reused else "new"
