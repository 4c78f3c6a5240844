"""Hamsa client against the protocol-faithful fake: bytes, messages, errors, reuse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest

from custom_components.arabic_tts.core.audio import AudioFormat, mulaw_decode
from custom_components.arabic_tts.core.errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    TtsError,
    UnknownVoice,
)
from custom_components.arabic_tts.core.hamsa import HamsaClient, HamsaVoiceSettings
from tests.core.helpers import collect, wait_for
from tests.fakes.audio import mulaw_encode, pcm_for_text
from tests.fakes.hamsa import ABORTED_MESSAGE, TTS_STREAM_PATH, FakeHamsa, Fault

TEXT = "الباب الأمامي مفتوح"
CUSTOM_VOICE = "0b8e8a4e-6f3c-4a8e-9a0e-2c1d3f4b5a69"


@pytest.fixture
async def fake() -> AsyncIterator[FakeHamsa]:
    async with FakeHamsa() as server:
        server.connect_min_interval = None  # the connection-rate glitch: test_hamsa_retry.py
        yield server


@pytest.fixture
async def client(fake: FakeHamsa) -> AsyncIterator[HamsaClient]:
    hamsa = HamsaClient(
        "hamsa-key",
        ws_url=fake.ws_url,
        api_url=fake.api_url,
        provider_timeout=2.0,
        connect_interval=0,  # pacing has its own tests (test_hamsa_retry.py)
    )
    yield hamsa
    await hamsa.close()


def settings(speaker: str = "Mariam", dialect: str = "egy") -> HamsaVoiceSettings:
    return HamsaVoiceSettings(speaker=speaker, dialect=dialect)


async def test_streams_exact_pcm_with_key_in_header(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.frame_sizes = [333, 1001, 7]
    formats, pcm, sizes = await collect(client.synthesize(TEXT, settings()))
    assert formats == {AudioFormat(16000)}
    assert pcm == pcm_for_text(TEXT, 16000)
    assert all(size % 2 == 0 for size in sizes)
    assert len(sizes) > 1
    assert fake.connections[0].key_via == "header"
    assert "api_key" not in fake.connections[0].query
    assert fake.requests[0]["text"] == TEXT
    assert fake.requests[0]["speaker"] == "Mariam"
    assert fake.requests[0]["dialect"] == "egy"
    assert fake.requests[0]["languageId"] == "ar"
    assert fake.requests[0]["mulaw"] is False


async def test_works_without_info_message(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.send_info = False
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)


async def test_wav_header_is_stripped_and_its_rate_used(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    fake.wav_header = True
    fake.wav_rate = 22050
    fake.frame_sizes = [5, 31, 999]
    formats, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert formats == {AudioFormat(22050)}
    assert pcm == pcm_for_text(TEXT, 22050)


async def test_mulaw_is_decoded_to_pcm16(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.frame_sizes = [333]
    stream = client.synthesize(TEXT, HamsaVoiceSettings("Mariam", "egy", mulaw=True))
    formats, pcm, _ = await collect(stream)
    assert formats == {AudioFormat(8000)}
    assert pcm == mulaw_decode(mulaw_encode(pcm_for_text(TEXT, 8000)))
    assert fake.requests[0]["mulaw"] is True


async def test_warm_socket_is_reused_for_sequential_requests(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    client.start_warming()
    assert await client.pool.wait_warm(20)
    await wait_for(lambda: client.pool.idle_count == 2)
    assert len(fake.connections) == 2  # the default pool keeps two sockets warm
    for text in (TEXT, "مرحبا بكم في البيت", TEXT):
        _, pcm, _ = await collect(client.synthesize(text, settings()))
        assert pcm == pcm_for_text(text)
    assert len(fake.connections) == 2
    assert sorted(len(conn.requests) for conn in fake.connections) == [0, 3]


async def test_request_during_warm_up_takes_the_socket_being_opened(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """A request right after start-up waits for the warm-up's handshake, not a second one."""
    fake.handshake_delay = 0.3
    client.start_warming()
    await asyncio.sleep(0.1)  # the warm-up handshake is under way
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)
    # Spoken on the warm-up's first socket; the only other one is the second warm socket.
    assert fake.requests[0]["connection_index"] == 0
    assert len(fake.connections) <= 2


async def test_close_during_warm_up_leaves_nothing_behind(fake: FakeHamsa) -> None:
    fake.handshake_delay = 0.3
    hamsa = HamsaClient("hamsa-key", ws_url=fake.ws_url, api_url=fake.api_url)
    hamsa.start_warming()
    await asyncio.sleep(0.05)
    await hamsa.close()
    await wait_for(lambda: fake.open_connections == 0)


