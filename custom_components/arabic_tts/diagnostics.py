"""Diagnostics for Arabic TTS: configuration and connection state, keys redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from . import ArabicTtsConfigEntry
from .core.faseeh import FaseehClient
from .core.redact import Redactor

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
        else:
            info["warm_connections"] = client.pool.idle_count
            info["preloaded_custom_voices"] = sorted(client.preloaded)
        # Which transport requests take and why, and the last failures with the
        # provider's own words: what a bug report needs. Provider texts may echo the key,
        # so every piece of it is removed (the account probe's rule).
        redactor = Redactor([entry.data.get(CONF_API_KEY)])
        info["client"] = redactor.text(info["client"])
        info["transport"] = redactor.data(client.transport_state.as_dict())
        info["recent_failures"] = redactor.data(runtime.failures.as_list())
        # Which voice spoke the last replies and why, and which ways to the provider are
        # skipped for now (state, since when, why, the next check).
        info["recent_replies"] = redactor.data(runtime.replies.as_list())
        info["breakers"] = redactor.data(
            [status.as_dict() for status in client.breakers.statuses()]
        )
        diagnostics["runtime"] = info
    return diagnostics
