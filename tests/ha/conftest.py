"""Fixtures: fake providers on 127.0.0.1, config entries pointing at them, a TTS cache dir."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.arabic_tts.config_flow import default_options
from custom_components.arabic_tts.const import (
    CONF_API_URL,
    CONF_PROVIDER,
    CONF_WS_URL,
    DOMAIN,
    PROVIDER_FASEEH,
    PROVIDER_HAMSA,
)
from custom_components.arabic_tts.provider import faseeh_unique_id

from ..fakes.faseeh import FakeFaseeh
from ..fakes.hamsa import FakeHamsa

HAMSA_KEY = "hamsa-key"
FASEEH_KEY = "faseeh-key"
VOICE_UUID = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/arabic_tts in every test."""


@pytest.fixture(autouse=True)
def no_deprecation_reports(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail on any Home Assistant report that our integration uses something deprecated.

    Home Assistant reports deprecated use with a log line (report_usage, deprecated
    helpers): "... which is deprecated ...", "... will stop working in ...". The Python
    side (DeprecationWarning from our modules) is an error through pyproject.toml.
    """
    yield
    reports = [
        record.getMessage()
        for phase in ("setup", "call", "teardown")
        for record in caplog.get_records(phase)  # type: ignore[arg-type]
        if DOMAIN in record.getMessage()
        and re.search(r"deprecat|will stop working", record.getMessage(), re.IGNORECASE)
    ]
    assert reports == []


@pytest.fixture(autouse=True)
def unpaced_hamsa() -> Generator[None]:
    """Hamsa's connection pacing (tests/core/test_hamsa_retry.py) is seconds per new
    connection: these tests open sockets freely (test_init checks the real default)."""
    with patch("custom_components.arabic_tts.provider.HAMSA_CONNECT_INTERVAL", 0):
        yield


@pytest.fixture(autouse=True)
def tts_cache_dir(tmp_path: Path) -> Generator[Path]:
    """Keep the TTS file cache out of the test config dir."""
    with patch("homeassistant.components.tts._init_tts_cache_dir", return_value=str(tmp_path)):
        yield tmp_path


async def _unload_all(hass: HomeAssistant) -> None:
    """Unload our entries (closing warm sockets and their tasks) before a fake stops."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def hamsa(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[FakeHamsa]:
    """A running fake Hamsa; entries are unloaded before it stops. Unpaced like the
    client here (``unpaced_hamsa``): no connection-rate glitch either."""
    fake = FakeHamsa(valid_keys={HAMSA_KEY})
    fake.connect_min_interval = None
    await fake.start()
    try:
        yield fake
    finally:
        await _unload_all(hass)
        await fake.stop()


@pytest.fixture
async def faseeh(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[FakeFaseeh]:
    """A running fake Faseeh; entries are unloaded before it stops."""
    fake = FakeFaseeh(valid_keys={FASEEH_KEY})
    await fake.start()
    try:
        yield fake
    finally:
        await _unload_all(hass)
        await fake.stop()


def hamsa_data(fake: FakeHamsa, key: str = HAMSA_KEY) -> dict[str, Any]:
    """Entry data pointing at the fake."""
    return {
        CONF_PROVIDER: PROVIDER_HAMSA,
        CONF_API_KEY: key,
        CONF_WS_URL: fake.ws_url,
        CONF_API_URL: fake.api_url,
    }


def faseeh_data(fake: FakeFaseeh, key: str = FASEEH_KEY) -> dict[str, Any]:
    """Entry data pointing at the fake."""
    return {
        CONF_PROVIDER: PROVIDER_FASEEH,
        CONF_API_KEY: key,
        CONF_WS_URL: fake.ws_url,
        CONF_API_URL: fake.api_url,
    }


def hamsa_entry(
    hass: HomeAssistant, fake: FakeHamsa, *, key: str = HAMSA_KEY, **options: Any
) -> MockConfigEntry:
    """A Hamsa entry (added, not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Hamsa",
        unique_id="hamsa-project-1",
        data=hamsa_data(fake, key),
        options={**default_options(PROVIDER_HAMSA), **options},
    )
    entry.add_to_hass(hass)
    return entry


def faseeh_entry(
    hass: HomeAssistant, fake: FakeFaseeh, *, key: str = FASEEH_KEY, **options: Any
) -> MockConfigEntry:
    """A Faseeh entry (added, not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Faseeh",
        unique_id=faseeh_unique_id(key),
        data=faseeh_data(fake, key),
        options={**default_options(PROVIDER_FASEEH), **options},
    )
    entry.add_to_hass(hass)
    return entry


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Set the entry up; return its TTS entity id."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entity_id_of(hass, entry)


def entity_id_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The entry's TTS entity id."""
    entity_id = er.async_get(hass).async_get_entity_id("tts", DOMAIN, entry.entry_id)
    assert entity_id is not None
    return entity_id


@pytest.fixture
async def hamsa_loaded(hass: HomeAssistant, hamsa: FakeHamsa) -> tuple[MockConfigEntry, str]:
    """A loaded Hamsa entry and its entity id."""
    entry = hamsa_entry(hass, hamsa)
    return entry, await setup_entry(hass, entry)


@pytest.fixture
async def faseeh_loaded(hass: HomeAssistant, faseeh: FakeFaseeh) -> tuple[MockConfigEntry, str]:
    """A loaded Faseeh entry and its entity id."""
    entry = faseeh_entry(hass, faseeh)
    return entry, await setup_entry(hass, entry)
