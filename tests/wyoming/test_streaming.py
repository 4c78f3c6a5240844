"""Streaming synthesis: sentences go upstream while text arrives, audio flows back at once."""

from __future__ import annotations

import asyncio

import pytest
from wyoming.audio import AudioChunk
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
)

from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa, Fault

from .conftest import ServerProcess, StartServer, eventually
from .helpers import (
    HANG_GUARD,
    HOST,
    Reply,
    assert_chunking,
    assert_plain_success,
    assert_stream_success,
    read_reply,
    synthesize,
    synthesize_streaming,
    voice,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

SENTENCE_1 = "مرحبا بكم في البيت الذكي هذا المساء. "
SENTENCE_2 = "الجو اليوم جميل جدا في المدينة الكبيرة."


def spoken_texts(fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, provider: str) -> list[str]:
    """What the provider was asked to speak, in order."""
    if provider == "hamsa":
        return [request["text"] for request in fake_hamsa.requests]
    return [generation.text for generation in fake_faseeh.generations]


VOICES = {"hamsa": ("hamsa-Samir", 16000), "faseeh": ("faseeh-ar-najdi-male-2", 24000)}


@pytest.mark.parametrize("provider", VOICES)
async def test_first_audio_arrives_before_the_last_text_chunk_is_sent(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, provider: str
) -> None:
    voice_name, rate = VOICES[provider]
    server = await start_server("--samples-per-chunk", "512")
    head, tail = SENTENCE_2.split(" ", 1)
    async with AsyncTcpClient(HOST, server.port) as client:
        await client.write_event(SynthesizeStart(voice=voice(voice_name)).event())
        await client.write_event(SynthesizeChunk(text=SENTENCE_1).event())
        # The first word of the next sentence tells the splitter the first one is complete.
        await client.write_event(SynthesizeChunk(text=head + " ").event())

        early: list[Event] = []
        async with asyncio.timeout(HANG_GUARD):
            while not early or early[-1].type != "audio-chunk":
                event = await client.read_event()
                assert event is not None
                early.append(event)
        assert [event.type for event in early[:2]] == ["audio-start", "audio-chunk"]
        # Only now is the rest of the text sent.
        await client.write_event(SynthesizeChunk(text=tail).event())
        full_text = SENTENCE_1 + SENTENCE_2
        await client.write_event(Synthesize(text=full_text, voice=voice(voice_name)).event())
        await client.write_event(SynthesizeStop().event())
        rest = await read_reply(client, until="synthesize-stopped")

    reply = Reply(early + rest.events, closed=rest.closed)
    assert_stream_success(reply)
    assert_chunking(reply, 512)
    assert reply.start.rate == rate
    # Each sentence was spoken once: the compatibility synthesize was not spoken again.
    assert spoken_texts(fake_hamsa, fake_faseeh, provider) == [SENTENCE_1.strip(), SENTENCE_2]
    expected = pcm_for_text(SENTENCE_1.strip(), rate) + pcm_for_text(SENTENCE_2, rate)
    assert reply.pcm == expected


async def test_stream_of_many_small_chunks_like_an_llm(
    server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    text = "أهلا وسهلا بك. الطقس اليوم مشمس؛ ودرجة الحرارة معتدلة! هل تريد أن أشغل المكيف؟"
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]

    reply = await synthesize_streaming(server.port, pieces, "hamsa-Salem")

    assert_stream_success(reply)
    assert_chunking(reply, 1024)
    spoken = [request["text"] for request in fake_hamsa.requests]
    assert " ".join(spoken) == text
    assert len(spoken) >= 3
    assert reply.pcm == b"".join(pcm_for_text(sentence, 16000) for sentence in spoken)


async def test_a_stream_ending_in_a_short_sentence_is_spoken_whole_by_faseeh(
    server: ServerProcess, fake_faseeh: FakeFaseeh
) -> None:
    """ "حسنا." alone is below Faseeh's 3-word minimum: it goes with the sentence before it,
    so the reply ends with audio-stop instead of a refusal after it started playing."""
    text = "الباب الأمامي مفتوح الآن. درجة الحرارة في المطبخ عشرون. حسنا."
    pieces = [text[i : i + 4] for i in range(0, len(text), 4)]

    reply = await synthesize_streaming(server.port, pieces, "faseeh-ar-najdi-male-2")

    assert_stream_success(reply)
    spoken = [generation.text for generation in fake_faseeh.generations]
    assert spoken == [
        "الباب الأمامي مفتوح الآن.",
        "درجة الحرارة في المطبخ عشرون. حسنا.",
    ]
    assert reply.pcm == b"".join(pcm_for_text(piece, 24000) for piece in spoken)


async def test_stream_after_stream_on_one_connection(
    server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    """Replies on one connection are independent: each has its own start, stop, stopped."""
    async with AsyncTcpClient(HOST, server.port) as client:
        replies = []
        for text in (SENTENCE_1, SENTENCE_2):
            await client.write_event(SynthesizeStart(voice=voice("hamsa-Samir")).event())
            await client.write_event(SynthesizeChunk(text=text).event())
            await client.write_event(Synthesize(text=text, voice=voice("hamsa-Samir")).event())
            await client.write_event(SynthesizeStop().event())
            replies.append(await read_reply(client, until="synthesize-stopped"))

    for reply, text in zip(replies, (SENTENCE_1, SENTENCE_2), strict=True):
        assert_stream_success(reply)
        assert reply.pcm == pcm_for_text(text.strip(), 16000)
    assert [request["text"] for request in fake_hamsa.requests] == [
        SENTENCE_1.strip(),
        SENTENCE_2,
    ]


async def test_client_disconnect_mid_stream_then_another_request_works(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    server = await start_server("--provider-timeout", "600")
    await eventually(lambda: fake_hamsa.open_connections >= 1, "a connection is warmed")
    fake_hamsa.faults = [Fault.stall_after_bytes(10000)]
    async with AsyncTcpClient(HOST, server.port) as client:
        await client.write_event(SynthesizeStart(voice=voice("hamsa-Samir")).event())
        await client.write_event(SynthesizeChunk(text=SENTENCE_1 * 3 + "و").event())
        async with asyncio.timeout(HANG_GUARD):
            while (event := await client.read_event()) is not None:
                if AudioChunk.is_type(event.type):
                    break
    stalled = fake_hamsa.connections[fake_hamsa.requests[0]["connection_index"]]
    await eventually(lambda: not stalled.open, "the abandoned upstream socket is closed")

    reply = await synthesize(server.port, SENTENCE_2, "hamsa-Samir")
    assert_plain_success(reply)
    assert reply.pcm == pcm_for_text(SENTENCE_2, 16000)
