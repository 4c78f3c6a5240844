"""Diagnostics never contain the API key."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.arabic_tts.core.faseeh import FaseehClient
from custom_components.arabic_tts.diagnostics import async_get_config_entry_diagnostics

from ..fakes.faseeh import FakeFaseeh
from ..fakes.hamsa import FakeHamsa
from ..fakes.hamsa import Fault as HamsaFault
from .conftest import FASEEH_KEY, HAMSA_KEY, VOICE_UUID, faseeh_entry, hamsa_entry, setup_entry
from .test_tts import media_audio


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
    async with asyncio.timeout(20):  # a hang guard: a busy machine may take seconds
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


# --- transport and recent failures -------------------------------------------------------

# Keys that look like real ones, so a scan for every 6-character piece means something.
REAL_HAMSA_KEY = "hk_Zp4Rm8Qx2Lv6Wn9Tb3Yc"
REAL_FASEEH_KEY = "fk_Jd7Hs1Kq5Nm3Xw8Vr2Pg"


def assert_no_key_piece(result: dict[str, Any], key: str) -> None:
    """Neither the key nor any 6-character piece of it anywhere in the diagnostics."""
    text = json.dumps(result, ensure_ascii=False)
    pieces = [key[i : i + 6] for i in range(len(key) - 5)]
    assert not [piece for piece in pieces if piece in text], text


async def test_hamsa_diagnostics_show_the_transport_and_the_last_failures(
    hass: HomeAssistant, hamsa: FakeHamsa
) -> None:
    hamsa.valid_keys.add(REAL_HAMSA_KEY)
    entry = hamsa_entry(hass, hamsa, key=REAL_HAMSA_KEY)
    entity_id = await setup_entry(hass, entry)
    # A provider text that echoes part of the key, then an empty wallet (4003).
    hamsa.faults = [HamsaFault.error(f"API key {REAL_HAMSA_KEY[3:15]} is inactive")]
    with pytest.raises(HomeAssistantError):
        await media_audio(hass, entity_id, "رسالة أولى لن تقال.")
    hamsa.valid_keys.discard(REAL_HAMSA_KEY)
    hamsa.empty_wallet_keys.add(REAL_HAMSA_KEY)
    with pytest.raises(HomeAssistantError):
        await media_audio(hass, entity_id, "رسالة ثانية لن تقال.")

    result = await async_get_config_entry_diagnostics(hass, entry)
    runtime = result["runtime"]
    transport = runtime["transport"]
    assert (transport["transport"], transport["socket_auth"]) == ("websocket", "header")
    assert "X-Api-Key header" in transport["reason"]
    assert transport["pool_size"] == 2
    assert transport["connect_interval"] == 0  # the tests' unpaced pool
    assert transport["first_connection"].startswith("opened in ")
    assert transport["voice_ids"] == len(hamsa.catalog)
    failures = runtime["recent_failures"]
    assert [(f["where"], f["code"]) for f in failures] == [
        ("speak", "auth_failed"),
        ("speak", "insufficient_funds"),
    ]
    assert failures[0]["provider_text"] == "API key **REDACTED** is inactive"
    assert failures[1]["provider_text"] == "close code 4003: Wallet balance depleted"
    assert failures[1]["message"] == "The Hamsa wallet is empty."
    assert datetime.fromisoformat(failures[1]["time"]).tzinfo is not None
    assert_no_key_piece(result, REAL_HAMSA_KEY)


async def test_faseeh_diagnostics_say_why_rest_and_keep_five_failures(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    faseeh.valid_keys.add(REAL_FASEEH_KEY)
    faseeh.init_key_auth = False
    faseeh.query_key_auth = False  # the socket refuses every form: REST it is
    entry = faseeh_entry(hass, faseeh, key=REAL_FASEEH_KEY)
    entity_id = await setup_entry(hass, entry)
    client = entry.runtime_data.client
    assert isinstance(client, FaseehClient)
    async with asyncio.timeout(20):  # a hang guard: a busy machine may take seconds
        while client.transport_state.transport != "rest":  # noqa: ASYNC110 (no event)
            await asyncio.sleep(0.01)
    faseeh.balances[REAL_FASEEH_KEY] = 0.0
    for attempt in range(7):
        with pytest.raises(HomeAssistantError):
            await media_audio(hass, entity_id, f"رسالة رقم {attempt} لن تقال أبدا.")

    result = await async_get_config_entry_diagnostics(hass, entry)
    transport = result["runtime"]["transport"]
    assert (transport["mode"], transport["transport"]) == ("auto", "rest")
    assert "refused the key" in transport["reason"]
    assert "while REST accepted it" in transport["reason"]
    failures = result["runtime"]["recent_failures"]
    assert len(failures) == 5  # the last five only
    assert {f["code"] for f in failures} == {"insufficient_funds"}
    assert all(f["provider_text"].startswith('402 {"errorCode": 40201') for f in failures)
    assert_no_key_piece(result, REAL_FASEEH_KEY)


async def test_a_failed_setup_keeps_its_failure_for_diagnostics(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    entry = faseeh_entry(hass, faseeh, key=REAL_FASEEH_KEY)  # not a key the fake knows
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    result = await async_get_config_entry_diagnostics(hass, entry)
    [failure] = result["runtime"]["recent_failures"]
    assert (failure["where"], failure["code"]) == ("setup", "auth_failed")
    assert failure["provider_text"] == "HTTP 401, code 40101: Invalid API key"
    assert_no_key_piece(result, REAL_FASEEH_KEY)


async def test_failures_outlive_a_reload(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """A reauth or an options change reloads the entry; its last failures stay."""
    entry = faseeh_entry(hass, faseeh, key=REAL_FASEEH_KEY)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    faseeh.valid_keys.add(REAL_FASEEH_KEY)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_reload(entry.entry_id)  # a plain reload too
    await hass.async_block_till_done()
    result = await async_get_config_entry_diagnostics(hass, entry)
    assert [(f["where"], f["code"]) for f in result["runtime"]["recent_failures"]] == [
        ("setup", "auth_failed")
    ]
    assert_no_key_piece(result, REAL_FASEEH_KEY)
