"""The provider clients of this process: made once, warmed at start-up, closed on shutdown.

One aiohttp session serves every REST call; WebSockets are opened ahead of the first
request so no request pays a handshake it could have paid earlier. Hamsa's live voice
lists are read in the background at start-up, so requests can name voices by their
catalogue ids (a bare name may be re-resolved to another accent). The offline voice
(espeak-ng) needs nothing warmed: it starts one short subprocess per sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from arabic_tts_core.errors import TtsError
from arabic_tts_core.faseeh import (
    DEFAULT_RATE,
    REGION_GLOBAL,
    TRANSPORT_AUTO,
    FaseehClient,
    FaseehVoiceSettings,
)
from arabic_tts_core.hamsa import DEFAULT_CONNECT_INTERVAL, DEFAULT_POOL_SIZE, HamsaClient
from arabic_tts_core.offline import OfflineClient
from arabic_tts_core.voices import FASEEH_DEFAULT_MODEL, Voice

_LOGGER = logging.getLogger(__name__)

LIST_TIMEOUT = 5.0  # the live Faseeh lists never hold up start-up for longer
REGION_ADVICE = "start the server with --faseeh-region {name}"


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """Everything needed to reach the providers (keys included: never log this)."""

    hamsa_api_key: str | None
    hamsa_url: str
    hamsa_api_url: str
    faseeh_api_key: str | None
    faseeh_url: str | None  # None: the region's
    faseeh_api_url: str | None  # None: the region's (and a refused key is checked there)
    faseeh_model: str = FASEEH_DEFAULT_MODEL
    provider_timeout: float = 10.0
    offline: bool = False  # espeak-ng is installed: offer the offline voice
    # The one TLS context of the process (made off the event loop by main()).
    ssl_context: ssl.SSLContext | None = None
    faseeh_region: str = REGION_GLOBAL
    faseeh_transport: str = TRANSPORT_AUTO
    faseeh_dialect: str = "auto"
    faseeh_sample_rate: int = DEFAULT_RATE
    hamsa_pool: int = DEFAULT_POOL_SIZE
    hamsa_connect_interval: float = DEFAULT_CONNECT_INTERVAL

    @property
    def faseeh_settings(self) -> FaseehVoiceSettings:
        """What every Faseeh voice is spoken with (the voice id aside)."""
        return FaseehVoiceSettings(
            model_id=self.faseeh_model,
            dialect=self.faseeh_dialect,
            sample_rate=self.faseeh_sample_rate,
        )

    def __repr__(self) -> str:
        return "ProviderConfig(<redacted>)"


class Providers:
    """Owns the clients, the shared HTTP session and the start-up preload task."""

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config
        connector = aiohttp.TCPConnector(ssl=config.ssl_context or True)
        self._session = aiohttp.ClientSession(connector=connector)
        self._preload_task: asyncio.Task[None] | None = None
        self._voices_task: asyncio.Task[None] | None = None
        self._settled_task: asyncio.Task[None] | None = None
        # One knob bounds every wait on a provider: connecting, preloading, audio gaps.
        timeout = config.provider_timeout
        self.hamsa: HamsaClient | None = None
        self.faseeh: FaseehClient | None = None
        self.offline: OfflineClient | None = None
        if config.offline:
            self.offline = OfflineClient()
        if config.hamsa_api_key:
            self.hamsa = HamsaClient(
                config.hamsa_api_key,
                ws_url=config.hamsa_url,
                api_url=config.hamsa_api_url,
                session=self._session,
                provider_timeout=timeout,
                connect_timeout=timeout,
                ssl_context=config.ssl_context,
                pool_size=config.hamsa_pool,
                connect_interval=config.hamsa_connect_interval,
            )
        if config.faseeh_api_key:
            self.faseeh = FaseehClient(
                config.faseeh_api_key,
                ws_url=config.faseeh_url,
                api_url=config.faseeh_api_url,
                session=self._session,
                provider_timeout=timeout,
                connect_timeout=timeout,
                ssl_context=config.ssl_context,
                transport=config.faseeh_transport,
                region=config.faseeh_region,
                region_advice=REGION_ADVICE,
            )

    async def faseeh_live_voices(self) -> list[Voice]:
        """The account's live Faseeh voices (best effort, bounded: [] when unavailable);
        also says when the configured model is not one the account lists."""
        if self.faseeh is None:
            return []
        try:
            async with asyncio.timeout(LIST_TIMEOUT):
                voices = await self.faseeh.list_voices()
        except (TtsError, TimeoutError) as err:
            _LOGGER.warning(
                "Faseeh: could not load the live voice list (%s); offering the built-in "
                "voices only",
                err,
            )
            return []
        with contextlib.suppress(TtsError, TimeoutError):
            async with asyncio.timeout(LIST_TIMEOUT):
                models = await self.faseeh.list_models()
            if self._config.faseeh_model not in models:
                _LOGGER.warning(
                    "Faseeh: the account does not list the model %s (it lists: %s)",
                    self._config.faseeh_model,
                    ", ".join(models) or "none",
                )
        return voices

    @property
    def faseeh_settings(self) -> FaseehVoiceSettings:
        """What every Faseeh voice is spoken with (the voice id aside)."""
        return self._config.faseeh_settings

    def start(self, custom_voices: Sequence[str]) -> None:
        """Open warm sockets now and preload cloned voices in the background.

        A failed preload is logged and not fatal: the core preloads again on first use.
        """
        if self.hamsa is not None:
            self.hamsa.start_warming()
            if custom_voices:
                self._preload_task = asyncio.create_task(
                    _preload(self.hamsa, custom_voices), name="preload custom voices"
                )
            self._voices_task = asyncio.create_task(
                _learn_voices(self.hamsa, self._config.provider_timeout),
                name="read Hamsa voice lists",
            )
            self._settled_task = asyncio.create_task(
                _say_hamsa_settled(self.hamsa, self._voices_task, self._config.provider_timeout),
                name="log Hamsa's transport",
            )
        if self.faseeh is not None:
            self.faseeh.start_warming(self._config.faseeh_settings)

    async def close(self) -> None:
        """Cancel the background tasks, close every socket and the session."""
        for task in (self._preload_task, self._voices_task, self._settled_task):
            if task is not None:
                task.cancel()
                await asyncio.wait([task])
        for client in (self.hamsa, self.faseeh, self.offline):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()
        await self._session.close()


async def _preload(hamsa: HamsaClient, voice_ids: Sequence[str]) -> None:
    for voice_id in voice_ids:
        try:
            await hamsa.preload_voice(voice_id)
        except TtsError as err:
            _LOGGER.warning(
                "Could not preload Hamsa custom voice %s (%s): %s. It will be preloaded "
                "again when it is first used.",
                voice_id,
                err.code,
                err.message,
            )
        else:
            _LOGGER.info("Preloaded Hamsa custom voice %s", voice_id)


async def _say_hamsa_settled(
    hamsa: HamsaClient, voices: asyncio.Task[None], timeout: float
) -> None:
    """Log, once, how Hamsa is spoken to: after its first connection opened or failed and
    its voice lists were read (so the line says whether voices go by catalogue id)."""
    await hamsa.wait_first_connection(timeout + 1)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(3 * timeout + 1):
            await asyncio.wait([voices])
    _LOGGER.info("Hamsa: %s", hamsa.transport_state.describe())


async def _learn_voices(hamsa: HamsaClient, timeout: float) -> None:
    """Read Hamsa's voice lists once, so requests can use catalogue ids; best effort."""
    try:
        async with asyncio.timeout(3 * timeout):
            voices = await hamsa.list_voices()
    except (TtsError, TimeoutError) as err:
        _LOGGER.info("Hamsa's voice lists are unavailable (%s); speaking by name", err)
    except Exception as err:  # an answer we could not read: still best effort, and said
        _LOGGER.warning(
            "Hamsa's voice lists could not be read (%s); speaking by name", type(err).__name__
        )
    else:
        _LOGGER.debug("Hamsa lists %d voices", len(voices))