async def test_concurrent_requests_use_separate_sockets(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    fake.frame_interval = 0.01
    texts = [f"{TEXT} رقم {number}" for number in range(4)]
    results = await asyncio.gather(*(collect(client.synthesize(t, settings())) for t in texts))
    for text, (_, pcm, _) in zip(texts, results, strict=True):
        assert pcm == pcm_for_text(text)
    assert len(fake.connections) == 4
    assert all(len(conn.requests) == 1 for conn in fake.connections)


async def test_socket_closed_while_idle_is_replaced_invisibly(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert await fake.close_all_idle(1000) == 1
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)
    assert len(fake.connections) == 2


async def test_idle_close_race_is_retried_on_a_fresh_socket(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """The server closes the reused socket just as the request goes out."""
    _, _, _ = await collect(client.synthesize(TEXT, settings()))
    fake.faults.append(Fault.close(1000, "idle"))
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)


async def test_instance_restart_retry_opens_a_new_socket_not_another_stale_one(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """Every pooled socket answers 1001 after a provider restart: the one retry must not
    take another stale pooled socket (issue 12, item 5)."""
    fake.frame_interval = 0.01
    texts = [f"{TEXT} رقم {number}" for number in range(3)]
    await asyncio.gather(*(collect(client.synthesize(t, settings())) for t in texts))
    assert client.pool.idle_count == 3
    assert fake.restart_instance() == 3
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)
    assert fake.requests[-1]["connection_index"] == 3  # opened after the restart
    assert [conn.close_code for conn in fake.connections[:3]].count(1001) == 1


async def test_warm_pool_replaces_a_socket_the_server_closed(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    client.start_warming()
    await wait_for(lambda: client.pool.idle_count == 2)
    assert await fake.close_all_idle(1000) == 2
    await wait_for(lambda: len(fake.connections) == 4 and client.pool.idle_count == 2)
    assert len(fake.connections) == 4
    assert client.pool.idle_count == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [(4001, AuthFailed), (4003, InsufficientFunds)],
)
async def test_account_close_codes(
    fake: FakeHamsa, client: HamsaClient, code: int, error: type[TtsError]
) -> None:
    fake.faults.append(Fault.close(code, "no"))
    with pytest.raises(error) as caught:
        await collect(client.synthesize(TEXT, settings()))
    assert "hamsa-key" not in str(caught.value)
    assert len(fake.requests) == 1  # account errors are not retried


async def test_invalid_key_is_auth_failed() -> None:
    async with FakeHamsa() as fake:
        client = HamsaClient("wrong-key", ws_url=fake.ws_url, api_url=fake.api_url)
        try:
            with pytest.raises(AuthFailed):
                await collect(client.synthesize(TEXT, settings()))
            with pytest.raises(AuthFailed):
                await client.validate_key()
        finally:
            await client.close()


async def test_empty_wallet_key_is_insufficient_funds() -> None:
    async with FakeHamsa(empty_wallet_keys={"poor-key"}) as fake:
        client = HamsaClient("poor-key", ws_url=fake.ws_url, api_url=fake.api_url)
        try:
            with pytest.raises(InsufficientFunds):
                await collect(client.synthesize(TEXT, settings()))
        finally:
            await client.close()


@pytest.mark.parametrize("code", [1000, 1001, 4500])
async def test_transient_close_codes_retry_once_then_report(
    fake: FakeHamsa, client: HamsaClient, code: int
) -> None:
    fake.faults.append(Fault.close(code, "bye"))
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)
    fake.faults.extend([Fault.close(code, "bye"), Fault.close(code, "bye")])
    with pytest.raises(ProviderError if code == 4500 else ProviderUnavailable):
        await collect(client.synthesize(TEXT, settings()))


