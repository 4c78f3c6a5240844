"""Diagnostics for Arabic TTS: configuration and connection state, keys redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from . import ArabicTtsConfigEntry
from .core.faseeh import FaseehClient

# The Faseeh unique id is derived from the key; redact it with the key itself.
TO_REDACT = {CONF_API_KEY, "unique_id"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ArabicTtsConfigEntry
) -> dict[str, Any]:
    """Entry, options and what the client holds (never the key)."""
    diagnostics: dict[str, Any] = {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
    }
    runtime = getattr(entry, "runtime_data", None)
    if runtime is not None:
        client = runtime.client
        info: dict[str, Any] = {
            "client": repr(client),
            "provider_timeout": client.provider_timeout,
            "voices": sorted(voice.voice_id for voice in runtime.voices),
        }
        if isinstance(client, FaseehClient):
            info["models"] = runtime.models
            info["region"] = client.region.name
            info["transport"] = client.transport_state.as_dict()
        else:
            info["warm_connections"] = client.pool.idle_count
            info["preloaded_custom_voices"] = sorted(client.preloaded)
        diagnostics["runtime"] = info
    return diagnostics
