"""Time to first audio through the Home Assistant TTS entity (streamed), beside the floor.

Home Assistant's test harness (pytest-homeassistant-custom-component) is the only
practical way to run a real ``hass`` here, so this part of the benchmark is a pytest file
that the bench command runs in a subprocess (``script/bench`` does it for you); it writes
its figures to ``$BENCH_HA_OUT``. It is not part of the test suite (``testpaths`` is
``tests``) and skips itself when run without the bench's environment.

The fakes run in Home Assistant's own event loop, with the bench's timing; the floor is
a bare WebSocket client in the same loop, so both sides pay the same loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import tts
from homeassistant.components.tts.const import DATA_COMPONENT
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import ClientConnection

from bench import direct
from bench.analysis import FakeLog, added_first_audio, ratio, summary
from bench.config import ProviderTiming
from bench.fake_host import FASEEH_KEY, HAMSA_KEY, configure, drain
from bench.texts import TextFactory
from bench.trace import Trace
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
from custom_components.arabic_tts.tts import ArabicTtsEntity
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa

pytestmark = pytest.mark.skipif(
    "BENCH_HA_OUT" not in os.environ, reason="part of the benchmark: run script/bench"
)

WAV_HEADER = 44
OPTIONS = {tts.ATTR_PREFERRED_FORMAT: "wav"}
REPLY_GUARD = 60.0


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/arabic_tts."""


@pytest.fixture(autouse=True)
def _tts_cache_dir(tmp_path: Path) -> Generator[Path]:
    """Keep Home Assistant's TTS file cache in a temporary folder."""
    with patch("homeassistant.components.tts._init_tts_cache_dir", return_value=str(tmp_path)):
        yield tmp_path


def _entry(hass: HomeAssistant, provider: str, fake: FakeHamsa | FakeFaseeh) -> MockConfigEntry:
    key = HAMSA_KEY if provider == PROVIDER_HAMSA else FASEEH_KEY
    unique = "hamsa-project-1" if provider == PROVIDER_HAMSA else faseeh_unique_id(key)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=provider,
        unique_id=unique,
        data={
            CONF_PROVIDER: provider,
            CONF_API_KEY: key,
            CONF_WS_URL: fake.ws_url,
            CONF_API_URL: fake.api_url,
        },
        options=default_options(provider),
    )
    entry.add_to_hass(hass)
    return entry


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    entity_id = er.async_get(hass).async_get_entity_id("tts", DOMAIN, entry.entry_id)
    assert entity_id is not None
    return entity_id


