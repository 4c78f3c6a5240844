"""Home Assistant's TTS entity against every Faseeh behaviour the strict fake models.

Whole-text WAV and streamed WAV, byte for byte, with what the fake received (auth form,
transport, body fields); the region choice in the config flow; the transport, dialect and
sample-rate options; the transport state in diagnostics.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

import pytest
from homeassistant.components import tts
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.arabic_tts.config_flow import default_options
from custom_components.arabic_tts.const import (
    CONF_DIALECT,
    CONF_MODEL,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_TRANSPORT,
    CONF_VOICE,
    DOMAIN,
    PROVIDER_FASEEH,
)
from custom_components.arabic_tts.core import faseeh_api
from custom_components.arabic_tts.core.faseeh import FaseehRegion
from custom_components.arabic_tts.diagnostics import async_get_config_entry_diagnostics
from custom_components.arabic_tts.provider import faseeh_unique_id

from ..core.helpers import wait_for
from ..fakes.audio import pcm_for_text
from ..fakes.faseeh import FakeFaseeh
from ..fakes.faseeh_modes import (
    arrange_nothing,
    batches,
    needs_flush,
    silent,
    socket_refuses_every_key,
)
from .conftest import FASEEH_KEY, faseeh_entry, setup_entry
from .test_tts import WAV, entity_of, media_audio, parse_wav

PLAIN = "أهلا وسهلا بكم في المنزل هذا المساء."
PIECES = ["الجو اليوم مشمس ", "وجميل جدا. ", "وغدا سيكون ", "ممطرا في المساء."]
SENTENCES = ["الجو اليوم مشمس وجميل جدا.", "وغدا سيكون ممطرا في المساء."]


@dataclass(frozen=True)
class Mode:
    arrange: Callable[[FakeFaseeh], None]
    transport: str  # what the fake should have been asked over
    option: str = "auto"  # the entry's transport option
    socket_used: bool = True


MODES = {
    "header-refused-init-key": Mode(arrange_nothing, "websocket"),
    "silent-socket": Mode(silent, "rest"),
    "isfinal-batches": Mode(batches, "websocket"),
    "needs-flush": Mode(needs_flush, "websocket"),
    "rest-only": Mode(socket_refuses_every_key, "rest", "rest", socket_used=False),
    "socket-refuses-key-auto": Mode(socket_refuses_every_key, "rest", socket_used=False),
}


async def stream_audio(hass: HomeAssistant, entity_id: str, pieces: list[str]) -> bytes:
    """Assist's way: the text arrives in pieces, the WAV streams back."""

    async def message_gen() -> AsyncGenerator[str]:
        for piece in pieces:
            yield piece

    stream = tts.async_create_stream(hass, entity_id, language="ar", options=WAV)
    stream.async_set_message_stream(message_gen())
    data = b""
    async with asyncio.timeout(20):
        async for chunk in stream.async_stream_result():
            data += chunk
    return data


