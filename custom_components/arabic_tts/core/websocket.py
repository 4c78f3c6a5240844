"""Provider WebSockets: opening with keys in headers, and every failure mapped."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
from collections.abc import AsyncGenerator, Callable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from .audio import PcmChunk
from .errors import (
    AuthFailed,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    TtsError,
)
from .redact import redact_error, request_secrets
from .rest import error_for_status

# websockets logs every handshake header at DEBUG, API key included. Its connections get a
# logger that never emits DEBUG, whatever the application's level.
_LOGGER = logging.getLogger(__name__)
WIRE_LOGGER = logging.getLogger(__name__.rsplit(".", 1)[0] + ".wire")
WIRE_LOGGER.setLevel(logging.INFO)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
PING_INTERVAL = 20.0
PROVIDER_TEXT_LIMIT = 500  # bytes of a refused upgrade's body kept as evidence


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """One verifying client context per process, for callers that bring none.

    Building a context reads the CA store from disk (blocking I/O, ~15 ms): call this
    once before the event loop matters, or pass a context the host application already
    has (Home Assistant's shared one), never build one per connection.
    """
    return ssl.create_default_context()


async def open_websocket(
    url: str,
    *,
    headers: dict[str, str],
    provider: str,
    timeout: float,
    ssl_context: ssl.SSLContext | None = None,
) -> ClientConnection:
    """Connect, raising TtsError (never an exception that could carry the key).

    ``wss://`` uses ``ssl_context`` (else the process-wide default); websockets would
    otherwise build a new context, reading the CA store, for every connection.
    """
    secure = url.startswith("wss://")
    try:
        return await connect(
            url,
            ssl=(ssl_context or default_ssl_context()) if secure else None,
            additional_headers=headers,
            open_timeout=timeout,
            close_timeout=2.0,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_INTERVAL,
            max_size=MAX_MESSAGE_BYTES,
            compression=None,
            logger=WIRE_LOGGER,
        )
    except TimeoutError as err:
        raise ProviderTimeout(
            f"{provider} did not accept a connection within {timeout:g} s", provider=provider
        ) from err
    except InvalidStatus as err:
        status = err.response.status_code
        error = error_for_status(status, "", provider=provider, what="connecting")
        error.provider_text = upgrade_refusal(status, err.response.body)
        raise redact_error(error, request_secrets(url, headers)) from None
    except InvalidHandshake as err:
        raise ProviderError(
            f"{provider} answered the connection with something that is not a WebSocket "
            f"({type(err).__name__})",
            provider=provider,
        ) from None
    except ssl.SSLError as err:
        raise ProviderUnavailable(
            f"cannot reach {provider}: TLS failed ({err.reason or type(err).__name__})",
            provider=provider,
        ) from None
    except OSError as err:
        raise ProviderUnavailable(
            f"cannot reach {provider} ({err.strerror or type(err).__name__})", provider=provider
        ) from None


def upgrade_refusal(status: int, body: bytes | bytearray | None) -> str:
    """What a provider answered instead of upgrading: the status and its body, verbatim
    (bounded; whoever shows it removes the key first)."""
    text = (body or b"")[:PROVIDER_TEXT_LIMIT].decode("utf-8", "replace").strip()
    return f"HTTP {status}" + (f": {text}" if text else "")


ClosedError = Callable[[ConnectionClosed, bool], TtsError]
"""Maps a closed socket (and whether audio had already left) onto the error family."""


class RetryBeforeAudio(Exception):
    """An attempt failed before any audio reached the caller: a fresh socket may succeed.

    Clients catch it, discard the socket and try once more; only then is ``error`` raised.
    """

    def __init__(self, error: TtsError) -> None:
        super().__init__(str(error))
        self.error = error


STREAM_ATTEMPTS = 2  # a stale keep-alive connection or a 5xx before any audio: once more


async def stream_with_one_retry(
    stream: Callable[[], AsyncGenerator[PcmChunk]], *, what: str
) -> AsyncGenerator[PcmChunk]:
    """A REST audio stream, tried once more when it fails before any audio for a passing
    reason (``RetryBeforeAudio``: a kept-alive connection the server had closed, a 5xx);
    the second failure's error is raised."""
    last_error: TtsError | None = None
    for attempt in range(1, STREAM_ATTEMPTS + 1):
        try:
            async with contextlib.aclosing(stream()) as audio:
                async for chunk in audio:
                    yield chunk
        except RetryBeforeAudio as retry:
            last_error = retry.error
            _LOGGER.debug("%s attempt %d failed before audio: %s", what, attempt, retry)
            continue
        return
    assert last_error is not None
    raise last_error


def close_code(err: ConnectionClosed) -> int:
    """The close code the provider sent (1006 when the connection just dropped)."""
    return err.rcvd.code if err.rcvd is not None else 1006


async def send_request(conn: ClientConnection, message: str, closed_error: ClosedError) -> None:
    """Send a request; a socket found closed is worth one retry on a fresh one, unless
    it was closed for an account reason (a new socket would be refused the same way)."""
    try:
        await conn.send(message)
    except ConnectionClosed as err:
        error = closed_error(err, False)
        if isinstance(error, AuthFailed | InsufficientFunds):
            raise error from None
        raise RetryBeforeAudio(error) from None


async def receive(
    conn: ClientConnection,
    deadline: float,
    *,
    provider: str,
    timeout: float,
    closed_error: ClosedError,
    audio_sent: bool,
) -> str | bytes:
    """Next message before ``deadline`` (loop time), with the failures mapped.

    A close after audio left, or for an account reason, is final; any other close before
    audio left raises RetryBeforeAudio.
    """
    try:
        async with asyncio.timeout_at(deadline):
            return await conn.recv()
    except TimeoutError:
        raise ProviderTimeout(
            f"{provider} sent no audio for {timeout:g} s", provider=provider
        ) from None
    except ConnectionClosed as err:
        error = closed_error(err, audio_sent)
        if audio_sent or isinstance(error, AuthFailed | InsufficientFunds):
            raise error from None
        raise RetryBeforeAudio(error) from None


CLOSE_TIMEOUT = 2.0


async def close_quietly(conn: ClientConnection) -> None:
    """Close a socket we are done with, whatever state it is in, within CLOSE_TIMEOUT."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await conn.close()
