"""Setup, unload, preloading of cloned voices, reload on options change, setup errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant

from custom_components.arabic_tts import provider
from custom_components.arabic_tts.const import CONF_CUSTOM_VOICES, DOMAIN
from custom_components.arabic_tts.core.hamsa import DEFAULT_CONNECT_INTERVAL, HamsaClient
from custom_components.arabic_tts.provider import create_client

from ..fakes.faseeh import FakeFaseeh
from ..fakes.hamsa import FakeHamsa
from .conftest import VOICE_UUID, faseeh_entry, hamsa_data, hamsa_entry, setup_entry

PRELOAD_PATH = "/v2/tts/voices/custom/preload"


async def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll a condition the fakes expose (they offer no event to wait on)."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_setup_warms_and_unload_closes(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """Setup opens the warm sockets; unload closes them and leaves no task behind."""
    entry = hamsa_entry(hass, hamsa)
    await setup_entry(hass, entry)
    client = entry.runtime_data.client
    assert isinstance(client, HamsaClient)
    assert await client.pool.wait_warm(3)
    await _wait_for(lambda: hamsa.open_connections == 2)
    # The key went in a header, never in the URL.
    assert hamsa.connections[0].key_via == "header"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    await _wait_for(lambda: hamsa.open_connections == 0)


async def test_hamsa_client_is_paced_like_the_core_by_default(
    hass: HomeAssistant, hamsa: FakeHamsa
) -> None:
    """The entry's client keeps the household pool and the core's connection pace (the
    other tests here run unpaced, through the constant this reads)."""
    with patch("custom_components.arabic_tts.provider.HAMSA_CONNECT_INTERVAL", 7.0):
        client = create_client(hass, hamsa_data(hamsa))
    try:
        assert isinstance(client, HamsaClient)
        assert (client.pool_size, client.connect_interval) == (2, DEFAULT_CONNECT_INTERVAL)
        assert provider.DEFAULT_CONNECT_INTERVAL == 7.0
    finally:
        await client.close()


async def test_faseeh_setup_warms_configured_voice(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """The warm Faseeh socket is initialised with the configured voice and model."""
    entry = faseeh_entry(hass, faseeh, voice="ar-egyptian-male-1", speed=0.9)
    await setup_entry(hass, entry)
    await _wait_for(lambda: bool(faseeh.connections) and faseeh.connections[0].init is not None)
    init = faseeh.connections[0].init
    assert init is not None
    assert init["voice_id"] == "ar-egyptian-male-1"
    assert init["model_id"] == "faseeh-v1-preview"  # the new default model (issue 9)
    assert init["x_api_key"] == entry.data["api_key"]
    assert "x-api-key" not in faseeh.connections[0].headers
    assert init["voice_settings"] == {"speed": 0.9}
    assert await hass.config_entries.async_unload(entry.entry_id)
    await _wait_for(lambda: faseeh.open_connections == 0)


async def test_setup_preloads_custom_voices(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """Every configured cloned voice is preloaded on each setup."""
    hamsa.custom_voices[VOICE_UUID] = "My voice"
    entry = hamsa_entry(hass, hamsa, **{CONF_CUSTOM_VOICES: [VOICE_UUID]})
    await setup_entry(hass, entry)
    preloads = [r for r in hamsa.rest_requests if r.path == PRELOAD_PATH]
    assert [r.json for r in preloads] == [{"voiceId": VOICE_UUID}]
    assert preloads[0].headers["Authorization"] == "Token hamsa-key"
    assert VOICE_UUID in hamsa.preloaded

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len([r for r in hamsa.rest_requests if r.path == PRELOAD_PATH]) == 2


async def test_failed_preload_is_not_fatal(
    hass: HomeAssistant, hamsa: FakeHamsa, caplog: pytest.LogCaptureFixture
) -> None:
    """A voice Hamsa does not know is logged; the entry still loads."""
    entry = hamsa_entry(hass, hamsa, **{CONF_CUSTOM_VOICES: [VOICE_UUID]})
    await setup_entry(hass, entry)
    assert "Could not preload Hamsa custom voice" in caplog.text
    assert "hamsa-key" not in caplog.text


async def test_setup_auth_failure_starts_reauth(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """A refused key at setup raises ConfigEntryAuthFailed: reauth flow starts."""
    entry = hamsa_entry(hass, hamsa, key="revoked")
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id


async def test_setup_unreachable_retries(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """A provider that cannot be reached means 'not ready' (retried), not an error."""
    faseeh.rest_status_override["/api/v1/models"] = 503
    entry = faseeh_entry(hass, faseeh)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