@pytest.mark.parametrize("mode", MODES.values(), ids=list(MODES))
async def test_whole_and_streamed_audio_is_exact(
    hass: HomeAssistant, faseeh: FakeFaseeh, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mode.arrange(faseeh)
    entry = faseeh_entry(hass, faseeh, transport=mode.option)
    entity_id = await setup_entry(hass, entry)

    entity = entity_of(hass, entity_id)
    extension, data = await entity.async_get_tts_audio(
        PLAIN, "ar", dict(entity.default_options or {})
    )
    assert extension == "wav" and data is not None
    rate, frames, pcm = parse_wav(data)
    assert (rate, frames * 2) == (24000, len(pcm))  # a complete WAV
    assert pcm == pcm_for_text(PLAIN, 24000)

    data = await stream_audio(hass, entity_id, PIECES)
    rate, frames, pcm = parse_wav(data)
    assert (rate, frames) == (24000, 0)  # streaming header
    assert [g.text for g in faseeh.generations] == [PLAIN, *SENTENCES]
    assert pcm == b"".join(pcm_for_text(text, 24000) for text in SENTENCES)

    assert {g.transport for g in faseeh.generations} == {mode.transport}
    initialised = [c for c in faseeh.connections if c.init is not None]
    if mode.socket_used:
        assert initialised and {c.key_via for c in initialised} == {"init"}
    else:
        assert initialised == []
    assert all("x-api-key" not in c.headers for c in faseeh.connections)
    if mode.transport == "rest":
        body = faseeh.rest_tts_requests[-1].json
        assert (body["voice_id"], body["dialect"], body["sample_rate"]) == (
            "ar-najdi-male-2",
            "auto",
            24000,
        )
        assert entry.runtime_data.client.transport_state.transport == "rest"
    assert FASEEH_KEY not in caplog.text


async def test_options_choose_rest_dialect_and_rate(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    faseeh.honour_requested_rate = True
    entry = faseeh_entry(hass, faseeh)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    chosen = {
        CONF_VOICE: "ar-uae-male-1",
        CONF_MODEL: "faseeh-v1-preview",
        CONF_TRANSPORT: "websocket",
        CONF_DIALECT: "emirati",
        CONF_SAMPLE_RATE: "16000",
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], chosen)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_DIALECT: "dialect_needs_rest"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**chosen, CONF_TRANSPORT: "rest"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.client.transport_state.mode == "rest"

    entity_id = f"tts.{entry.title.lower()}_text_to_speech"
    _ext, data = await media_audio(hass, entity_id, PLAIN)
    rate, _frames, pcm = parse_wav(data)
    assert (rate, pcm) == (16000, pcm_for_text(PLAIN, 16000))
    body = faseeh.rest_tts_requests[-1].json
    assert (body["voice_id"], body["dialect"], body["sample_rate"]) == (
        "ar-uae-male-1",
        "emirati",
        16000,
    )
    # A per-request dialect works too (Fusha for this one message).
    _ext, data = await media_audio(hass, entity_id, PLAIN + " ", {**WAV, "dialect": "fusha"})
    assert faseeh.rest_tts_requests[-1].json["dialect"] == "fusha"


async def test_auto_sends_a_dialect_request_over_rest_and_stays_on_the_socket(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    entry = faseeh_entry(hass, faseeh)
    entity_id = await setup_entry(hass, entry)
    await media_audio(hass, entity_id, PLAIN, {**WAV, "dialect": "emirati"})
    await media_audio(hass, entity_id, PLAIN + " ")
    assert [g.transport for g in faseeh.generations] == ["rest", "websocket"]
    assert faseeh.generations[0].dialect == "emirati"


async def test_diagnostics_show_the_transport_and_why(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    socket_refuses_every_key(faseeh)
    entry = faseeh_entry(hass, faseeh)
    await setup_entry(hass, entry)
    client = entry.runtime_data.client
    await wait_for(lambda: client.transport_state.transport == "rest")
    result = await async_get_config_entry_diagnostics(hass, entry)
    transport = result["runtime"]["transport"]
    assert (transport["mode"], transport["transport"]) == ("auto", "rest")
    assert "REST accepted it" in transport["reason"]
    assert result["runtime"]["region"] == "global"
    assert FASEEH_KEY not in json.dumps(result)


# --------------------------------------------------------------------------- regions


@pytest.fixture
async def uae(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[FakeFaseeh]:
    fake = FakeFaseeh(valid_keys={"uae-key"})
    await fake.start()
    try:
        yield fake
    finally:
        for entry in hass.config_entries.async_entries(DOMAIN):
            if entry.state is ConfigEntryState.LOADED:
                await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await fake.stop()


async def test_config_flow_says_which_region_a_key_belongs_to(
    hass: HomeAssistant, faseeh: FakeFaseeh, uae: FakeFaseeh, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, label, fake in (("global", "Global", faseeh), ("uae", "UAE", uae)):
        monkeypatch.setitem(
            faseeh_api.REGIONS, name, FaseehRegion(name, label, fake.api_url, fake.ws_url)
        )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "faseeh"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "uae-key", CONF_REGION: "global"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_REGION: "key_in_region_uae"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "uae-key", CONF_REGION: "uae"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_REGION] == "uae"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    entity_id = f"tts.{entry.title.lower()}_text_to_speech"
    _ext, data = await media_audio(hass, entity_id, PLAIN)
    assert parse_wav(data)[2] == pcm_for_text(PLAIN, 24000)
    assert uae.generations and not faseeh.generations


async def test_reauth_keeps_the_region_or_moves_it(
    hass: HomeAssistant, faseeh: FakeFaseeh, uae: FakeFaseeh, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, label, fake in (("global", "Global", faseeh), ("uae", "UAE", uae)):
        monkeypatch.setitem(
            faseeh_api.REGIONS, name, FaseehRegion(name, label, fake.api_url, fake.ws_url)
        )
    uae.valid_keys.add("new-uae-key")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Faseeh",
        unique_id=faseeh_unique_id("old-key"),
        data={CONF_PROVIDER: PROVIDER_FASEEH, CONF_API_KEY: "old-key", CONF_REGION: "uae"},
        options=default_options(PROVIDER_FASEEH),
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: "new-uae-key"},  # the region field left as it was
    )
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_REGION] == "uae"
    await hass.async_block_till_done()

    faseeh.valid_keys.add("global-key")
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "global-key"}
    )
    assert result["errors"] == {CONF_REGION: "key_in_region_global"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "global-key", CONF_REGION: "global"}
    )
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_REGION] == "global"
    await hass.async_block_till_done()
