"""Glue between Home Assistant and the provider core: clients, voices, settings."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.ssl import get_default_context

from .const import (
    CONF_API_URL,
    CONF_DIALECT,
    CONF_MODEL,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_SPEED,
    CONF_STABILITY,
    CONF_TRANSPORT,
    CONF_VOICE,
    CONF_WS_URL,
    DIALECT_AUTO,
    LIST_TIMEOUT,
    PROVIDER_HAMSA,
)
from .core.breaker import FIRST_BACKOFF
from .core.errors import TtsError
from .core.faseeh import (
    DEFAULT_RATE,
    REGION_GLOBAL,
    TRANSPORT_AUTO,
    FaseehClient,
    FaseehVoiceSettings,
)
from .core.hamsa import (
    DEFAULT_CONNECT_INTERVAL,
    HamsaClient,
    HamsaVoiceSettings,
    is_custom_voice_id,
)
from .core.hamsa_voices import (
    HAMSA_DEFAULT_SPEAKER,
    builtin_hamsa_voices,
    hamsa_custom_voice,
    own_dialect,
    parse_voice_id,
)
from .core.providers import ProviderClient
from .core.voices import (
    FASEEH_DEFAULT_MODEL,
    FASEEH_DEFAULT_VOICE,
    FASEEH_MODELS,
    Voice,
    builtin_faseeh_voices,
    merge_voices,
)
from .failures import FailureLog

_LOGGER = logging.getLogger(__name__)


# The least time between two new Hamsa connections (the core's default; tests lower it).
HAMSA_CONNECT_INTERVAL = DEFAULT_CONNECT_INTERVAL
# The first pause before a transport that failed is checked again (the core's default).
BREAKER_BACKOFF = FIRST_BACKOFF

REGION_ADVICE = "choose the {label} region in the integration's settings (Reconfigure)"


def create_client(
    hass: HomeAssistant, data: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> ProviderClient:
    """A provider client for an entry's data (key, provider, region, URL overrides) and
    options (Faseeh's transport).

    REST goes through Home Assistant's shared session and ``wss://`` through the very
    TLS context that session verifies with: built once by Home Assistant at start-up,
    so no connection reads the CA store inside the event loop.
    """
    session = async_get_clientsession(hass)
    ws_url = data.get(CONF_WS_URL) or None
    api_url = data.get(CONF_API_URL) or None
    ssl_context = get_default_context()
    if data[CONF_PROVIDER] == PROVIDER_HAMSA:
        return HamsaClient(
            data[CONF_API_KEY],
            ws_url=ws_url,
            api_url=api_url,
            session=session,
            ssl_context=ssl_context,
            connect_interval=HAMSA_CONNECT_INTERVAL,
            breaker_backoff=BREAKER_BACKOFF,
        )
    return FaseehClient(
        data[CONF_API_KEY],
        ws_url=ws_url,
        api_url=api_url,
        session=session,
        ssl_context=ssl_context,
        region=data.get(CONF_REGION) or REGION_GLOBAL,
        transport=(options or {}).get(CONF_TRANSPORT) or TRANSPORT_AUTO,
        region_advice=REGION_ADVICE,
        breaker_backoff=BREAKER_BACKOFF,
    )


async def async_validate(client: ProviderClient, api_key: str) -> tuple[str, list[str]]:
    """Prove the key works with a free call; return (unique id, model ids if any).

    Hamsa entries are unique per project (the key check returns its id). Faseeh tells us
    nothing about the account, so its entries are unique per key: a hash, never the key.
    """
    if isinstance(client, HamsaClient):
        project_id = await client.validate_key()
        return f"hamsa-{project_id}", []
    models = await client.validate_key()
    return faseeh_unique_id(api_key), models


def faseeh_unique_id(api_key: str) -> str:
    """Stable, non-reversible id for a Faseeh key."""
    return "faseeh-" + hashlib.sha256(api_key.encode()).hexdigest()[:32]


def builtin_voices(provider: str) -> list[Voice]:
    """The offline catalogue of a provider."""
    return builtin_hamsa_voices() if provider == PROVIDER_HAMSA else builtin_faseeh_voices()


async def async_list_voices(
    client: ProviderClient,
    provider: str,
    custom_voices: list[str] | None = None,
    *,
    failures: FailureLog | None = None,
) -> tuple[list[Voice], bool]:
    """Catalogue plus live list (best effort, bounded) plus configured cloned voices, and
    whether the live list was read; a failure of the live list is kept in ``failures``."""
    live: list[Voice] = []
    listed = False
    try:
        async with asyncio.timeout(LIST_TIMEOUT):
            live = await client.list_voices()
        listed = True
    except TimeoutError:
        _LOGGER.debug("Live voice list took too long, using the catalogue")
    except TtsError as err:
        if failures is not None:
            failures.record("voices", err)
        _LOGGER.debug("Live voice list unavailable, using the catalogue: %s", err)
    voices = merge_voices(builtin_voices(provider), live)
    known = {voice.voice_id for voice in voices}
    voices.extend(
        hamsa_custom_voice(voice_id) for voice_id in custom_voices or () if voice_id not in known
    )
    return voices, listed


async def async_list_models(client: ProviderClient) -> list[str]:
    """Faseeh model ids: catalogue plus live list (best effort, bounded)."""
    live: list[str] = []
    if isinstance(client, FaseehClient):
        try:
            async with asyncio.timeout(LIST_TIMEOUT):
                live = await client.list_models()
        except (TtsError, TimeoutError) as err:
            _LOGGER.debug("Live model list unavailable, using the catalogue: %s", err)
    return list(dict.fromkeys([*FASEEH_MODELS, *live]))


def default_voice(provider: str) -> str:
    """The voice used when none was configured."""
    return HAMSA_DEFAULT_SPEAKER if provider == PROVIDER_HAMSA else FASEEH_DEFAULT_VOICE


def voice_label(voice: Voice, language: str) -> str:
    """A voice's description in Arabic for an Arabic UI, in English otherwise."""
    return voice.description_ar if language.startswith("ar") else voice.description_en


def hamsa_dialect(voice_id: str, dialect: str | None, voices: Mapping[str, Voice]) -> str:
    """The dialect to ask for: a chosen dialect (not ``auto``) overrides; otherwise the
    one in the voice id (``Mariam-ksa``), else the voice's own (live list, catalogue),
    else Fusha (cloned voices, names the catalogue does not know)."""
    if dialect and dialect != DIALECT_AUTO:
        return dialect
    speaker, in_id = parse_voice_id(voice_id)
    if in_id is not None:
        return in_id
    voice = voices.get(voice_id)
    if voice is not None and voice.dialect:
        return voice.dialect
    return own_dialect(speaker)


def hamsa_settings(
    options: Mapping[str, Any], voices: Mapping[str, Voice] | None = None
) -> HamsaVoiceSettings:
    """Request settings from merged TTS options (``voice``, ``dialect``)."""
    voice_id = str(options.get(CONF_VOICE) or HAMSA_DEFAULT_SPEAKER)
    dialect = options.get(CONF_DIALECT)
    return HamsaVoiceSettings(
        speaker=parse_voice_id(voice_id)[0],
        dialect=hamsa_dialect(voice_id, str(dialect) if dialect else None, voices or {}),
    )


def faseeh_settings(options: Mapping[str, Any]) -> FaseehVoiceSettings:
    """Request settings from merged TTS options (voice, model, speed, stability, dialect,
    sample rate).

    Raises ValueError when a value is out of place (speed not a number, unknown dialect).
    """
    speed = options.get(CONF_SPEED)
    stability = options.get(CONF_STABILITY)
    return FaseehVoiceSettings(
        voice_id=str(options.get(CONF_VOICE) or FASEEH_DEFAULT_VOICE),
        model_id=str(options.get(CONF_MODEL) or FASEEH_DEFAULT_MODEL),
        speed=None if speed is None else float(speed),
        stability=None if stability is None else float(stability),
        dialect=str(options.get(CONF_DIALECT) or DIALECT_AUTO),
        sample_rate=int(options.get(CONF_SAMPLE_RATE) or DEFAULT_RATE),
    )


__all__ = [
    "async_list_models",
    "async_list_voices",
    "async_validate",
    "builtin_voices",
    "create_client",
    "default_voice",
    "faseeh_settings",
    "faseeh_unique_id",
    "hamsa_dialect",
    "hamsa_settings",
    "is_custom_voice_id",
    "voice_label",
]
