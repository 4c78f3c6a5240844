"""Faseeh (Munsit): one client per account over two transports, REST for models and voices.

The evidence (providers.md) conflicts about the socket: current docs and a live probe say
it refuses header auth, the same probe found it silent, another integrator saw audio in
batches each ending with ``isFinal``; every vendor client uses REST streaming. So the
client speaks over either (``faseeh_ws``, ``faseeh_rest``), chooses between them in one
small place (``faseeh_transport``) and says which it uses and why
(``FaseehClient.transport_state``).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import aiohttp

from .audio import PcmChunk
from .breaker import FIRST_BACKOFF, Breakers
from .client import CloudClient
from .errors import AuthFailed, BadRequest, ProviderError, TtsError
from .faseeh_api import (
    DEFAULT_API_URL,
    DEFAULT_RATE,
    DEFAULT_WS_URL,
    DIALECTS,
    MIN_CHARS,
    MIN_WORDS,
    PROVIDER,
    REGION_GLOBAL,
    REGION_UAE,
    REGIONS,
    SAMPLE_RATES,
    TRANSPORT_AUTO,
    TRANSPORT_REST,
    TRANSPORT_WEBSOCKET,
    TRANSPORTS,
    FaseehRegion,
    FaseehVoiceSettings,
    WrongRegion,
    error_for_code,
    error_from_body,
)
from .faseeh_rest import FaseehRest
from .faseeh_transport import FIRST_AUDIO_LIMIT, TransportChooser, TransportState
from .faseeh_ws import FaseehSocket
from .rest import request_json
from .voices import Voice, faseeh_voice

_LOGGER = logging.getLogger(__name__)

REGION_ADVICE = "choose the {label} region"


async def region_accepting_key(
    session: aiohttp.ClientSession,
    api_key: str,
    regions: Iterable[FaseehRegion],
    *,
    timeout: float,
) -> FaseehRegion | None:
    """The first of ``regions`` whose free ``/models`` call accepts the key, if any.

    Keys are issued per region and refused everywhere else, so this tells which region
    a refused key belongs to (the client's error and the account probe both say it).
    """
    for region in regions:
        try:
            await request_json(
                session,
                "GET",
                f"{region.api_url}/models",
                provider=PROVIDER,
                what="checking the other region",
                headers={"x-api-key": api_key},
                timeout=timeout,
            )
        except TtsError:
            continue
        return region
    return None


class FaseehClient(CloudClient):
    """Streams Faseeh speech over the WebSocket or REST; lists models and voices.

    ``transport`` is ``auto`` (socket first, REST when the socket refuses the key, fails
    or stays silent), ``websocket`` or ``rest``. ``region`` picks the default hosts;
    explicit URLs win. ``region_advice`` words the fix for a key from another region
    (``{name}`` and ``{label}`` are that region's).
    """

    provider = "faseeh"
    provider_name = PROVIDER
    default_ws_url = DEFAULT_WS_URL
    default_api_url = DEFAULT_API_URL

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
        transport: str = TRANSPORT_AUTO,
        region: str = REGION_GLOBAL,
        first_audio_limit: float | None = None,
        region_advice: str = REGION_ADVICE,
        breaker_backoff: float = FIRST_BACKOFF,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}")
        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}")
        self.region: FaseehRegion = REGIONS[region]
        # With its own REST address we cannot tell which region a refused key belongs to.
        self._other_regions = (
            [other for other in REGIONS.values() if other.name != region] if not api_url else []
        )
        self._region_advice = region_advice
        super().__init__(
            api_key,
            ws_url=ws_url or self.region.ws_url,
            api_url=api_url or self.region.api_url,
            session=session,
            provider_timeout=provider_timeout,
            connect_timeout=connect_timeout,
            max_idle=max_idle,
            ssl_context=ssl_context,
            breaker_backoff=breaker_backoff,
        )
        limit = min(FIRST_AUDIO_LIMIT, provider_timeout / 2)
        self.socket = FaseehSocket(api_key, self._ws_url, self)
        self.rest = FaseehRest(api_key, self._api_url, self)
        self._chooser = TransportChooser(
            transport,
            self.socket,
            self.rest,
            check_key=self.list_models,
            first_audio_limit=first_audio_limit if first_audio_limit is not None else limit,
            context=f"region {self.region.label}",
            backoff=self.breaker_backoff,
        )

    def __repr__(self) -> str:
        return (
            f"FaseehClient(region={self.region.name!r}, transport={self._chooser.mode!r}, "
            f"ws_url={self._ws_url!r}, api_url={self._api_url!r})"
        )

    @property
    def transport_state(self) -> TransportState:
        """Which transport this account speaks over, since when, and why."""
        return self._chooser.state

    @property
    def breakers(self) -> Breakers:
        """The socket's and REST's breakers (breaker.py): state, since when, why."""
        return self._chooser.breakers

    def start_warming(self, settings: FaseehVoiceSettings | None = None) -> None:
        """Open and initialise a socket (or check the key over REST) before any request."""
        self._chooser.start(settings or FaseehVoiceSettings())

    async def close(self) -> None:
        """Close the probe, every socket and the HTTP session we own."""
        await self._chooser.close()
        await self.socket.close()
        await super().close()

    # --- synthesis ----------------------------------------------------------------------

    async def synthesize(
        self, text: str, settings: FaseehVoiceSettings | None = None
    ) -> AsyncGenerator[PcmChunk]:
        """Speak ``text`` as one generation; audio is yielded as it arrives."""
        settings = settings or FaseehVoiceSettings()
        text = text.strip()
        if not text:
            raise BadRequest("There is no text to speak.", provider=PROVIDER)
        async with contextlib.aclosing(self._chooser.synthesize(text, settings)) as stream:
            async for chunk in stream:
                yield chunk

    # --- REST: key, models, voices ------------------------------------------------------

    def _rest_headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key}

    async def _get(self, path: str, what: str) -> Any:
        try:
            return await self._rest("GET", path, what)
        except AuthFailed as err:
            raise await self._region_hint(err) from None

    async def _region_hint(self, refused: AuthFailed) -> AuthFailed:
        """A refused key that another region accepts: say which region it belongs to."""
        other = await region_accepting_key(
            self.http_session(), self._api_key, self._other_regions, timeout=self.connect_timeout
        )
        if other is None:
            return refused
        advice = self._region_advice.format(name=other.name, label=other.label)
        return WrongRegion(
            f"This Faseeh API key belongs to the {other.label} region, not "
            f"{self.region.label}: {advice}.",
            region=other,
            provider_text=refused.provider_text or refused.message,
        )

    async def validate_key(self) -> list[str]:
        """A free call that proves the key works; returns the model ids."""
        return await self.list_models()

    async def list_models(self) -> list[str]:
        """Model ids the account can see (``GET /models``: a top-level array)."""
        body = await self._get("/models", "listing models")
        items = body if isinstance(body, list) else (body or {}).get("models", [])
        if not isinstance(items, list):
            raise ProviderError("Faseeh answered the model list with an unexpected body.")
        return [
            str(item["model_id"]) for item in items if isinstance(item, dict) and "model_id" in item
        ]

    async def list_voices(self) -> list[Voice]:
        """Voices from the live list (best effort: callers fall back to the catalogue).

        ``GET /voices`` is a top-level array of ``{voice_id, name, gender, dialect: [..],
        type, sample_url}``; clones (``cl-…``) have null gender, dialect and type.
        """
        body = await self._get("/voices", "listing voices")
        items = body if isinstance(body, list) else (body or {}).get("voices", [])
        voices: list[Voice] = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("voice_id"), str):
                continue
            name, gender, dialect = item.get("name"), item.get("gender"), item.get("dialect")
            if isinstance(dialect, str):
                dialect = [dialect]
            voices.append(
                faseeh_voice(
                    item["voice_id"],
                    name if isinstance(name, str) else None,
                    dialects=[d for d in dialect if isinstance(d, str)]
                    if isinstance(dialect, list)
                    else [],
                    gender=gender if isinstance(gender, str) else None,
                )
            )
        return voices


__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_RATE",
    "DEFAULT_WS_URL",
    "DIALECTS",
    "MIN_CHARS",
    "MIN_WORDS",
    "PROVIDER",
    "REGIONS",
    "REGION_GLOBAL",
    "REGION_UAE",
    "SAMPLE_RATES",
    "TRANSPORTS",
    "TRANSPORT_AUTO",
    "TRANSPORT_REST",
    "TRANSPORT_WEBSOCKET",
    "FaseehClient",
    "FaseehRegion",
    "FaseehVoiceSettings",
    "TransportState",
    "WrongRegion",
    "error_for_code",
    "error_from_body",
    "region_accepting_key",
]
