"""What every cloud client shares: the key, the URLs, timeouts and the REST session."""

from __future__ import annotations

import ssl
from typing import Any, ClassVar

import aiohttp

from .breaker import FIRST_BACKOFF
from .rest import request_json


class CloudClient:
    """Base of the Hamsa and Faseeh clients.

    The key lives only in this object's private attribute and in request headers; it is
    left out of ``repr`` so it cannot reach a log line by accident. ``ssl_context`` is the
    caller's shared TLS context (built once, outside the event loop) for ``wss://`` and
    for the REST session this client creates itself; a given ``session`` keeps its own.
    ``breaker_backoff`` is the first pause before a transport that failed is checked
    again (breaker.py; doubled each time it fails again).
    """

    provider_name: ClassVar[str] = "provider"
    default_ws_url: ClassVar[str]
    default_api_url: ClassVar[str]
    default_max_idle: ClassVar[int] = 2

    def __init__(
        self,
        api_key: str,
        *,
        ws_url: str | None = None,
        api_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        provider_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        max_idle: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        breaker_backoff: float = FIRST_BACKOFF,
    ) -> None:
        self._api_key = api_key
        self.ssl_context = ssl_context
        self._ws_url = ws_url or self.default_ws_url
        self._api_url = (api_url or self.default_api_url).rstrip("/")
        self._session = session
        self._own_session = session is None
        self.provider_timeout = provider_timeout
        self.connect_timeout = connect_timeout
        self.max_idle = max_idle or self.default_max_idle
        # The first pause before a failed transport is checked again (breaker.py).
        self.breaker_backoff = breaker_backoff
        self._setup()

    def _setup(self) -> None:
        """Provider-specific state (pools, caches), created after the shared fields."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ws_url={self._ws_url!r})"

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _rest_headers(self) -> dict[str, str]:
        raise NotImplementedError

    def http_session(self) -> aiohttp.ClientSession:
        """The shared REST session (made on first use when none was given)."""
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self.ssl_context or True)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def _rest(self, method: str, path: str, what: str, **options: Any) -> Any:
        """One REST call to the provider's API base, errors mapped onto TtsError."""
        return await request_json(
            self.http_session(),
            method,
            f"{self._api_url}{path}",
            provider=self.provider_name,
            what=what,
            headers=self._rest_headers(),
            timeout=self.connect_timeout,
            **options,
        )