async def _remove(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()


async def _one(text: str) -> AsyncGenerator[str]:
    yield text


async def ha_stream(hass: HomeAssistant, entity_id: str, text: str) -> Trace:
    """Home Assistant's TTS stream (what Assist uses), text given whole; PCM timestamped."""
    trace = Trace(text=text, t0=time.monotonic())
    stream = tts.async_create_stream(hass, entity_id, language="ar", options=OPTIONS)
    stream.async_set_message_stream(_one(text))
    return await _collect(trace, stream.async_stream_result())


async def entity_stream(hass: HomeAssistant, entity_id: str, text: str) -> Trace:
    """Our entity's async_stream_tts_audio alone (no TTS manager in between)."""
    entity = hass.data[DATA_COMPONENT].get_entity(entity_id)
    assert isinstance(entity, ArabicTtsEntity)
    trace = Trace(text=text, t0=time.monotonic())
    response = await entity.async_stream_tts_audio(TTSAudioRequest("ar", {}, _one(text)))
    return await _collect(trace, response.data_gen)


async def _collect(trace: Trace, data: AsyncGenerator[bytes]) -> Trace:
    received = 0
    async with asyncio.timeout(REPLY_GUARD):
        async for chunk in data:
            now = time.monotonic()
            received += len(chunk)
            if received == len(chunk) and len(chunk) >= WAV_HEADER:
                rate = int.from_bytes(chunk[24:28], "little")
                trace.bytes_per_second = 2 * rate
            if received > WAV_HEADER:
                trace.arrivals.append((received - WAV_HEADER, now))
    trace.t_end = time.monotonic()
    return trace


class Floor:
    """The bare client, in Home Assistant's loop."""

    def __init__(self, provider: str, fake: FakeHamsa | FakeFaseeh) -> None:
        self.provider = provider
        self.fake = fake
        self.ws: ClientConnection | None = None

    async def open(self) -> None:
        if self.provider == PROVIDER_HAMSA:
            self.ws = await direct.open_hamsa(self.fake.ws_url, HAMSA_KEY)
        else:
            self.ws = await direct.open_faseeh(self.fake.ws_url, FASEEH_KEY)

    async def request(self, text: str) -> Trace:
        assert self.ws is not None
        if self.provider == PROVIDER_HAMSA:
            return await direct.hamsa_request(self.ws, text)
        return await direct.faseeh_request(self.ws, text)

    async def cold(self, text: str) -> Trace:
        if self.provider == PROVIDER_HAMSA:
            return await direct.hamsa_cold_request(self.fake.ws_url, HAMSA_KEY, text)
        return await direct.faseeh_cold_request(self.fake.ws_url, FASEEH_KEY, text)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def _log(fake: FakeHamsa | FakeFaseeh, provider: str) -> FakeLog:
    requests, frames = drain(provider, fake.timing)
    return FakeLog.from_drain({"requests": requests, "frames": frames})


def _figures(provider: str, traces: list[Trace], log: FakeLog) -> dict[str, Any]:
    good = [t for t in traces if t.ok]
    added = [
        a
        for t in good
        if (
            a := added_first_audio(
                t, log.requests.get((provider, t.text), []), log.frames.get((provider, t.text), [])
            )
        )
        is not None
    ]
    return {
        "ttfa": summary(t.first_audio for t in good),
        "added": summary(added),
        "errors": [t.error for t in traces if t.error],
    }


async def measure(
    hass: HomeAssistant, provider: str, fake: FakeHamsa | FakeFaseeh, config: dict[str, Any]
) -> dict[str, Any]:
    """Cold (first request right after setup), then warm: HA stream, entity, floor."""
    key = "hamsa" if provider == PROVIDER_HAMSA else "faseeh"
    texts = TextFactory()
    chars = config["text_chars"]
    floor = Floor(provider, fake)
    cold_ours: list[Trace] = []
    cold_floor: list[Trace] = []
    # Set up and remove once first: Home Assistant's own first-time work (loading the tts
    # component and our platform) is not what "cold" means here; a fresh entry is.
    entry = _entry(hass, provider, fake)
    await _setup(hass, entry)
    await _remove(hass, entry)
    for _ in range(config["cold_runs"]):
        entry = _entry(hass, provider, fake)
        entity_id = await _setup(hass, entry)
        cold_ours.append(await ha_stream(hass, entity_id, texts.text(chars)))
        await _remove(hass, entry)
        cold_floor.append(await floor.cold(texts.text(chars)))
    _log(fake, key)

    entry = _entry(hass, provider, fake)
    entity_id = await _setup(hass, entry)
    await floor.open()
    try:
        client = entry.runtime_data.client
        pool = client.pool if provider == PROVIDER_HAMSA else None
        if pool is not None:
            assert await pool.wait_warm(10)
        for _ in range(config["warmup_requests"]):
            await ha_stream(hass, entity_id, texts.text(chars))
            await entity_stream(hass, entity_id, texts.text(chars))
            await floor.request(texts.text(chars))
        _log(fake, key)
        ours: list[Trace] = []
        entity: list[Trace] = []
        base: list[Trace] = []
        for _ in range(config["warm_requests"]):
            ours.append(await ha_stream(hass, entity_id, texts.text(chars)))
            entity.append(await entity_stream(hass, entity_id, texts.text(chars)))
            base.append(await floor.request(texts.text(chars)))
        log = _log(fake, key)
    finally:
        await floor.close()
        await _remove(hass, entry)

    cold: dict[str, Any] = {
        "ours": summary(t.first_audio for t in cold_ours if t.ok),
        "floor": summary(t.first_audio for t in cold_floor if t.ok),
        "errors": [t.error for t in cold_ours + cold_floor if t.error],
    }
    cold["ratio_p50"] = ratio(cold["ours"]["p50"], cold["floor"]["p50"])
    warm: dict[str, Any] = {
        "ours": _figures(key, ours, log),
        "entity": _figures(key, entity, log),
        "floor": _figures(key, base, log),
    }
    warm["ratio_p50"] = ratio(warm["ours"]["ttfa"]["p50"], warm["floor"]["ttfa"]["p50"])
    return {"cold": cold, "warm": warm}


async def test_ha_time_to_first_audio(hass: HomeAssistant, socket_enabled: None) -> None:
    """Measure both providers and write the figures for the bench report."""
    config = json.loads(os.environ["BENCH_HA_CONFIG"])
    timing = ProviderTiming(**config["timing"])
    hamsa = FakeHamsa(valid_keys={HAMSA_KEY})
    faseeh = FakeFaseeh(valid_keys={FASEEH_KEY})
    await hamsa.start()
    await faseeh.start()
    configure(hamsa, faseeh, timing)
    results: dict[str, Any] = {"loop_debug": hass.loop.get_debug()}
    try:
        results["hamsa"] = await measure(hass, PROVIDER_HAMSA, hamsa, config)
        results["faseeh"] = await measure(hass, PROVIDER_FASEEH, faseeh, config)
    finally:
        await hass.async_block_till_done()
        await hamsa.stop()
        await faseeh.stop()
    _write(results)


def _write(results: dict[str, Any]) -> None:
    """The figures for the bench report, and for a human running this by hand (-s)."""
    text = json.dumps(results, indent=2)
    Path(os.environ["BENCH_HA_OUT"]).write_text(text, encoding="utf-8")
    print(text)