async def test_aborted_for_a_speaker_hamsa_has_is_provider_error(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """ "Aborted" also comes for passing faults: for a speaker Hamsa has, the error lets a
    fallback voice speak (provider_error, not unknown_voice)."""
    fake.faults.append(Fault.error(ABORTED_MESSAGE))
    with pytest.raises(ProviderError) as caught:
        await collect(client.synthesize(TEXT, settings(speaker="Mariam")))
    assert not isinstance(caught.value, UnknownVoice)
    assert "Mariam" in str(caught.value)
    assert "egy" in str(caught.value)
    assert caught.value.provider_text == "TTS stream error: aborted"


async def test_aborted_for_a_name_nobody_knows_is_unknown_voice(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """A typed name that neither our catalogue nor Hamsa's lists know is sent as typed;
    "aborted" then most likely means a typo: unknown_voice, naming it (not fallen back)."""
    with pytest.raises(UnknownVoice) as caught:
        await collect(client.synthesize(TEXT, settings(speaker="Nobody")))
    assert "Nobody" in str(caught.value)
    assert caught.value.provider_text == "TTS stream error: aborted"
    assert [r["speaker"] for r in fake.requests] == ["Nobody"]


async def test_error_payload_other_message(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.faults.append(Fault.error("Insufficient balance in wallet"))
    with pytest.raises(InsufficientFunds):
        await collect(client.synthesize(TEXT, settings()))


async def test_an_error_text_that_echoes_the_key_is_redacted(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """Whatever Hamsa writes goes into the message (logged, shown in HA): never the key."""
    fake.faults.append(Fault.error("Insufficient balance in wallet for key hamsa-key"))
    with pytest.raises(InsufficientFunds) as caught:
        await collect(client.synthesize(TEXT, settings()))
    assert "hamsa-key" not in str(caught.value)
    assert "hamsa-key" not in (caught.value.provider_text or "")
    assert "Insufficient balance" in (caught.value.provider_text or "")


async def test_drop_mid_reply_after_audio_left_is_provider_unavailable(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    fake.frame_sizes = [1000]
    fake.faults.append(Fault.drop_after_bytes(8000))
    received = bytearray()
    stream = client.synthesize(TEXT * 3, settings())
    with pytest.raises(ProviderUnavailable):
        async with contextlib.aclosing(stream):
            async for chunk in stream:
                received += chunk.pcm
    assert bytes(received) == pcm_for_text(TEXT * 3)[: len(received)]
    assert len(received) >= 3200
    # The broken socket is gone; the next request works.
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)


async def test_drop_before_audio_is_retried(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.faults.append(Fault.drop_after_bytes(0))
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)
    assert len(fake.requests) == 2


async def test_stall_times_out(fake: FakeHamsa) -> None:
    client = HamsaClient(
        "hamsa-key", ws_url=fake.ws_url, api_url=fake.api_url, provider_timeout=0.3
    )
    fake.faults.append(Fault.stall_after_bytes(4000))
    try:
        with pytest.raises(ProviderTimeout):
            await collect(client.synthesize(TEXT * 3, settings()))
    finally:
        await client.close()


async def test_slow_handshake_times_out(fake: FakeHamsa) -> None:
    fake.handshake_delay = 2.0
    client = HamsaClient("hamsa-key", ws_url=fake.ws_url, api_url=fake.api_url, connect_timeout=0.3)
    try:
        with pytest.raises(ProviderTimeout):
            await collect(client.synthesize(TEXT, settings()))
    finally:
        await client.close()


async def test_unreachable_provider_is_unavailable() -> None:
    async with FakeHamsa() as fake:
        url, api = fake.ws_url, fake.api_url
    client = HamsaClient("hamsa-key", ws_url=url, api_url=api)
    try:
        with pytest.raises(ProviderUnavailable):
            await collect(client.synthesize(TEXT, settings()))
        with pytest.raises(ProviderUnavailable):
            await client.validate_key()
    finally:
        await client.close()


async def test_short_reply_is_retried_at_once_over_rest_with_no_other_socket(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """No other warm socket, and a new connection right after a 640-byte reply would be
    a burst: the retry goes over the REST stream (test_hamsa_retry.py has the rest)."""
    fake.faults.append(Fault.short_reply())
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)
    assert [r["transport"] for r in fake.requests] == ["websocket", "rest"]


async def test_short_reply_three_times_is_reported(fake: FakeHamsa, client: HamsaClient) -> None:
    """With the REST stream down, every retry is a socket's, and the third 640-byte reply
    is reported."""
    fake.rest_errors[TTS_STREAM_PATH] = (503, {"code": 503, "message": "Service unavailable"})
    fake.faults.extend([Fault.short_reply()] * 3)
    with pytest.raises(ProviderError, match="ms of audio") as caught:
        await collect(client.synthesize(TEXT, settings()))
    assert caught.value.provider_text == "640 bytes of audio, then end"
    assert len(fake.socket_requests()) == 3


async def test_long_text_is_split_at_sentences_and_audio_concatenated(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    sentence = "هذه جملة طويلة عن المنزل الذكي والأجهزة المتصلة به. "
    text = sentence * 80
    _, pcm, _ = await collect(client.synthesize(text, settings()))
    sent = [request["text"] for request in fake.requests]
    assert len(sent) >= 3
    assert all(len(piece) <= 2000 for piece in sent)
    assert all(piece.endswith(".") for piece in sent)
    assert pcm == b"".join(pcm_for_text(piece) for piece in sent)


async def test_empty_text_is_bad_request(client: HamsaClient) -> None:
    with pytest.raises(BadRequest):
        await collect(client.synthesize("   ", settings()))


async def test_abandoned_stream_releases_socket(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.frame_sizes = [1000]
    fake.frame_interval = 0.01
    stream = client.synthesize(TEXT * 5, settings())
    async with contextlib.aclosing(stream):
        async for _chunk in stream:
            break
    _, pcm, _ = await collect(client.synthesize(TEXT, settings()))
    assert pcm == pcm_for_text(TEXT)
    assert fake.connections[0].open is False


async def test_custom_voice_is_preloaded_before_first_use(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    fake.custom_voices[CUSTOM_VOICE] = "My voice"
    _, pcm, _ = await collect(client.synthesize(TEXT, settings(CUSTOM_VOICE, "msa")))
    assert pcm == pcm_for_text(TEXT)
    preloads = [r for r in fake.rest_requests if r.path.endswith("/custom/preload")]
    assert len(preloads) == 1
    assert preloads[0].json == {"voiceId": CUSTOM_VOICE}
    assert preloads[0].headers["Authorization"] == "Token hamsa-key"
    await collect(client.synthesize(TEXT, settings(CUSTOM_VOICE, "msa")))
    assert len([r for r in fake.rest_requests if r.path.endswith("/custom/preload")]) == 1


async def test_custom_voice_aborted_is_preloaded_again(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    fake.custom_voices[CUSTOM_VOICE] = "My voice"
    await client.preload_voice(CUSTOM_VOICE)
    fake.preloaded.discard(CUSTOM_VOICE)  # Hamsa forgot it
    _, pcm, _ = await collect(client.synthesize(TEXT, settings(CUSTOM_VOICE, "msa")))
    assert pcm == pcm_for_text(TEXT)
    assert len([r for r in fake.rest_requests if r.path.endswith("/custom/preload")]) == 2


async def test_preload_errors(fake: FakeHamsa, client: HamsaClient) -> None:
    with pytest.raises(UnknownVoice):
        await client.preload_voice(CUSTOM_VOICE)  # not an account voice: 404
    with pytest.raises(BadRequest):
        await client.preload_voice("not-a-uuid")
    fake.custom_voices[CUSTOM_VOICE] = "x"
    fake.preload_status = 500
    with pytest.raises(ProviderUnavailable):
        await client.preload_voice(CUSTOM_VOICE)


async def test_validate_key_and_list_voices(fake: FakeHamsa, client: HamsaClient) -> None:
    assert await client.validate_key()
    fake.custom_voices[CUSTOM_VOICE] = "Grandma"
    voices = await client.list_voices()
    by_id = {voice.voice_id: voice for voice in voices}
    assert by_id["Salem"].language == "ar"
    assert by_id["Mariam"].language == "ar-EG"
    assert by_id[CUSTOM_VOICE].custom
    assert by_id[CUSTOM_VOICE].name == "Grandma"
    auth = {r.headers.get("Authorization") for r in fake.rest_requests}
    assert auth == {"Token hamsa-key"}


async def test_key_never_logged(
    fake: FakeHamsa, client: HamsaClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.start_warming()
    await collect(client.synthesize(TEXT, settings()))
    fake.faults.append(Fault.close(4001, "Invalid API key"))
    with pytest.raises(AuthFailed):
        await collect(client.synthesize(TEXT, settings()))
    assert caplog.records
    assert "hamsa-key" not in caplog.text
    assert "hamsa-key" not in repr(client)


async def test_a_caller_that_stops_early_leaves_nothing_behind(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """Closing the stream after the first chunk ends the request inside that close: the
    socket, mid-reply, is discarded there, not later by a finaliser nobody awaits."""
    fake.frame_sizes = [4096]
    stream = client.synthesize(TEXT * 20, settings())
    first = await anext(stream)
    assert first.pcm
    await stream.aclose()
    assert client._pool._in_use == set()
