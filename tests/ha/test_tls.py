"""A real TLS connection from the integration, with Home Assistant's blocking-call detector on.

Every real user reaches the providers over wss:// and https://. A client that builds an SSL
context per connection reads the CA store inside the event loop, which a real `hass`
process reports as "Detected blocking call to load_default_certs ...". Home Assistant's
test harness never turns that detector on (and skips the SSL checks in tests), so this
module turns it on the way `hass` does and fails on any such report.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncGenerator, Generator
from unittest.mock import patch

import pytest
import trustme
from homeassistant import block_async_io
from homeassistant.core import HomeAssistant
from homeassistant.util.ssl import get_default_context

from ..fakes.audio import pcm_for_text
from ..fakes.faseeh import FakeFaseeh
from ..fakes.hamsa import FakeHamsa
from ..fakes.tls import make_ca, server_context, trust
from .conftest import FASEEH_KEY, HAMSA_KEY, _unload_all, faseeh_entry, hamsa_entry, setup_entry
from .test_tts import faseeh_pcm, hamsa_pcm, media_audio, parse_wav

BLOCKING = "Detected blocking call"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return make_ca()


@pytest.fixture
def trusted(ca: trustme.CA) -> ssl.SSLContext:
    """Home Assistant's shared client context, told to trust the test CA.

    It is the context Home Assistant's aiohttp session verifies with and the one the
    integration hands to its WebSockets; verification stays on.
    """
    return trust(get_default_context(), ca)


@pytest.fixture
def detect_blocking(
    trusted: ssl.SSLContext, disable_block_async_io: None, caplog: pytest.LogCaptureFixture
) -> Generator[pytest.LogCaptureFixture]:
    """Blocking-call detection as in a running `hass` (SSL checks included).

    `disable_block_async_io` (Home Assistant's own fixture) undoes it afterwards.
    Repeat reports are logged at DEBUG, so those are captured too.
    """
    with patch.object(block_async_io, "_IN_TESTS", False):
        block_async_io.enable()
    caplog.set_level(logging.DEBUG, logger="homeassistant.util.loop")
    return caplog


@pytest.fixture
async def tls_fakes(
    hass: HomeAssistant, ca: trustme.CA, socket_enabled: None
) -> AsyncGenerator[tuple[FakeHamsa, FakeFaseeh]]:
    """Both fakes on wss:// and https:// (their certificates are made before detection)."""
    hamsa, faseeh = FakeHamsa(valid_keys={HAMSA_KEY}), FakeFaseeh(valid_keys={FASEEH_KEY})
    hamsa.connect_min_interval = None  # unpaced, as every HA test (conftest.unpaced_hamsa)
    for fake in (hamsa, faseeh):
        fake.tls = server_context(ca)
        await fake.start()
    try:
        yield hamsa, faseeh
    finally:
        await _unload_all(hass)
        for fake in (hamsa, faseeh):
            await fake.stop()


def blocking_reports(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage().split("\n")[0] for r in caplog.records if BLOCKING in r.getMessage()]


async def test_setup_and_speech_over_tls_block_nothing(
    hass: HomeAssistant,
    tls_fakes: tuple[FakeHamsa, FakeFaseeh],
    detect_blocking: pytest.LogCaptureFixture,
) -> None:
    """Key check (https), warm sockets (wss), a reload and speech: no blocking call."""
    hamsa, faseeh = tls_fakes
    assert hamsa.ws_url.startswith("wss://") and faseeh.api_url.startswith("https://")
    hamsa_config = hamsa_entry(hass, hamsa)
    hamsa_entity = await setup_entry(hass, hamsa_config)
    faseeh_config = faseeh_entry(hass, faseeh)
    faseeh_entity = await setup_entry(hass, faseeh_config)
    assert await hamsa_config.runtime_data.client.pool.wait_warm(5)

    _ext, data = await media_audio(hass, hamsa_entity, "مرحبا بك في البيت.")
    assert parse_wav(data)[2] == hamsa_pcm(hamsa)
    _ext, data = await media_audio(hass, faseeh_entity, "أهلا وسهلا بكم في المنزل.")
    assert parse_wav(data)[2] == faseeh_pcm(faseeh)

    # A restart of the entry opens every connection again.
    assert await hass.config_entries.async_reload(hamsa_config.entry_id)
    await hass.async_block_till_done()
    assert await hamsa_config.runtime_data.client.pool.wait_warm(5)
    again = "ومرة أخرى بعد إعادة التحميل."
    _ext, data = await media_audio(hass, hamsa_entity, again)
    assert parse_wav(data)[2] == pcm_for_text(again, 16000)

    assert len(hamsa.connections) >= 2 and faseeh.connections
    assert {r.path for r in hamsa.rest_requests} >= {"/v1/projects/by-api-key"}
    assert all(r.status == 200 for r in hamsa.rest_requests + faseeh.rest_requests)
    assert blocking_reports(detect_blocking) == []

    # The detector is really on: what websockets did per connection before is caught.
    ssl.create_default_context()
    assert any("load_default_certs" in line for line in blocking_reports(detect_blocking))
