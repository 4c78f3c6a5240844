"""Both clients over wss:// and https://: the given TLS context is used, never a new one."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import patch

import pytest
import trustme

from custom_components.arabic_tts.core import websocket
from custom_components.arabic_tts.core.audio import AudioFormat
from custom_components.arabic_tts.core.errors import ProviderUnavailable
from custom_components.arabic_tts.core.faseeh import FaseehClient, FaseehVoiceSettings
from custom_components.arabic_tts.core.hamsa import HamsaClient, HamsaVoiceSettings
from tests.core.helpers import collect
from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa
from tests.fakes.tls import client_context, make_ca, server_context

TEXT = "الباب الأمامي مفتوح"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return make_ca()


@pytest.fixture
async def hamsa(ca: trustme.CA) -> AsyncIterator[FakeHamsa]:
    fake = FakeHamsa()
    fake.tls = server_context(ca)
    async with fake:
        yield fake


@pytest.fixture
async def faseeh(ca: trustme.CA) -> AsyncIterator[FakeFaseeh]:
    fake = FakeFaseeh()
    fake.tls = server_context(ca)
    async with fake:
        yield fake


@pytest.fixture
def contexts_built() -> Iterator[list[ssl.SSLContext]]:
    """Every SSL context created while the test runs (reading the CA store each time)."""
    built: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def spy(*args: object, **kwargs: object) -> ssl.SSLContext:
        context = real(*args, **kwargs)  # type: ignore[arg-type]
        built.append(context)
        return context

    with patch("ssl.create_default_context", spy):
        yield built


@pytest.fixture
def ssl_used() -> Iterator[list[object]]:
    """The ``ssl`` argument of every WebSocket connection opened while the test runs."""
    used: list[object] = []
    real = websocket.connect

    def spy(url: str, **kwargs: Any) -> Any:
        used.append(kwargs.get("ssl"))
        return real(url, **kwargs)

    with patch.object(websocket, "connect", spy):
        yield used


async def test_hamsa_speaks_over_wss_with_the_given_context(
    hamsa: FakeHamsa,
    ca: trustme.CA,
    contexts_built: list[ssl.SSLContext],
    ssl_used: list[object],
) -> None:
    context = client_context(ca)
    # Unpaced, so the replacement below is a socket (not the REST stream).
    hamsa.connect_min_interval = None
    client = HamsaClient(
        "hamsa-key",
        ws_url=hamsa.ws_url,
        api_url=hamsa.api_url,
        ssl_context=context,
        connect_interval=0,
    )
    try:
        assert hamsa.ws_url.startswith("wss://")
        assert hamsa.api_url.startswith("https://")
        assert await client.validate_key()  # REST over https through the same context
        settings = HamsaVoiceSettings(speaker="Mariam", dialect="egy")
        for _ in range(2):
            formats, pcm, _ = await collect(client.synthesize(TEXT, settings))
            assert formats == {AudioFormat(16000)}
            assert pcm == pcm_for_text(TEXT, 16000)
        hamsa.frame_sizes = [777]
        await hamsa.close_all_idle()  # the replacement socket uses the context too
        _, pcm, _ = await collect(client.synthesize(TEXT, settings))
        assert pcm == pcm_for_text(TEXT, 16000)
    finally:
        await client.close()
    assert len(hamsa.connections) >= 2
    assert len(ssl_used) == len(hamsa.connections)
    assert all(used is context for used in ssl_used)
    assert hamsa.rest_requests and all(r.status == 200 for r in hamsa.rest_requests)
    assert contexts_built == []  # no context was built per connection


async def test_faseeh_speaks_over_wss_with_the_given_context(
    faseeh: FakeFaseeh,
    ca: trustme.CA,
    contexts_built: list[ssl.SSLContext],
    ssl_used: list[object],
) -> None:
    context = client_context(ca)
    client = FaseehClient(
        "faseeh-key", ws_url=faseeh.ws_url, api_url=faseeh.api_url, ssl_context=context
    )
    try:
        assert await client.validate_key()
        settings = FaseehVoiceSettings(voice_id="ar-najdi-male-2", model_id="faseeh-v1-preview")
        for _ in range(2):
            formats, pcm, _ = await collect(client.synthesize(TEXT, settings))
            assert formats == {AudioFormat(24000)}
            assert pcm == pcm_for_text(TEXT, 24000)
    finally:
        await client.close()
    assert ssl_used and len(ssl_used) == len(faseeh.connections)
    assert all(used is context for used in ssl_used)
    assert contexts_built == []


async def test_verification_stays_on(hamsa: FakeHamsa) -> None:
    """A context that does not trust the test CA is refused: nothing disables checks."""
    stranger = client_context(make_ca())
    client = HamsaClient(
        "hamsa-key", ws_url=hamsa.ws_url, api_url=hamsa.api_url, ssl_context=stranger
    )
    try:
        with pytest.raises(ProviderUnavailable, match="TLS failed"):
            await collect(client.synthesize(TEXT, HamsaVoiceSettings()))
        with pytest.raises(ProviderUnavailable):
            await client.validate_key()
    finally:
        await client.close()
    assert hamsa.connections == []


async def test_a_refused_certificate_on_a_rest_stream_is_unavailable_not_bad_audio(
    hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    """aiohttp's certificate error is also a ValueError: it must read as an unreachable
    provider (so the fallback speaks and the breaker opens), not as unreadable audio."""
    stranger = client_context(make_ca())
    hamsa_client = HamsaClient(
        "hamsa-key",
        ws_url="ws://127.0.0.1:9/never",  # no socket: the REST stream is all there is
        api_url=hamsa.api_url,
        ssl_context=stranger,
    )
    faseeh_client = FaseehClient(
        "faseeh-key", api_url=faseeh.api_url, ssl_context=stranger, transport="rest"
    )
    try:
        hamsa_client.breakers["websocket"].failed("test: the socket is resting")
        with pytest.raises(ProviderUnavailable, match="cannot reach Hamsa"):
            await collect(hamsa_client.synthesize(TEXT, HamsaVoiceSettings()))
        settings = FaseehVoiceSettings(voice_id="ar-najdi-male-2", model_id="faseeh-v1-preview")
        with pytest.raises(ProviderUnavailable, match="cannot reach Faseeh"):
            await collect(faseeh_client.synthesize(TEXT, settings))
    finally:
        await hamsa_client.close()
        await faseeh_client.close()
    assert hamsa.rest_requests == [] and faseeh.rest_requests == []


async def test_without_a_context_one_default_is_built_once(
    hamsa: FakeHamsa, ca: trustme.CA, contexts_built: list[ssl.SSLContext]
) -> None:
    """A caller with no context shares one per process, built on first use only."""
    websocket.default_ssl_context.cache_clear()
    try:
        clients = [
            HamsaClient("hamsa-key", ws_url=hamsa.ws_url, api_url=hamsa.api_url) for _ in range(2)
        ]
        for client in clients:
            # The default context trusts the system store, not our CA: the handshake
            # fails, but only after the one shared context was used.
            with pytest.raises(ProviderUnavailable, match="TLS failed"):
                await collect(client.synthesize(TEXT, HamsaVoiceSettings()))
            await client.close()
        assert len(contexts_built) == 1
        assert websocket.default_ssl_context() is contexts_built[0]
    finally:
        websocket.default_ssl_context.cache_clear()
