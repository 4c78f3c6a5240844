"""AudioRelay's direct path writes exactly what wyoming would, in one write per frame."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from unittest.mock import patch

import pytest
from arabic_tts_core.audio import AudioFormat, PcmChunk
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.server import AsyncEventHandler

from tests.fakes.audio import pcm_for_text
from wyoming_server.relay import AudioRelay, ClientNotReading, _plain_writer

PCM = pcm_for_text("مرحبا بكم في البيت الذكي. كيف يمكنني مساعدتكم اليوم؟")
FRAMES = [PCM[:4097], PCM[4097:4430], PCM[4430:9000], PCM[9000:]]  # odd cuts, like providers


class _Handler(AsyncEventHandler):
    async def handle_event(self, event: Event) -> bool:
        return True


class _ObservingHandler(_Handler):
    async def write_event(self, event: Event) -> None:
        await super().write_event(event)


@pytest.fixture
async def pipe() -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A connected (reader of the far end, writer of the near end) pair."""
    near, far = socket.socketpair()
    _, writer = await asyncio.open_unix_connection(sock=near)
    reader, far_writer = await asyncio.open_unix_connection(sock=far)
    yield reader, writer
    writer.close()
    far_writer.close()


async def _relay_all(relay: AudioRelay, frames: list[bytes] = FRAMES, rate: int = 16000) -> None:
    for frame in frames:
        await relay.feed(PcmChunk(AudioFormat(rate), frame))
    await relay.finish()


async def _read_all(reader: asyncio.StreamReader, count: int) -> list[Event]:
    events = []
    async with asyncio.timeout(5):
        for _ in range(count):
            event = await async_read_event(reader)
            assert event is not None
            events.append(event)
    return events


async def test_direct_path_is_byte_identical_and_one_write_per_frame(
    pipe: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    reader, writer = pipe
    generic: list[Event] = []

    async def collect(event: Event) -> None:
        generic.append(event)

    await _relay_all(AudioRelay(collect, 1024))

    async def write(event: Event) -> None:
        await async_write_event(event, writer)

    relay = AudioRelay(write, 1024, writer=writer)
    with patch.object(writer, "write", wraps=writer.write) as written:
        await _relay_all(relay)
    received = await _read_all(reader, len(generic))

    assert [(e.type, e.data, e.payload) for e in received] == [
        (e.type, e.data, e.payload) for e in generic
    ]
    assert b"".join(e.payload or b"" for e in received) == PCM
    # One write per frame that completes a chunk (frame 2 is too short to complete one),
    # AudioStart riding with the first chunks and AudioStop with the tail.
    writes: list[bytes] = [call.args[0] for call in written.call_args_list]
    assert len(writes) == 4
    assert writes[0].startswith(b'{"type": "audio-start"')
    assert writes[-1].rfind(b'{"type": "audio-stop"') > writes[-1].rfind(b'{"type": "audio-chunk"')
    assert [w.count(b'{"type": "audio-chunk"') for w in writes] == [2, 2, 12, 1]


async def test_a_client_that_stops_reading_holds_at_most_a_buffer_then_fails(
    pipe: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Back-pressure reaches the reply: it waits (bounded) instead of piling audio up.

    Python before 3.12.9/3.13.2 never paused a protocol from writelines() (gh-127655): a
    relay writing that way kept accepting audio for a client that read nothing.
    """
    _, writer = pipe  # the far end never reads
    writer.transport.set_write_buffer_limits(high=65536)
    relay = AudioRelay(_never_called, 1024, writer=writer, drain_timeout=0.5)
    frame = PCM[:4096]
    largest = 0
    with pytest.raises(ClientNotReading):
        async with asyncio.timeout(30):
            for _ in range(10_000):  # 40 MB if nothing pushed back
                await relay.feed(PcmChunk(AudioFormat(16000), frame))
                largest = max(largest, writer.transport.get_write_buffer_size())
    assert largest <= 65536 + 2 * len(frame) + 1024


async def _never_called(event: Event) -> None:
    raise AssertionError("the direct path writes to the stream writer itself")


async def test_direct_path_across_replies_formats_and_sizes(
    pipe: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Encodings are cached across replies: every size and format must still be right."""
    reader, writer = pipe

    async def write(event: Event) -> None:
        await async_write_event(event, writer)

    replies = [
        (PCM[:5000], 16000, 1024),
        (PCM, 24000, 1024),
        (PCM[:3001], 16000, 256),
        (PCM, 16000, 1024),
    ]
    for pcm, rate, samples in replies:
        frames = [pcm[i : i + 777] for i in range(0, len(pcm), 777)]
        generic: list[Event] = []

        async def collect(event: Event, into: list[Event] = generic) -> None:
            into.append(event)

        await _relay_all(AudioRelay(collect, samples), frames, rate)
        await _relay_all(AudioRelay(write, samples, writer=writer), frames, rate)
        received = await _read_all(reader, len(generic))
        assert [(e.type, e.data, e.payload) for e in received] == [
            (e.type, e.data, e.payload) for e in generic
        ]


async def test_only_an_unmodified_handler_write_event_is_bypassed(
    pipe: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    reader, writer = pipe
    assert _plain_writer(_Handler(reader, writer).write_event) is writer
    assert _plain_writer(_ObservingHandler(reader, writer).write_event) is None

    async def write(event: Event) -> None:
        return None

    assert _plain_writer(write) is None
