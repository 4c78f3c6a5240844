"""Faseeh's REST streaming transport: exact bytes, what was sent, every error, retries."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from custom_components.arabic_tts.core.audio import AudioFormat
from custom_components.arabic_tts.core.errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TtsError,
    UnknownVoice,
)
from custom_components.arabic_tts.core.faseeh import FaseehClient, FaseehVoiceSettings
from custom_components.arabic_tts.core.faseeh_rest import format_from_content_type
from tests.core.helpers import collect
from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh, Fault

KEY = "faseeh-rest-key-51c0"
TEXT = "مرحبا بك في فصيح كيف يمكنني مساعدتك اليوم"
SETTINGS = FaseehVoiceSettings(voice_id="ar-najdi-female-2")


@pytest.fixture
async def fake() -> AsyncIterator[FakeFaseeh]:
    async with FakeFaseeh(valid_keys={KEY}) as server:
        yield server


@pytest.fixture
async def client(fake: FakeFaseeh) -> AsyncIterator[FaseehClient]:
    faseeh = FaseehClient(
        KEY, ws_url=fake.ws_url, api_url=fake.api_url, provider_timeout=2.0, transport="rest"
    )
    yield faseeh
    await faseeh.close()


async def test_streams_exact_pcm_and_sends_the_documented_body(
    fake: FakeFaseeh, client: FaseehClient
) -> None:
    fake.frame_sizes = [4801, 333, 7]
    client.start_warming(SETTINGS)
    formats, pcm, sizes = await collect(client.synthesize(TEXT, SETTINGS))
    assert (formats, pcm) == ({AudioFormat(24000)}, pcm_for_text(TEXT, 24000))
    assert all(size % 2 == 0 for size in sizes)
    assert len(sizes) > 3  # relayed as it arrived, not read whole
    [request] = fake.rest_tts_requests
    assert request.method == "POST"
    assert request.path == "/api/v1/text-to-speech/faseeh-v1-preview"
    assert request.query == {}
    assert request.headers["x-api-key"] == KEY
    assert request.json == {
        "voice_id": "ar-najdi-female-2",
        "text": TEXT,
        "stability": 0.5,
        "speed": 1.0,
        "streaming": True,
        "sample_rate": 24000,
        "dialect": "auto",
    }
    assert fake.connections == []  # REST only: the socket is never opened
    assert client.transport_state.transport == "rest"


async def test_settings_reach_the_body(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.honour_requested_rate = True
    settings = FaseehVoiceSettings(
        voice_id="ar-uae-male-1",
        model_id="faseeh-mini-v1-preview",
        stability=0.8,
        speed=0.9,
        sample_rate=16000,
        dialect="emirati",
    )
    formats, pcm, _ = await collect(client.synthesize(TEXT, settings))
    assert (formats, pcm) == ({AudioFormat(16000)}, pcm_for_text(TEXT, 16000))
    body = fake.rest_tts_requests[0].json
    assert (body["stability"], body["speed"], body["sample_rate"]) == (0.8, 0.9, 16000)
    assert body["dialect"] == "emirati"
    assert fake.rest_tts_requests[0].path.endswith("/faseeh-mini-v1-preview")


async def test_rate_comes_from_content_type(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.sample_rate = 22050  # the fake ignores the requested 24000 and says so
    formats, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert (formats, pcm) == ({AudioFormat(22050)}, pcm_for_text(TEXT, 22050))


async def test_no_rate_in_content_type_means_the_requested_rate(
    fake: FakeFaseeh, client: FaseehClient
) -> None:
    fake.rest_rate_in_content_type = False
    fake.honour_requested_rate = True
    settings = FaseehVoiceSettings(sample_rate=8000)
    formats, pcm, _ = await collect(client.synthesize(TEXT, settings))
    assert (formats, pcm) == ({AudioFormat(8000)}, pcm_for_text(TEXT, 8000))


async def test_a_wav_header_is_tolerated(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.rest_wav_header = True
    fake.rest_rate_in_content_type = False
    fake.frame_sizes = [3, 41, 1001]  # the header arrives split
    fake.sample_rate = 16000
    formats, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert (formats, pcm) == ({AudioFormat(16000)}, pcm_for_text(TEXT, 16000))


async def test_connections_are_kept_alive(fake: FakeFaseeh, client: FaseehClient) -> None:
    for _ in range(3):
        await collect(client.synthesize(TEXT, SETTINGS))
    assert len(fake.rest_peers) == 3
    assert len(set(fake.rest_peers)) == 1


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (Fault.error_code(40101, "Invalid API key"), AuthFailed, "refused the API key"),
        (Fault.error_code(40201, "Insufficient wallet balance"), InsufficientFunds, "wallet"),
        (Fault.error_code(40301, "Model not enabled"), BadRequest, "no access"),
        (Fault.error_code(40401, "Voice not found"), UnknownVoice, "voice or model"),
        (Fault.error_code(42901, "Concurrency limit exceeded"), RateLimited, "concurrency"),
        (Fault.error_code(40001, "Invalid request"), BadRequest, "refused the request"),
    ],
)
async def test_error_statuses(
    fake: FakeFaseeh, client: FaseehClient, fault: Fault, error: type[TtsError], words: str
) -> None:
    fake.faults.append(fault)
    with pytest.raises(error) as caught:
        await collect(client.synthesize(TEXT, SETTINGS))
    assert type(caught.value) is error
    assert words in str(caught.value)
    assert caught.value.provider_text is not None
    assert fault.message in caught.value.provider_text
    assert str(fault.code) in caught.value.provider_text
    assert KEY not in str(caught.value)
    assert len(fake.rest_tts_requests) == 1  # not retried


async def test_server_error_is_retried_once_then_reported(
    fake: FakeFaseeh, client: FaseehClient
) -> None:
    fake.faults.append(Fault.error_code(50001, "Internal error"))
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    fake.faults += [Fault.error_code(50001, "Internal error")] * 2
    with pytest.raises(ProviderUnavailable) as caught:
        await collect(client.synthesize(TEXT, SETTINGS))
    assert "500" in (caught.value.provider_text or "")
    assert [r.status for r in fake.rest_tts_requests] == [500, 200, 500, 500]


async def test_reset_before_audio_is_retried(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.faults.append(Fault.close(1000))
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert len(fake.rest_tts_requests) == 2


async def test_drop_mid_reply_keeps_what_arrived(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.faults.append(Fault.drop_after_bytes(9601))
    received = bytearray()
    stream = client.synthesize(TEXT, SETTINGS)
    with pytest.raises(ProviderUnavailable, match="middle of a reply"):
        async with contextlib.aclosing(stream):
            async for chunk in stream:
                received += chunk.pcm
    assert bytes(received) == pcm_for_text(TEXT, 24000)[: len(received)]
    assert len(received) == 9600
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)


async def test_stall_times_out(fake: FakeFaseeh) -> None:
    client = FaseehClient(
        KEY, ws_url=fake.ws_url, api_url=fake.api_url, provider_timeout=0.3, transport="rest"
    )
    fake.faults.append(Fault.stall_after_bytes(4800))
    try:
        with pytest.raises(ProviderTimeout, match=r"no audio for 0\.3 s"):
            await collect(client.synthesize(TEXT, SETTINGS))
    finally:
        await client.close()


async def test_slow_first_byte_times_out(fake: FakeFaseeh) -> None:
    fake.first_audio_delay = 2.0
    client = FaseehClient(
        KEY, ws_url=fake.ws_url, api_url=fake.api_url, provider_timeout=0.3, transport="rest"
    )
    try:
        with pytest.raises(ProviderTimeout):
            await collect(client.synthesize(TEXT, SETTINGS))
    finally:
        await client.close()


async def test_leaving_mid_reply_stops_the_stream(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.frame_sizes = [960]
    fake.frame_interval = 0.02
    stream = client.synthesize(TEXT, SETTINGS)
    async with contextlib.aclosing(stream):
        async for _chunk in stream:
            break
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert fake.balance(KEY) == pytest.approx(100.0 - len(TEXT) * fake.cost_per_char)


def test_content_type_parsing() -> None:
    assert format_from_content_type("audio/raw;codec=pcm16;rate=24000;channels=1", 8000) == (
        AudioFormat(24000)
    )
    assert format_from_content_type("audio/raw; rate=16000", 8000) == AudioFormat(16000)
    assert format_from_content_type("audio/raw;rate=x", 8000) == AudioFormat(8000)
    assert format_from_content_type(None, 22050) == AudioFormat(22050)
