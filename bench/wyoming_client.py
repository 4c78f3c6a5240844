"""Our side: a Wyoming client of the real server process, timestamping every event."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, async_read_event, async_write_event, write_event
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from .trace import Trace

HOST = "127.0.0.1"
REPLY_GUARD = 60.0


async def describe_rtt(port: int) -> float:
    """Connect, Describe, read the Info event, close (what Home Assistant does); seconds."""
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 24)
    try:
        start = time.monotonic()
        await async_write_event(Describe().event(), writer)
        async with asyncio.timeout(REPLY_GUARD):
            while True:
                event = await async_read_event(reader)
                if event is None:
                    raise ConnectionError("closed before Info")
                if Info.is_type(event.type):
                    return time.monotonic() - start
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def info_bytes(port: int) -> bytes:
    """The Info event exactly as it is written on the wire (for the floor's echo)."""
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 24)
    try:
        await async_write_event(Describe().event(), writer)
        async with asyncio.timeout(REPLY_GUARD):
            while True:
                event = await async_read_event(reader)
                if event is None:
                    raise ConnectionError("closed before Info")
                if Info.is_type(event.type):
                    return _encode(event)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _encode(event: Event) -> bytes:
    buffer = io.BytesIO()
    write_event(event, buffer)
    return buffer.getvalue()


async def _read_audio(reader: asyncio.StreamReader, trace: Trace, until: str) -> None:
    """Read events until ``until``; timestamp each AudioChunk as its payload completes."""
    received = 0
    async with asyncio.timeout(REPLY_GUARD):
        while True:
            event = await async_read_event(reader)
            now = time.monotonic()
            if event is None:
                trace.error = trace.error or "connection closed"
                return
            if AudioChunk.is_type(event.type):
                received += len(event.payload or b"")
                trace.arrivals.append((received, now))
            elif AudioStart.is_type(event.type):
                start = AudioStart.from_event(event)
                trace.bytes_per_second = start.rate * start.width * start.channels
            elif Error.is_type(event.type):
                trace.error = Error.from_event(event).text
                return
            if event.type == until:
                return


async def synthesize(port: int, text: str, voice: str, trace: Trace | None = None) -> Trace:
    """A plain ``synthesize`` on a fresh connection; returns after audio-stop.

    Pass ``trace`` to watch the reply while it is still arriving.
    """
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        trace = trace or Trace(text=text, t0=0.0)
        trace.t0 = time.monotonic()
        await async_write_event(
            Synthesize(text=text, voice=SynthesizeVoice(name=voice)).event(), writer
        )
        await _read_audio(reader, trace, AudioStop().event().type)
        trace.t_end = time.monotonic()
        return trace
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def synthesize_streaming(
    port: int, tokens: list[str], interval: float, complete_index: int, voice: str
) -> Trace:
    """Home Assistant's streaming sequence with one token every ``interval`` seconds.

    ``t_sentence`` is when the token completing the first sentence was written; the
    trace's ``text`` is that sentence (what the provider is asked for first).
    """
    reader, writer = await asyncio.open_connection(HOST, port)
    sentence = "".join(tokens[: complete_index + 1]).strip()
    trace = Trace(text=sentence, t0=time.monotonic())
    reading = asyncio.create_task(_read_audio(reader, trace, SynthesizeStopped().event().type))
    try:
        await async_write_event(SynthesizeStart(voice=SynthesizeVoice(name=voice)).event(), writer)
        start = time.monotonic()
        for index, token in enumerate(tokens):
            await asyncio.sleep(max(0.0, start + index * interval - time.monotonic()))
            if index == complete_index:
                trace.t_sentence = time.monotonic()
            await async_write_event(SynthesizeChunk(text=token).event(), writer)
        full = "".join(tokens)
        await async_write_event(
            Synthesize(text=full, voice=SynthesizeVoice(name=voice)).event(), writer
        )
        await async_write_event(SynthesizeStop().event(), writer)
        await reading
        trace.t_end = time.monotonic()
        return trace
    finally:
        if not reading.done():
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def concurrent(
    port: int,
    texts: list[str],
    starts: list[float],
    voice: str,
    traces: list[Trace] | None = None,
) -> list[Trace]:
    """One plain request per text, each on its own connection, started at its offset.

    ``traces`` (one per text) are filled in as the replies arrive.
    """
    begin = time.monotonic()
    traces = traces or [Trace(text=text, t0=0.0) for text in texts]

    async def one(trace: Trace, offset: float) -> Trace:
        await asyncio.sleep(max(0.0, begin + offset - time.monotonic()))
        return await synthesize(port, trace.text, voice, trace)

    return list(await asyncio.gather(*(one(t, s) for t, s in zip(traces, starts, strict=True))))
