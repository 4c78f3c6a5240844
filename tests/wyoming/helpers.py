"""Driving the real server process with the wyoming client, and checking what comes back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

# Guards against a hung server, never a timing assertion: a healthy reply takes well under it.
HANG_GUARD = 20.0
HOST = "127.0.0.1"


@dataclass
class Reply:
    """Every event of one reply, and whether the server closed the connection after it."""

    events: list[Event]
    closed: bool

    @property
    def types(self) -> list[str]:
        """Event types in order."""
        return [event.type for event in self.events]

    @property
    def start(self) -> AudioStart:
        """The (single) AudioStart."""
        starts = [AudioStart.from_event(e) for e in self.events if AudioStart.is_type(e.type)]
        assert len(starts) == 1, self.types
        return starts[0]

    @property
    def chunks(self) -> list[AudioChunk]:
        """AudioChunks in order."""
        return [AudioChunk.from_event(e) for e in self.events if AudioChunk.is_type(e.type)]

    @property
    def pcm(self) -> bytes:
        """All audio bytes."""
        return b"".join(chunk.audio for chunk in self.chunks)

    @property
    def error(self) -> Error | None:
        """The error event, if any."""
        errors = [Error.from_event(e) for e in self.events if Error.is_type(e.type)]
        assert len(errors) <= 1, self.types
        return errors[0] if errors else None


async def read_reply(client: AsyncTcpClient, *, until: str | None) -> Reply:
    """Read events until ``until`` (returned open) or until the server closes the socket.

    After an ``error`` event keep reading: the contract says the server closes the
    connection next, and a client that waited for more would hang (HA's would).
    """
    events: list[Event] = []
    async with asyncio.timeout(HANG_GUARD):
        while True:
            event = await client.read_event()
            if event is None:
                return Reply(events, closed=True)
            events.append(event)
            if until is not None and event.type == until and not Error.is_type(event.type):
                return Reply(events, closed=False)


async def describe(port: int) -> Info:
    """One Describe round trip."""
    async with AsyncTcpClient(HOST, port) as client:
        await client.write_event(Describe().event())
        async with asyncio.timeout(HANG_GUARD):
            while True:
                event = await client.read_event()
                assert event is not None, "server closed the connection instead of answering"
                if Info.is_type(event.type):
                    return Info.from_event(event)


def voice(name: str | None) -> SynthesizeVoice | None:
    """A SynthesizeVoice by name (None: let the server choose)."""
    return SynthesizeVoice(name=name) if name is not None else None


async def synthesize(port: int, text: str, voice_name: str | None = None) -> Reply:
    """A plain ``synthesize`` request; returns after audio-stop or when the server closes."""
    async with AsyncTcpClient(HOST, port) as client:
        await client.write_event(Synthesize(text=text, voice=voice(voice_name)).event())
        return await read_reply(client, until=AudioStop().event().type)


async def synthesize_streaming(
    port: int, chunks: Iterable[str], voice_name: str | None = None
) -> Reply:
    """The streaming sequence Home Assistant sends: start, chunks, compat synthesize, stop.

    A server that fails early closes the socket while we are still writing: stop writing
    and read what it said.
    """
    chunks = list(chunks)
    client = AsyncTcpClient(HOST, port)
    await client.connect()
    try:
        with contextlib.suppress(ConnectionError):
            await client.write_event(SynthesizeStart(voice=voice(voice_name)).event())
            for text in chunks:
                await client.write_event(SynthesizeChunk(text=text).event())
            full = Synthesize(text="".join(chunks), voice=voice(voice_name))
            await client.write_event(full.event())
            await client.write_event(SynthesizeStop().event())
        return await read_reply(client, until=SynthesizeStopped().event().type)
    finally:
        with contextlib.suppress(ConnectionError):
            await client.disconnect()


def assert_plain_success(reply: Reply) -> None:
    """audio-start, audio-chunk…, audio-stop; connection left open."""
    assert reply.error is None, reply.error
    assert not reply.closed
    assert reply.types[0] == "audio-start"
    assert reply.types[-1] == "audio-stop"
    assert set(reply.types[1:-1]) == {"audio-chunk"}


def assert_stream_success(reply: Reply) -> None:
    """audio-start, audio-chunk…, audio-stop, synthesize-stopped."""
    assert reply.error is None, reply.error
    assert reply.types[0] == "audio-start"
    assert reply.types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert set(reply.types[1:-2]) == {"audio-chunk"}


def assert_chunking(reply: Reply, samples_per_chunk: int) -> None:
    """One format; whole samples; every chunk but the first and last exactly the size."""
    start = reply.start
    chunks = reply.chunks
    assert chunks
    bytes_per_sample = start.width * start.channels
    for chunk in chunks:
        assert (chunk.rate, chunk.width, chunk.channels) == (
            start.rate,
            start.width,
            start.channels,
        )
        assert chunk.audio
        assert len(chunk.audio) % bytes_per_sample == 0
        assert chunk.samples <= samples_per_chunk
    assert all(chunk.samples == samples_per_chunk for chunk in chunks[1:-1])


def assert_failed(reply: Reply, code: str) -> None:
    """An error with ``code`` and a sentence, no audio-stop anywhere, then a closed socket."""
    assert reply.error is not None, reply.types
    assert reply.error.code == code, reply.error
    assert reply.error.text and " " in reply.error.text
    assert reply.types[-1] == "error"
    assert "audio-stop" not in reply.types
    assert "synthesize-stopped" not in reply.types
    assert reply.closed
