"""Opening provider WebSockets with keys in headers and handshake failures mapped."""

from __future__ import annotations

import logging

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from .errors import ProviderError, ProviderTimeout, ProviderUnavailable
from .rest import error_for_status

# websockets logs every handshake header at DEBUG, API key included. Its connections get a
# logger that never emits DEBUG, whatever the application's level.
WIRE_LOGGER = logging.getLogger(__name__.rsplit(".", 1)[0] + ".wire")
WIRE_LOGGER.setLevel(logging.INFO)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
PING_INTERVAL = 20.0


async def open_websocket(
    url: str, *, headers: dict[str, str], provider: str, timeout: float
) -> ClientConnection:
    """Connect, raising TtsError (never an exception that could carry the key)."""
    try:
        return await connect(
            url,
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
        raise error_for_status(status, "", provider=provider, what="connecting") from None
    except InvalidHandshake as err:
        raise ProviderError(
            f"{provider} answered the connection with something that is not a WebSocket "
            f"({type(err).__name__})",
            provider=provider,
        ) from None
    except OSError as err:
        raise ProviderUnavailable(
            f"cannot reach {provider} ({err.strerror or type(err).__name__})", provider=provider
        ) from None
