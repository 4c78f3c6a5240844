"""The real server process against the fakes: Describe, exact PCM, chunking, voices, reuse."""

from __future__ import annotations

import asyncio
import re

import pytest
from arabic_tts_core.hamsa_voices import HAMSA_SPEAKERS
from arabic_tts_core.offline import espeak_available
from arabic_tts_core.voices import HAMSA_DIALECTS
from wyoming.audio import AudioChunk
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize

from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import DEFAULT_VOICES, FakeFaseeh
from tests.fakes.hamsa import FakeHamsa, Fault
from tests.fakes.hamsa_catalog import CatalogVoice

from .conftest import FASEEH_KEY, HAMSA_KEY, ServerProcess, StartServer, eventually
from .helpers import (
    HANG_GUARD,
    HOST,
    assert_chunking,
    assert_failed,
    assert_plain_success,
    describe,
    read_reply,
    synthesize,
    voice,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

CUSTOM_VOICE = "3f2b8c1e-9a4d-4e6f-8b2a-1c5d7e9f0a3b"
TEXT = "مرحبا بكم في البيت الذكي. كيف يمكنني مساعدتكم اليوم في المطبخ؟"
ARABIC = re.compile(r"[\u0600-\u06FF]")
# The offline voices are offered whenever espeak-ng is installed (script/setup installs it):
# offline-ar (the best offline voice present) and espeak-ar (espeak-ng itself).
OFFLINE_VOICES = {"offline-ar", "espeak-ar"} if espeak_available() else set()


def hamsa_pcm(fake: FakeHamsa, start: int = 0, rate: int = 16000) -> bytes:
    """What the fake Hamsa sent for the requests since ``start``."""
    return b"".join(pcm_for_text(request["text"], rate) for request in fake.requests[start:])


def hamsa_names(*speakers: str) -> set[str]:
    """Every name the server advertises for these Hamsa speakers (built-in or UUIDs):
    each in its own dialect, then in every other dialect but Gulf."""
    names = set()
    for speaker in speakers:
        own = HAMSA_SPEAKERS[speaker].dialect if speaker in HAMSA_SPEAKERS else "msa"
        names.add(f"hamsa-{speaker}")
        names |= {
            f"hamsa-{speaker}-{dialect}"
            for dialect in HAMSA_DIALECTS
            if dialect not in (own, "ar-sa")
        }
    return names


async def test_describe_lists_every_speaker_in_every_dialect_with_languages(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    fake_hamsa.custom_voices = {CUSTOM_VOICE: "Grandma"}
    server = await start_server("--custom-voice", CUSTOM_VOICE)

    info = await describe(server.port)

    assert len(info.tts) == 1
    program = info.tts[0]
    assert program.supports_synthesize_streaming
    assert program.installed
    assert program.attribution.name
    voices = {voice.name: voice for voice in program.voices}
    expected = (
        hamsa_names(*HAMSA_SPEAKERS, CUSTOM_VOICE)
        | {f"faseeh-{voice['voice_id']}" for voice in DEFAULT_VOICES}
        | OFFLINE_VOICES
    )
    assert set(voices) == expected
    assert voices["hamsa-Samir"].languages == ["ar", "ar-EG"]
    assert voices["hamsa-Samir-ksa"].languages == ["ar-SA"]
    assert voices["hamsa-Samir-msa"].languages == ["ar-001"]
    assert voices["hamsa-Salem"].languages == ["ar", "ar-001"]
    assert voices["hamsa-Salem-egy"].languages == ["ar-EG"]
    assert voices["hamsa-Khalid"].languages == ["ar", "ar-SA"]
    assert voices["hamsa-Emma"].languages == ["en"]
    assert voices["hamsa-Ali-en"].languages == ["en"]
    assert voices[f"hamsa-{CUSTOM_VOICE}"].languages == ["ar", "ar-001"]
    assert voices[f"hamsa-{CUSTOM_VOICE}-egy"].languages == ["ar-EG"]
    assert voices["faseeh-ar-najdi-male-2"].languages == ["ar", "ar-SA"]
    assert voices["faseeh-ar-kuwaiti-male-1"].languages == ["ar", "ar-KW"]
    for advertised in program.voices:
        assert advertised.installed
        assert advertised.description is not None
        assert ARABIC.search(advertised.description), advertised.description
        assert re.search(r"[A-Za-z]{3}", advertised.description), advertised.description
        assert advertised.attribution.name in ("Hamsa", "Faseeh", "espeak-ng")
    # Each language lists each Hamsa speaker once: plain Arabic in their own dialect, a
    # regional tag in that dialect (ar-SA: Saudi, plus the two Gulf speakers).
    by_language: dict[str, list[str]] = {}
    for advertised in program.voices:
        if advertised.name.startswith("hamsa-"):
            for tag in advertised.languages:
                by_language.setdefault(tag, []).append(advertised.name)
    speakers = len(HAMSA_SPEAKERS) + 1
    assert len(by_language["ar"]) == speakers - 2  # not Emma and James (English)
    assert len(by_language["ar-EG"]) == speakers
    assert len(by_language["ar-001"]) == speakers
    assert len(by_language["en"]) == speakers
    assert len(by_language["ar-SA"]) == speakers + 2


async def test_only_configured_providers_are_offered(start_server: StartServer) -> None:
    server = await start_server(hamsa=False)
    names = {voice.name for voice in (await describe(server.port)).tts[0].voices}
    assert names == {f"faseeh-{voice['voice_id']}" for voice in DEFAULT_VOICES} | OFFLINE_VOICES


@pytest.mark.parametrize(
    ("wav_header", "frame_sizes", "rate"),
    [(False, [4097, 333, 1], 16000), (True, [45, 3001], 22050)],
    ids=["raw-unaligned-frames", "wav-header-22050"],
)
async def test_hamsa_exact_pcm_chunk_sizes_and_order(
    server: ServerProcess,
    fake_hamsa: FakeHamsa,
    wav_header: bool,
    frame_sizes: list[int],
    rate: int,
) -> None:
    fake_hamsa.wav_header = wav_header
    fake_hamsa.wav_rate = rate
    fake_hamsa.frame_sizes = frame_sizes

    reply = await synthesize(server.port, TEXT, "hamsa-Samir")

    assert_plain_success(reply)
    assert (reply.start.rate, reply.start.width, reply.start.channels) == (rate, 2, 1)
    assert_chunking(reply, 1024)
    assert reply.pcm == pcm_for_text(TEXT, rate)
    assert [(r["text"], r["voice_name"], r["dialect"]) for r in fake_hamsa.requests] == [
        (TEXT, "Samir", "egy")
    ]


async def test_faseeh_exact_pcm_with_configured_model(
    start_server: StartServer, fake_faseeh: FakeFaseeh
) -> None:
    fake_faseeh.frame_sizes = [4801, 333, 7]
    server = await start_server("--faseeh-model", "faseeh-v1-preview", "--samples-per-chunk", "500")

    reply = await synthesize(server.port, TEXT, "faseeh-ar-egyptian-male-1")

    assert_plain_success(reply)
    assert (reply.start.rate, reply.start.width, reply.start.channels) == (24000, 2, 1)
    assert_chunking(reply, 500)
    assert len(reply.chunks) > 3
    assert reply.pcm == pcm_for_text(TEXT, 24000)
    [generation] = fake_faseeh.generations
    assert (generation.text, generation.voice_id, generation.model_id) == (
        TEXT,
        "ar-egyptian-male-1",
        "faseeh-v1-preview",
    )


async def test_first_chunk_leaves_with_the_first_frame(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """The first provider frame goes out at once instead of waiting to fill a chunk."""
    fake_hamsa.frame_sizes = [4000]
    server = await start_server("--samples-per-chunk", "8000")

    reply = await synthesize(server.port, TEXT * 3, "hamsa-Samir")

    assert_plain_success(reply)
    assert_chunking(reply, 8000)
    assert reply.chunks[0].samples == 2000
    assert [chunk.samples for chunk in reply.chunks[1:-1]] == [8000] * (len(reply.chunks) - 2)
    assert reply.pcm == pcm_for_text(TEXT * 3, 16000)


@pytest.mark.parametrize(
    ("voice_name", "speaker", "dialect"),
    [
        (None, "Ali", "pls"),
        ("Salem", "Salem", "msa"),
        ("hamsa-khalid", "Khalid", "ar-sa"),
        ("Mariam", "Mariam", "egy"),
        ("hamsa-Mariam", "Mariam", "egy"),
        ("hamsa-Hiba", "Hiba", "ksa"),
        ("hamsa-Ali", "Ali", "pls"),
        ("hamsa-Mariam-ksa", "Mariam", "ksa"),
        ("hamsa-Ali-egy", "Ali", "egy"),
        ("hamsa-salem-EGY", "Salem", "egy"),
        ("hamsa-Hiba-ar-sa", "Hiba", "ar-sa"),  # not advertised (Gulf), still spoken
        ("Mariam-ksa", "Mariam", "ksa"),
        ("hamsa-Zaid", "Zaid", "msa"),  # a name we do not know: sent as typed
        ("hamsa-Zaid-egy", "Zaid", "egy"),
    ],
    ids=[
        "no-voice-default",
        "bare-speaker",
        "case-insensitive",
        "bare-egyptian",
        "mariam-egy",
        "hiba-ksa",
        "ali-pls",
        "mariam-in-saudi",
        "ali-in-egyptian",
        "dialect-case-insensitive",
        "gulf-typed",
        "bare-with-dialect",
        "unknown-speaker",
        "unknown-speaker-with-dialect",
    ],
)
async def test_hamsa_voice_selection(
    server: ServerProcess,
    fake_hamsa: FakeHamsa,
    voice_name: str | None,
    speaker: str,
    dialect: str,
) -> None:
    fake_hamsa.catalog.append(CatalogVoice("Zaid", "msa"))  # Hamsa knows more than we do
    reply = await synthesize(server.port, TEXT, voice_name)
    assert_plain_success(reply)
    # voice_name: the speaker the fake understood (a catalogue id or a name on the wire).
    assert [(r["voice_name"], r["dialect"]) for r in fake_hamsa.requests] == [(speaker, dialect)]
    assert reply.pcm == hamsa_pcm(fake_hamsa)


@pytest.mark.parametrize(
    "voice_name",
    ["hamsa-Zaid\n\x1b[31m", "hamsa-" + "Z" * 101, "hamsa-Zaid egy", "hamsa-../etc"],
    ids=["control-characters", "too-long", "space", "path"],
)
async def test_a_typed_hamsa_name_that_is_no_name_is_unknown_voice(
    server: ServerProcess, fake_hamsa: FakeHamsa, voice_name: str
) -> None:
    """Control characters, a huge string or punctuation is no speaker: refused before a
    log line or Hamsa sees it, and the message repeats it only printably and shortened."""
    reply = await synthesize(server.port, TEXT, voice_name)
    assert_failed(reply, "unknown_voice")
    assert reply.error is not None and reply.error.text is not None
    assert reply.error.text.isprintable()
    assert len(reply.error.text) < 400
    assert fake_hamsa.requests == []
    assert "\x1b" not in server.output and "Z" * 101 not in server.output


async def test_live_lists_are_read_at_start_up_and_catalogue_ids_pin_voices(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """A voice the lists name is spoken by its catalogue id (a bare name may be re-resolved
    to another accent); a voice listed only by /v2/tts/voices speaks with no preload."""
    fake_hamsa.unlisted_builtins = [CatalogVoice("Zaid", "egy")]
    server = await start_server("--debug")
    await eventually(lambda: "Hamsa lists" in server.output, "the voice lists are read")
    listed = [r for r in fake_hamsa.rest_requests if r.path == "/v2/tts/voices"]
    assert listed[0].query["projectId"] == "project-1"
    assert listed[0].query["source"] == "jobs"
    for voice_name in (
        "hamsa-Mariam",
        "hamsa-Mariam-ksa",
        f"hamsa-{fake_hamsa.voice_id('Zaid', 'egy')}-egy",
    ):
        reply = await synthesize(server.port, TEXT, voice_name)
        assert_plain_success(reply)
        assert reply.pcm == pcm_for_text(TEXT, 16000)
    assert [(r["speaker"], r["dialect"]) for r in fake_hamsa.requests] == [
        (fake_hamsa.voice_id("Mariam", "egy"), "egy"),
        ("Mariam", "ksa"),
        (fake_hamsa.voice_id("Zaid", "egy"), "egy"),
    ]
    assert [r["voice_name"] for r in fake_hamsa.requests] == ["Mariam", "Mariam", "Zaid"]


async def test_five_requests_at_start_up_under_the_connection_rate_limit(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """Defaults as shipped, against a Hamsa that answers the first request on a connection
    opened within 5 s of the previous one with 640 bytes: nothing short is heard."""
    fake_hamsa.connect_min_interval = 5.0
    fake_hamsa.frame_interval = 0.01
    server = await start_server()
    texts = [f"{TEXT} رقم {number}" for number in range(5)]
    replies = await asyncio.gather(
        *(synthesize(server.port, text, "hamsa-Mariam") for text in texts)
    )
    for text, reply in zip(texts, replies, strict=True):
        assert_plain_success(reply)
        assert reply.pcm == pcm_for_text(text, 16000)
    assert fake_hamsa.short_replies == []


async def test_default_voice_is_faseeh_when_only_faseeh_is_configured(
    start_server: StartServer, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server(hamsa=False)
    reply = await synthesize(server.port, TEXT)
    assert_plain_success(reply)
    assert [g.voice_id for g in fake_faseeh.generations] == ["ar-najdi-male-2"]
    assert reply.pcm == pcm_for_text(TEXT, 24000)


async def test_custom_voice_preloaded_at_start_up_and_spoken_in_msa(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    fake_hamsa.custom_voices = {CUSTOM_VOICE: "Grandma"}
    server = await start_server("--custom-voice", CUSTOM_VOICE)

    def preloads() -> list[object]:
        return [
            r.json for r in fake_hamsa.rest_requests if r.path == "/v2/tts/voices/custom/preload"
        ]

    await eventually(lambda: bool(preloads()), "the custom voice is preloaded at start-up")
    assert preloads() == [{"voiceId": CUSTOM_VOICE}]
    auth = fake_hamsa.rest_requests[0].headers["Authorization"]
    assert auth == f"Token {HAMSA_KEY}"

    reply = await synthesize(server.port, TEXT, f"hamsa-{CUSTOM_VOICE}")

    assert_plain_success(reply)
    assert [(r["speaker"], r["dialect"]) for r in fake_hamsa.requests] == [(CUSTOM_VOICE, "msa")]
    assert reply.pcm == pcm_for_text(TEXT, 16000)
    assert len(preloads()) == 1, "a voice preloaded at start-up is not preloaded again"


async def test_failed_preload_is_logged_not_fatal_and_retried_on_first_use(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    fake_hamsa.custom_voices = {CUSTOM_VOICE: "Grandma"}
    fake_hamsa.preload_status = 500
    server = await start_server("--custom-voice", CUSTOM_VOICE)
    await eventually(
        lambda: "Could not preload Hamsa custom voice" in server.output,
        "the failed preload is logged",
    )

    fake_hamsa.preload_status = None
    reply = await synthesize(server.port, TEXT, f"hamsa-{CUSTOM_VOICE}")

    assert_plain_success(reply)
    assert reply.pcm == pcm_for_text(TEXT, 16000)
    preload_statuses = [
        r.status for r in fake_hamsa.rest_requests if r.path.endswith("/custom/preload")
    ]
    assert preload_statuses == [500, 200]


async def test_requests_reuse_the_warm_connection(
    server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    await eventually(lambda: len(fake_hamsa.connections) >= 1, "a connection is warmed")

    first = await synthesize(server.port, TEXT, "hamsa-Samir")
    second = await synthesize(server.port, "جملة ثانية مختلفة تماما عن الأولى.", "hamsa-Salem")

    assert_plain_success(first)
    assert_plain_success(second)
    # Both requests went over the socket opened at start-up, before any request, and
    # sequential requests never needed a second socket.
    assert [r["connection_index"] for r in fake_hamsa.requests] == [0, 0]
    assert len(fake_hamsa.connections) == 1
    assert second.pcm == pcm_for_text("جملة ثانية مختلفة تماما عن الأولى.", 16000)


async def test_socket_closed_by_the_provider_is_replaced_without_an_error(
    server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    assert_plain_success(await synthesize(server.port, TEXT, "hamsa-Samir"))
    await fake_hamsa.close_all_idle(1000)

    reply = await synthesize(server.port, TEXT, "hamsa-Samir")

    assert_plain_success(reply)
    assert reply.pcm == pcm_for_text(TEXT, 16000)


async def test_concurrent_clients_each_get_their_own_audio(
    server: ServerProcess, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    fake_hamsa.frame_interval = 0.002
    fake_hamsa.frame_sizes = [1001]
    fake_faseeh.frame_interval = 0.002
    fake_faseeh.frame_sizes = [1203]
    jobs = [
        ("hamsa-Samir", "النص الأول للعميل الأول في هذا الاختبار."),
        ("hamsa-Layan", "النص الثاني مختلف قليلا عن النص الأول."),
        ("hamsa-Salem", "وهذا هو النص الثالث والأطول بين النصوص كلها هنا."),
        ("faseeh-ar-najdi-male-2", "نص فصيح الأول للعميل الرابع في الاختبار."),
        ("faseeh-ar-najdi-male-2", "نص فصيح الثاني للعميل الخامس في الاختبار."),
    ]

    replies = await asyncio.gather(*(synthesize(server.port, text, name) for name, text in jobs))

    for (name, text), reply in zip(jobs, replies, strict=True):
        assert_plain_success(reply)
        assert_chunking(reply, 1024)
        rate = 16000 if name.startswith("hamsa-") else 24000
        assert reply.start.rate == rate
        assert reply.pcm == pcm_for_text(text, rate), name


async def test_audio_flows_before_the_reply_ends_and_disconnect_releases_upstream(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """The provider stalls mid-reply: audio already arrived, so nothing waited for the end.

    Then the client hangs up: the server cancels the synthesis and the core discards the
    upstream socket (the fake sees it close) instead of leaving it half-read.
    """
    # Far longer than the test: only the cancellation can close the stalled socket.
    server = await start_server("--provider-timeout", "600")
    await eventually(lambda: len(fake_hamsa.connections) >= 1, "a connection is warmed")
    fake_hamsa.faults = [Fault.stall_after_bytes(12000)]
    async with AsyncTcpClient(HOST, server.port) as client:
        await client.write_event(Synthesize(text=TEXT * 3, voice=voice("hamsa-Samir")).event())
        received = b""
        async with asyncio.timeout(HANG_GUARD):
            while len(received) < 8000:
                event = await client.read_event()
                assert event is not None
                assert event.type in ("audio-start", "audio-chunk")
                if AudioChunk.is_type(event.type):
                    received += AudioChunk.from_event(event).audio
    assert received == pcm_for_text(TEXT * 3, 16000)[: len(received)]
    stalled = fake_hamsa.connections[fake_hamsa.requests[0]["connection_index"]]
    await eventually(lambda: not stalled.open, "the abandoned upstream socket is closed")

    reply = await synthesize(server.port, TEXT, "hamsa-Samir")

    assert_plain_success(reply)
    assert reply.pcm == pcm_for_text(TEXT, 16000)
    assert len(fake_hamsa.requests) == 2
    assert fake_hamsa.requests[1]["connection_index"] != stalled.index


async def test_sigterm_stops_cleanly_and_closes_upstream(
    server: ServerProcess, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    assert_plain_success(await synthesize(server.port, TEXT, "hamsa-Samir"))
    assert fake_hamsa.open_connections >= 1

    assert await server.stop() == 0

    assert "Stopped" in server.output
    assert "Traceback" not in server.output
    await eventually(lambda: fake_hamsa.open_connections == 0, "Hamsa sockets closed")
    await eventually(lambda: fake_faseeh.open_connections == 0, "Faseeh sockets closed")


async def test_no_api_key_in_output_at_debug(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    fake_hamsa.custom_voices = {CUSTOM_VOICE: "Grandma"}
    server = await start_server("--debug", "--custom-voice", CUSTOM_VOICE, "--fallback", "none")
    assert_plain_success(await synthesize(server.port, TEXT, "hamsa-Samir"))
    assert_plain_success(await synthesize(server.port, TEXT, f"hamsa-{CUSTOM_VOICE}"))
    assert_plain_success(await synthesize(server.port, TEXT, "faseeh-ar-najdi-male-2"))
    fake_faseeh.valid_keys = {"another-key"}
    await fake_faseeh.close_all_idle(1000)
    failed = await synthesize(server.port, TEXT, "faseeh-ar-najdi-male-2")
    assert failed.error is not None
    assert failed.error.code == "auth_failed"
    await server.stop()

    output = server.output
    assert "DEBUG" in output
    assert "REDACTED" in output
    assert HAMSA_KEY not in output
    assert FASEEH_KEY not in output


async def test_sigterm_mid_reply_ends_it_without_audio_stop(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """Shutting down must not make a partial utterance look whole to the client."""
    server = await start_server("--provider-timeout", "600")
    await eventually(lambda: len(fake_hamsa.connections) >= 1, "a connection is warmed")
    fake_hamsa.faults = [Fault.stall_after_bytes(12000)]
    async with AsyncTcpClient(HOST, server.port) as client:
        await client.write_event(Synthesize(text=TEXT * 3, voice=voice("hamsa-Samir")).event())
        first = await read_reply(client, until="audio-chunk")
        server.process.terminate()
        rest = await read_reply(client, until=None)

    assert first.types[:2] == ["audio-start", "audio-chunk"]
    assert rest.closed
    assert "audio-stop" not in rest.types
    assert await server.stop() == 0
    await eventually(lambda: fake_hamsa.open_connections == 0, "upstream sockets closed")
