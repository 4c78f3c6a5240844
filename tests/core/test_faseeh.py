"""Faseeh client against the protocol-faithful fake: bytes, messages, errors, reuse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest

from custom_components.arabic_tts.core.audio import AudioFormat
from custom_components.arabic_tts.core.errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TtsError,
    UnknownVoice,
)
from custom_components.arabic_tts.core.faseeh import FaseehClient, FaseehVoiceSettings
from tests.core.helpers import collect, wait_for
from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh, Fault

TEXT = "مرحبا بك في فصيح كيف يمكنني مساعدتك اليوم"


@pytest.fixture
async def fake() -> AsyncIterator[FakeFaseeh]:
    async with FakeFaseeh() as server:
        yield server


@pytest.fixture
async def client(fake: FakeFaseeh) -> AsyncIterator[FaseehClient]:
    faseeh = FaseehClient(
        "faseeh-key", ws_url=fake.ws_url, api_url=fake.api_url, provider_timeout=2.0
    )
    yield faseeh
    await faseeh.close()


@pytest.fixture
async def ws_client(fake: FakeFaseeh) -> AsyncIterator[FaseehClient]:
    """Socket only: how the socket's own failures surface (auto would finish over REST)."""
    faseeh = FaseehClient(
        "faseeh-key",
        ws_url=fake.ws_url,
        api_url=fake.api_url,
        provider_timeout=2.0,
        transport="websocket",
    )
    yield faseeh
    await faseeh.close()


SETTINGS = FaseehVoiceSettings(
    voice_id="ar-egyptian-male-1", model_id="faseeh-v1-preview", stability=0.7, speed=1.1
)


async def test_streams_exact_pcm_and_sends_init_and_text(
    fake: FakeFaseeh, client: FaseehClient
) -> None:
    fake.frame_sizes = [4801, 333, 7]
    formats, pcm, sizes = await collect(client.synthesize(TEXT, SETTINGS))
    assert formats == {AudioFormat(24000)}
    assert pcm == pcm_for_text(TEXT, 24000)
    assert all(size % 2 == 0 for size in sizes)
    record = fake.connections[0]
    assert record.key_via == "init"
    assert "x-api-key" not in record.headers  # the socket refuses header auth
    assert record.query == {}  # the key stays out of the URL
    assert record.init == {
        "type": "initConnection",
        "model_id": "faseeh-v1-preview",
        "voice_id": "ar-egyptian-male-1",
        "voice_settings": {"stability": 0.7, "speed": 1.1},
        "output_format": "pcm_24000",
        "x_api_key": "faseeh-key",
    }
    assert record.messages[-1] == {
        "type": "text",
        "text": TEXT,
        "try_trigger_generation": True,
        "flush": True,
    }
    assert fake.generations[0].text == TEXT
    assert fake.generations[0].transport == "websocket"
    assert client.transport_state.transport == "websocket"


async def test_sample_rate_is_honoured(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.sample_rate = 16000
    formats, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert formats == {AudioFormat(16000)}
    assert pcm == pcm_for_text(TEXT, 16000)


async def test_socket_reused_per_settings(fake: FakeFaseeh, client: FaseehClient) -> None:
    client.start_warming(SETTINGS)
    assert await client.socket.pool.wait_warm(5)
    for _ in range(3):
        _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
        assert pcm == pcm_for_text(TEXT, 24000)
    assert len(fake.connections) == 1
    other = FaseehVoiceSettings(voice_id="ar-najdi-female-1")
    await collect(client.synthesize(TEXT, other))
    assert len(fake.connections) == 2
    assert fake.connections[1].init is not None
    assert fake.connections[1].init["voice_id"] == "ar-najdi-female-1"
    # At most one idle socket per account: the first one was closed before the second opened.
    await wait_for(lambda: fake.connections[0].open is False)
    await wait_for(lambda: client.socket.pool.idle_count == 1)  # once the last one settled


async def test_idle_close_is_replaced_invisibly(fake: FakeFaseeh, client: FaseehClient) -> None:
    await collect(client.synthesize(TEXT, SETTINGS))
    await fake.close_all_idle(1000)
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)


async def test_close_race_before_audio_is_retried(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.faults.append(Fault.close(1001, "restart"))
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)


async def test_instance_restart_retry_opens_a_new_socket_not_another_stale_one(
    fake: FakeFaseeh, client: FaseehClient
) -> None:
    """Every pooled socket answers 1001 after a provider restart: the one retry must not
    take another stale pooled socket (issue 12, item 5)."""
    fake.frame_interval = 0.01
    texts = [f"{TEXT} رقم {number}" for number in range(2)]
    await asyncio.gather(*(collect(client.synthesize(t, SETTINGS)) for t in texts))
    await wait_for(lambda: client.socket.pool.idle_count == 1)  # once settled; one, not two
    await wait_for(lambda: fake.open_connections == 1)
    assert fake.restart_instance() == 1
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert fake.generations[-1].connection_index == 2  # opened after the restart
    assert [conn.close_code for conn in fake.connections[:2]].count(1001) == 1


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.error_code(40101, "Invalid API key"), AuthFailed),
        (Fault.error_code(40001, "Payload too large"), BadRequest),
        (
            Fault.error_code(40201, "Insufficient wallet balance. Required: $0.05"),
            InsufficientFunds,
        ),
        (Fault.error_code(40301, "No access"), BadRequest),
        (Fault.error_code(42901, "Concurrency limit exceeded"), RateLimited),
        (Fault.error_code(50001, "Internal error"), ProviderError),
        (Fault.error_type("Insufficient wallet balance"), InsufficientFunds),
        (Fault.error_type("Something broke"), ProviderError),
    ],
)
async def test_both_error_shapes(
    fake: FakeFaseeh, ws_client: FaseehClient, fault: Fault, error: type[TtsError]
) -> None:
    fake.faults.append(fault)
    with pytest.raises(error) as caught:
        await collect(ws_client.synthesize(TEXT, SETTINGS))
    assert type(caught.value) is error
    assert "faseeh-key" not in str(caught.value)
    assert caught.value.provider_text is not None
    assert fault.message in caught.value.provider_text  # Faseeh's words, verbatim


