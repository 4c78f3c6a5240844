"""Diagnostics never contain the API key."""

from __future__ import annotations

import asyncio
import json

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.arabic_tts.diagnostics import async_get_config_entry_diagnostics

from ..fakes.faseeh import FakeFaseeh
from ..fakes.hamsa import FakeHamsa
from .conftest import FASEEH_KEY, HAMSA_KEY, VOICE_UUID, faseeh_entry, hamsa_entry, setup_entry


async def test_diagnostics_redacted_over_http(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hamsa: FakeHamsa,
) -> None:
    """The diagnostics download redacts the key (and the key-derived unique id)."""
    hamsa.custom_voices[VOICE_UUID] = "Grandma"
    entry = hamsa_entry(hass, hamsa, custom_voices=[VOICE_UUID])
    await setup_entry(hass, entry)
    pool = entry.runtime_data.client.pool
    async with asyncio.timeout(3):
        while pool.idle_count < 2:  # noqa: ASYNC110 (the pool offers no event)
            await asyncio.sleep(0.01)
    assert await async_setup_component(hass, "diagnostics", {})
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert HAMSA_KEY not in json.dumps(result)
    assert result["entry"]["data"]["api_key"] == "**REDACTED**"
    assert result["entry"]["unique_id"] == "**REDACTED**"
    assert result["entry"]["options"]["custom_voices"] == [VOICE_UUID]
    assert result["runtime"]["preloaded_custom_voices"] == [VOICE_UUID]
    assert result["runtime"]["warm_connections"] == 2  # a household's pool
    assert {"Ali", "Salem"} <= set(result["runtime"]["voices"])


async def test_faseeh_diagnostics(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """Faseeh diagnostics list the models; the key and its hash stay out."""
    entry: MockConfigEntry = faseeh_entry(hass, faseeh)
    await setup_entry(hass, entry)
    result = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(result)
    assert FASEEH_KEY not in text
    assert str(entry.unique_id) not in text
    assert "faseeh-v1-preview" in result["runtime"]["models"]
