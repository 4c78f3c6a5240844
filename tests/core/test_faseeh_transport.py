"""Faseeh's transports against every behaviour of the strict fake: which transport speaks,
what the fake received, that the audio is byte-exact, and that the key never leaks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from custom_components.arabic_tts.core import faseeh_api
from custom_components.arabic_tts.core.audio import AudioFormat
from custom_components.arabic_tts.core.errors import (
    AuthFailed,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from custom_components.arabic_tts.core.faseeh import (
    FaseehClient,
    FaseehRegion,
    FaseehVoiceSettings,
    WrongRegion,
)
from tests.core.helpers import collect, wait_for
from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import CLONE_VOICE, OPAQUE_VOICE, FakeFaseeh, Fault

KEY = "faseeh-secret-key-9a7e"
TEXT = "مرحبا بك في فصيح كيف يمكنني مساعدتك اليوم"
OTHER = "الغداء جاهز على الطاولة يا أهل البيت"
SETTINGS = FaseehVoiceSettings(voice_id="ar-egyptian-male-1")
Make = Callable[..., FaseehClient]


@pytest.fixture
async def fake() -> AsyncIterator[FakeFaseeh]:
    async with FakeFaseeh(valid_keys={KEY}) as server:
        yield server


@pytest.fixture
async def make(fake: FakeFaseeh) -> AsyncIterator[Callable[..., FaseehClient]]:
    """Clients against the fake; every one is closed at teardown."""
    clients: list[FaseehClient] = []

    def factory(**options: Any) -> FaseehClient:
        options.setdefault("provider_timeout", 3.0)
        client = FaseehClient(KEY, ws_url=fake.ws_url, api_url=fake.api_url, **options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


def warnings_about_rest(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "now speaks over REST" in r.getMessage()
    ]


# --------------------------------------------------------------------------- socket auth


async def test_auto_speaks_over_the_socket_with_the_key_in_init(
    fake: FakeFaseeh, make: Make
) -> None:
    client = make()
    client.start_warming(SETTINGS)
    await wait_for(lambda: "accepted" in client.transport_state.reason)
    fake.frame_sizes = [4801, 333, 7]
    formats, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert (formats, pcm) == ({AudioFormat(24000)}, pcm_for_text(TEXT, 24000))
    [record] = fake.connections
    assert record.key_via == "init"
    assert "x-api-key" not in record.headers
    assert record.query == {}
    assert fake.rest_tts_requests == []
    state = client.transport_state
    assert (state.mode, state.transport, state.socket_auth) == ("auto", "websocket", "init")
    assert state.reason == "the WebSocket accepted the key (in initConnection)"
    assert state.as_dict()["since"].endswith("+00:00")


async def test_init_auth_refused_falls_back_to_the_url_form_never_logged(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.init_key_auth = False
    client = make()
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert [c.key_via for c in fake.connections] == [None, "query"]
    assert fake.connections[1].query == {"x-api-key": KEY}
    assert client.transport_state.socket_auth == "query"
    _, pcm, _ = await collect(client.synthesize(OTHER, SETTINGS))  # reuses the socket
    assert pcm == pcm_for_text(OTHER, 24000)
    assert len(fake.connections) == 2
    assert KEY not in caplog.text
    assert f"{fake.ws_url}?" not in caplog.text  # the URL that holds the key is never logged


async def test_socket_refusing_every_auth_form_moves_auto_to_rest_at_start_up(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.init_key_auth = False
    fake.query_key_auth = False
    client = make()
    client.start_warming(SETTINGS)
    await wait_for(lambda: client.transport_state.transport == "rest")
    # Decided before any request, for free: two refused handshakes and one /models.
    assert fake.generations == [] and fake.silent_texts == []
    assert [r.path for r in fake.rest_requests] == ["/api/v1/models"]
    state = client.transport_state
    assert "refused the key" in state.reason and "40101" in state.reason
    assert "REST accepted it" in state.reason
    fake.frame_sizes = [999, 1]
    for text in (TEXT, OTHER):
        formats, pcm, _ = await collect(client.synthesize(text, SETTINGS))
        assert (formats, pcm) == ({AudioFormat(24000)}, pcm_for_text(text, 24000))
    assert [g.transport for g in fake.generations] == ["rest", "rest"]
    assert len(fake.connections) == 2  # never tried again
    assert len(warnings_about_rest(caplog)) == 1
    assert KEY not in caplog.text


async def test_socket_refusal_found_by_a_request_finishes_it_over_rest(
    fake: FakeFaseeh, make: Make
) -> None:
    fake.init_key_auth = False
    fake.query_key_auth = False
    client = make()  # no start-up probe: the first request finds out
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert client.transport_state.transport == "rest"
    assert [g.transport for g in fake.generations] == ["rest"]


async def test_websocket_mode_never_uses_rest(fake: FakeFaseeh, make: Make) -> None:
    fake.init_key_auth = False
    fake.query_key_auth = False
    client = make(transport="websocket")
    with pytest.raises(AuthFailed) as caught:
        await collect(client.synthesize(TEXT, SETTINGS))
    assert KEY not in str(caught.value)
    assert fake.rest_tts_requests == []
    assert client.transport_state.transport == "websocket"


# --------------------------------------------------------------------------- silent socket


async def test_silent_socket_first_request_finishes_over_rest_later_ones_start_at_once(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.silent_socket = True
    client = make(provider_timeout=3.0, first_audio_limit=0.5)
    client.start_warming(SETTINGS)
    await client.socket.pool.wait_warm(5)
    assert client.transport_state.transport == "websocket"  # initConnection was fine

    started = time.monotonic()
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    first = time.monotonic() - started
    assert pcm == pcm_for_text(TEXT, 24000)
    assert fake.silent_texts == [TEXT]
    assert [g.transport for g in fake.generations] == ["rest"]
    assert first < 3.0 + 2.0  # within the provider timeout plus a few seconds
    state = client.transport_state
    assert state.transport == "rest"
    assert "no audio within 0.5 s" in state.reason

    stream = client.synthesize(OTHER, SETTINGS)
    started = time.monotonic()
    async with contextlib.aclosing(stream):
        async for _chunk in stream:
            break
    assert time.monotonic() - started < 0.5  # nobody waits for the silent socket again
    assert fake.silent_texts == [TEXT]
    assert len(warnings_about_rest(caplog)) == 1
    await wait_for(lambda: fake.open_connections == 0)  # the silent socket was let go


async def test_silent_socket_in_websocket_mode_times_out(fake: FakeFaseeh, make: Make) -> None:
    fake.silent_socket = True
    client = make(transport="websocket", provider_timeout=0.5)
    with pytest.raises(ProviderTimeout):
        await collect(client.synthesize(TEXT, SETTINGS))
    assert fake.rest_tts_requests == []


# --------------------------------------------------------------------------- flush, batches


async def test_needs_flush_works_because_flush_is_sent_with_the_trigger(
    fake: FakeFaseeh, make: Make
) -> None:
    fake.needs_flush = True
    client = make()
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert fake.generations[0].transport == "websocket"
    assert fake.connections[0].messages[-1]["flush"] is True


async def test_isfinal_on_every_batch_neither_cuts_nor_leaks(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    fake.frame_sizes = [1201]
    fake.batches = 3
    fake.batch_gap = 0.15
    client = make()
    for text in (TEXT, OTHER, TEXT):
        _, pcm, _ = await collect(client.synthesize(text, SETTINGS))
        assert pcm == pcm_for_text(text, 24000)  # nothing cut, nothing from another reply
    state = client.transport_state
    assert state.transport == "websocket"
    assert state.socket_reuse is False
    assert state.quiet_after_final >= 0.3
    # After the first reply showed batches, every generation had its own socket.
    assert [g.connection_index for g in fake.generations] == [0, 1, 2]
    assert sum("isFinal ends a batch" in r.getMessage() for r in caplog.records) == 1


async def test_audio_arriving_after_the_quiet_window_never_reaches_the_next_reply(
    fake: FakeFaseeh, make: Make
) -> None:
    """A gap longer than the quiet window cuts that reply; the late audio is thrown away
    with its socket instead of being played at the start of the next reply."""
    client = make()
    for _ in range(2):  # past the first replies' longer (learning) window
        await collect(client.synthesize(OTHER, SETTINGS))
    fake.frame_sizes = [1201]
    fake.batches = 2
    fake.batch_gap = client.socket.current_quiet + 0.4
    _, first, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm_for_text(TEXT, 24000).startswith(first)
    await asyncio.sleep(fake.batch_gap + 0.3)  # the late batch lands on the idle socket
    fake.batches = 1
    _, second, _ = await collect(client.synthesize(OTHER, SETTINGS))
    assert second == pcm_for_text(OTHER, 24000)
    assert client.transport_state.socket_reuse is False
    assert fake.generations[-1].connection_index == 1


# --------------------------------------------------------------------------- concurrency


async def test_idle_warm_socket_never_costs_a_request_its_slot(
    fake: FakeFaseeh, make: Make
) -> None:
    fake.idle_sockets_hold_slots = True
    fake.concurrency_limit = 1
    client = make()
    client.start_warming(SETTINGS)
    assert await client.socket.pool.wait_warm(5)
    # A dialect request goes over REST while the warm socket holds the only slot.
    emirati = FaseehVoiceSettings(voice_id="ar-uae-male-1", dialect="emirati")
    _, pcm, _ = await collect(client.synthesize(TEXT, emirati))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert [r.status for r in fake.rest_tts_requests] == [429, 200]
    assert client.socket.pool.idle_count == 0
    # Other settings on the socket: the idle socket is closed before a new one opens.
    client.start_warming(SETTINGS)
    await collect(client.synthesize(TEXT, SETTINGS))
    _, pcm, _ = await collect(
        client.synthesize(OTHER, FaseehVoiceSettings(voice_id="ar-najdi-male-2"))
    )
    assert pcm == pcm_for_text(OTHER, 24000)


async def test_real_concurrency_limit_is_still_reported(fake: FakeFaseeh, make: Make) -> None:
    fake.concurrency_limit = 1
    fake.frame_interval = 0.02
    fake.frame_sizes = [960]
    client = make(transport="rest")
    results = await asyncio.gather(
        *(collect(client.synthesize(f"{TEXT} {n}", SETTINGS)) for n in range(2)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, RateLimited) for r in results) == 1
    assert sum(isinstance(r, tuple) for r in results) == 1


# --------------------------------------------------------------------------- regions


@pytest.fixture
async def uae() -> AsyncIterator[FakeFaseeh]:
    async with FakeFaseeh(valid_keys={"uae-key"}) as server:
        yield server


@pytest.fixture
def regions(
    monkeypatch: pytest.MonkeyPatch, fake: FakeFaseeh, uae: FakeFaseeh
) -> dict[str, FakeFaseeh]:
    """Point the two named regions at two fakes with different keys."""
    for name, label, server in (("global", "Global", fake), ("uae", "UAE", uae)):
        region = FaseehRegion(name, label, server.api_url, server.ws_url)
        monkeypatch.setitem(faseeh_api.REGIONS, name, region)
    return {"global": fake, "uae": uae}


async def test_key_from_the_other_region_is_named(regions: dict[str, FakeFaseeh]) -> None:
    client = FaseehClient("uae-key", region="global", provider_timeout=3.0)
    try:
        with pytest.raises(WrongRegion) as caught:
            await client.validate_key()
        assert caught.value.region.name == "uae"
        assert caught.value.code == "auth_failed"
        assert "belongs to the UAE region" in str(caught.value)
        with pytest.raises(WrongRegion):
            await collect(client.synthesize(TEXT, SETTINGS))
        assert "uae-key" not in str(caught.value)
    finally:
        await client.close()
    uae_client = FaseehClient("uae-key", region="uae", provider_timeout=3.0)
    try:
        assert "faseeh-v1-preview" in await uae_client.validate_key()
        _, pcm, _ = await collect(uae_client.synthesize(TEXT, SETTINGS))
        assert pcm == pcm_for_text(TEXT, 24000)
        assert regions["uae"].generations[0].transport == "websocket"
    finally:
        await uae_client.close()


async def test_own_urls_do_not_ask_another_region(regions: dict[str, FakeFaseeh]) -> None:
    fake = regions["global"]
    client = FaseehClient("uae-key", ws_url=fake.ws_url, api_url=fake.api_url)
    try:
        with pytest.raises(AuthFailed) as caught:
            await client.validate_key()
        assert not isinstance(caught.value, WrongRegion)
        assert regions["uae"].rest_requests == []
    finally:
        await client.close()


# --------------------------------------------------------------------------- live lists


async def test_live_voice_list_in_the_real_shape(fake: FakeFaseeh, make: Make) -> None:
    voices = {voice.voice_id: voice for voice in await make().list_voices()}
    assert voices["ar-uae-male-1"].language == "ar-AE"
    assert voices["ar-najdi-female-2"].name == "Reem"
    assert voices[OPAQUE_VOICE].all_languages == ("ar", "ar-AE")
    clone = voices[CLONE_VOICE]
    assert (clone.custom, clone.language, clone.gender) == (True, "ar", None)
    assert "cloned voice" in clone.description_en


async def test_unreachable_socket_in_auto_finishes_over_rest(fake: FakeFaseeh, make: Make) -> None:
    client = make(provider_timeout=2.0, connect_timeout=1.0)
    client.socket._ws_url = "ws://127.0.0.1:9/nothing"  # a dead address
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert client.transport_state.transport == "rest"
    assert "failed before any audio" in client.transport_state.reason


async def test_in_band_provider_error_does_not_switch(fake: FakeFaseeh, make: Make) -> None:
    client = make()
    fake.faults.append(Fault.error_code(50001, "Internal error"))
    with pytest.raises(Exception, match="internal error"):
        await collect(client.synthesize(TEXT, SETTINGS))
    assert client.transport_state.transport == "websocket"
    assert fake.rest_tts_requests == []


async def test_socket_drop_before_audio_is_retried_on_the_socket(
    fake: FakeFaseeh, make: Make
) -> None:
    client = make()
    fake.faults.append(Fault.close(1011))
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert client.transport_state.transport == "websocket"
    fake.faults.append(Fault.drop_after_bytes(4800))
    with pytest.raises(ProviderUnavailable):
        await collect(client.synthesize(TEXT, SETTINGS))
    assert client.transport_state.transport == "websocket"  # mid-reply: no switch