async def test_short_text_is_refused_as_bad_request(client: FaseehClient) -> None:
    with pytest.raises(BadRequest, match="3 words"):
        await collect(client.synthesize("نعم", SETTINGS))


async def test_empty_wallet(fake: FakeFaseeh) -> None:
    fake.balances["faseeh-key"] = 0.0
    client = FaseehClient("faseeh-key", ws_url=fake.ws_url, api_url=fake.api_url)
    try:
        with pytest.raises(InsufficientFunds, match="Required"):
            await collect(client.synthesize(TEXT, SETTINGS))
    finally:
        await client.close()


async def test_concurrency_limit_is_rate_limited(fake: FakeFaseeh, client: FaseehClient) -> None:
    fake.frame_sizes = [960]
    fake.frame_interval = 0.02
    results = await asyncio.gather(
        *(collect(client.synthesize(f"{TEXT} {n}", SETTINGS)) for n in range(3)),
        return_exceptions=True,
    )
    assert sum(isinstance(result, RateLimited) for result in results) == 1
    assert sum(isinstance(result, tuple) for result in results) == 2


async def test_invalid_key_and_unknown_voice_and_model() -> None:
    async with FakeFaseeh() as fake:
        bad = FaseehClient("wrong", ws_url=fake.ws_url, api_url=fake.api_url)
        good = FaseehClient("faseeh-key", ws_url=fake.ws_url, api_url=fake.api_url)
        fake.forbidden_models.add("faseeh-v1-preview")
        try:
            with pytest.raises(AuthFailed):
                await collect(bad.synthesize(TEXT, SETTINGS))
            with pytest.raises(AuthFailed):
                await bad.validate_key()
            with pytest.raises(UnknownVoice):
                nobody = FaseehVoiceSettings(voice_id="nobody", model_id="faseeh-mini-v1-preview")
                await collect(good.synthesize(TEXT, nobody))
            with pytest.raises(BadRequest, match="no access"):
                await collect(good.synthesize(TEXT, SETTINGS))
        finally:
            await bad.close()
            await good.close()


async def test_drop_mid_reply_is_provider_unavailable(
    fake: FakeFaseeh, client: FaseehClient
) -> None:
    fake.faults.append(Fault.drop_after_bytes(9600))
    received = bytearray()
    stream = client.synthesize(TEXT, SETTINGS)
    with pytest.raises(ProviderUnavailable):
        async with contextlib.aclosing(stream):
            async for chunk in stream:
                received += chunk.pcm
    assert bytes(received) == pcm_for_text(TEXT, 24000)[: len(received)]
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)


async def test_stall_times_out(fake: FakeFaseeh) -> None:
    client = FaseehClient(
        "faseeh-key", ws_url=fake.ws_url, api_url=fake.api_url, provider_timeout=0.3
    )
    fake.faults.append(Fault.stall_after_bytes(4800))
    try:
        with pytest.raises(ProviderTimeout):
            await collect(client.synthesize(TEXT, SETTINGS))
    finally:
        await client.close()


async def test_slow_init_times_out(fake: FakeFaseeh) -> None:
    fake.init_delay = 2.0
    client = FaseehClient(
        "faseeh-key",
        ws_url=fake.ws_url,
        api_url=fake.api_url,
        connect_timeout=0.3,
        transport="websocket",
    )
    try:
        with pytest.raises(ProviderTimeout):
            await collect(client.synthesize(TEXT, SETTINGS))
    finally:
        await client.close()


async def test_rest_models_and_voices(fake: FakeFaseeh, client: FaseehClient) -> None:
    assert "faseeh-mini-v1-preview" in await client.validate_key()
    voices = {voice.voice_id: voice for voice in await client.list_voices()}
    assert voices["ar-egyptian-male-1"].language == "ar-EG"
    assert {r.headers.get("x-api-key") for r in fake.rest_requests} == {"faseeh-key"}
    fake.rest_status_override["/api/v1/models"] = 503
    with pytest.raises(ProviderUnavailable):
        await client.list_models()


async def test_key_never_logged(
    fake: FakeFaseeh, ws_client: FaseehClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await collect(ws_client.synthesize(TEXT, SETTINGS))
    fake.faults.append(Fault.error_code(40101, "Invalid API key"))
    with pytest.raises(AuthFailed):
        await collect(ws_client.synthesize(TEXT, SETTINGS))
    assert "faseeh-key" not in caplog.text


async def test_a_caller_that_stops_early_leaves_nothing_behind(
    fake: FakeFaseeh, ws_client: FaseehClient
) -> None:
    """Closing the stream after the first chunk ends the generation inside that close:
    the socket, mid-reply, is out of use there, not later by a finaliser nobody awaits."""
    fake.frame_sizes = [4800]
    stream = ws_client.synthesize(TEXT * 20, FaseehVoiceSettings())
    first = await anext(stream)
    assert first.pcm
    await stream.aclose()
    assert ws_client.socket.pool._in_use == set()
