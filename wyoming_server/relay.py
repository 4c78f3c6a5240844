"""Provider PCM → Wyoming audio events, without ever holding a whole utterance.

One AudioStart (the format of the first provider frame), AudioChunks of exactly
``samples_per_chunk`` samples except the first (sent as soon as the provider's first frame
arrives: time to first audio beats tidy sizes) and the last, then AudioStop. A reply has
one audio format: should a later piece of a stream come at another rate, it is resampled
to the first one rather than switching formats under the client.

Speed (see bench/ and docs/benchmarks.md): writing an event the generic way costs three
socket writes (header line, data, payload), and on loopback each write is a system call
that also delivers the bytes to the client and wakes it. So the chunks cut from one
provider frame are encoded here, byte for byte as ``wyoming`` encodes them, and leave in
one write, AudioStart with the first of them and AudioStop with the last.

A client that stops reading must not hold the reply (and the provider's socket) forever:
when the connection's send buffer is full, waiting for it to drain is bounded by
``drain_timeout`` and ends in ``ClientNotReading``.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

from arabic_tts_core.audio import AudioFormat, PcmChunk, Rechunker, resample
from arabic_tts_core.errors import ProviderError
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event, write_event
from wyoming.server import AsyncEventHandler

WriteEvent = Callable[[Event], Awaitable[None]]


class ClientNotReading(ConnectionError):
    """The client accepted none of our audio for ``drain_timeout`` seconds."""


# Encoded event prefixes, shared by every reply: (format, payload size) → bytes. Replies
# use few sizes (the regular one, plus a shorter first and last), so this stays small.
_HEADS: dict[tuple[int, int, int, int], bytes] = {}
_MAX_CACHED_HEADS = 256
_EVENTS: dict[tuple[str, tuple[tuple[str, Any], ...]], bytes] = {}  # AudioStart, AudioStop


class AudioRelay:
    """Re-chunks one reply's PCM and writes it as Wyoming events.

    ``write`` writes one event. When it is a Wyoming handler's own ``write_event`` (or a
    ``writer`` is given), AudioChunks bypass it and go to the connection's stream writer
    directly, in one write per provider frame; anything else gets every event through
    ``write`` (for example a handler that observes its events).
    """

    def __init__(
        self,
        write: WriteEvent,
        samples_per_chunk: int,
        *,
        writer: asyncio.StreamWriter | None = None,
        drain_timeout: float | None = None,
    ) -> None:
        self._write = write
        self._writer = writer if writer is not None else _plain_writer(write)
        self._drain_timeout = drain_timeout
        self._samples_per_chunk = samples_per_chunk
        self._format: AudioFormat | None = None
        self._rechunker: Rechunker | None = None

    @property
    def started(self) -> bool:
        """True once AudioStart was written."""
        return self._format is not None

    async def feed(self, chunk: PcmChunk) -> None:
        """Write AudioStart on the first audio, then every complete chunk."""
        if not chunk.pcm:
            return
        start: Event | None = None
        if self._format is None or self._rechunker is None:
            self._format = chunk.format
            self._rechunker = Rechunker(
                self._samples_per_chunk, chunk.format.bytes_per_sample, first_chunk_early=True
            )
            start = AudioStart(
                rate=chunk.format.rate,
                width=chunk.format.width,
                channels=chunk.format.channels,
            ).event()
        pcm = self._conform(chunk)
        await self._write_chunks(self._rechunker.feed(pcm), before=start)

    async def finish(self) -> None:
        """Write the last (possibly short) chunk and AudioStop; only for a reply that succeeded."""
        if self._rechunker is None:
            raise ProviderError("The provider finished without sending any audio.")
        await self._write_chunks(self._rechunker.flush(), after=AudioStop().event())

    def _conform(self, chunk: PcmChunk) -> bytes:
        assert self._format is not None
        pcm: bytes = chunk.pcm
        if chunk.format == self._format:
            return pcm
        same_layout = (chunk.format.width, chunk.format.channels) == (
            self._format.width,
            self._format.channels,
        )
        if not same_layout or self._format.channels != 1:
            raise ProviderError("The provider changed its audio format in the middle of a reply.")
        resampled: bytes = resample(pcm, chunk.format.rate, self._format.rate)
        return resampled

    async def _write_chunks(
        self, pieces: list[bytes], *, before: Event | None = None, after: Event | None = None
    ) -> None:
        """Write ``before``, the chunks, ``after``: in one write on the direct path."""
        writer = self._writer
        if writer is None:
            for event in (
                *((before,) if before else ()),
                *(self._chunk_event(pcm) for pcm in pieces),
                *((after,) if after else ()),
            ):
                await self._write(event)
            return
        parts: list[bytes] = []
        if before is not None:
            parts.append(_encode(before))
        if pieces:
            assert self._format is not None
            rate, width, channels = self._format.rate, self._format.width, self._format.channels
            for pcm in pieces:
                head = _HEADS.get((rate, width, channels, len(pcm)))
                parts.append(head if head is not None else self._head(pcm))
                parts.append(pcm)
        if after is not None:
            parts.append(_encode(after))
        if parts:
            # One system call for all of it. write(), not writelines(): before Python
            # 3.12.9/3.13.2 writelines() never pauses the protocol (CPython gh-127655), so
            # drain() would not wait for a client that stops reading and the reply would
            # pile up in memory.
            writer.write(parts[0] if len(parts) == 1 else b"".join(parts))
            await drain(writer, self._drain_timeout)

    def _chunk_event(self, pcm: bytes) -> Event:
        assert self._format is not None
        return AudioChunk(
            rate=self._format.rate,
            width=self._format.width,
            channels=self._format.channels,
            audio=pcm,
        ).event()

    def _head(self, pcm: bytes) -> bytes:
        """The bytes ``wyoming`` writes before an AudioChunk's payload (then cached)."""
        assert self._format is not None
        buffer = io.BytesIO()
        write_event(self._chunk_event(bytes(len(pcm))), buffer)
        head = buffer.getvalue()[: -len(pcm)]
        if len(_HEADS) >= _MAX_CACHED_HEADS:
            _HEADS.clear()
        fmt = self._format
        _HEADS[(fmt.rate, fmt.width, fmt.channels, len(pcm))] = head
        return head


async def drain(writer: asyncio.StreamWriter, timeout: float | None) -> None:
    """``writer.drain()``, giving up after ``timeout`` seconds without room in the buffer."""
    transport = writer.transport
    if (
        timeout is None
        or transport.get_write_buffer_size() <= transport.get_write_buffer_limits()[0]
    ):
        await writer.drain()  # at or below the low mark writing is never paused: no timer
        return
    try:
        async with asyncio.timeout(timeout):
            await writer.drain()
    except TimeoutError:
        raise ClientNotReading(f"the client read nothing for {timeout:g} seconds") from None


def _encode(event: Event) -> bytes:
    """A payload-free event (AudioStart, AudioStop) exactly as ``wyoming`` writes it."""
    assert event.payload is None
    key = (event.type, tuple(sorted(event.data.items())))
    encoded = _EVENTS.get(key)
    if encoded is None:
        buffer = io.BytesIO()
        write_event(event, buffer)
        encoded = buffer.getvalue()
        if len(_EVENTS) >= _MAX_CACHED_HEADS:
            _EVENTS.clear()
        _EVENTS[key] = encoded
    return encoded


def _plain_writer(write: WriteEvent) -> asyncio.StreamWriter | None:
    """The stream writer behind ``write`` if it is an unmodified handler ``write_event``.

    Writing encoded bytes to that writer is exactly what the method would do, so it is
    safe to bypass; a handler that overrides ``write_event`` keeps every event.
    """
    handler = getattr(write, "__self__", None)
    if not isinstance(handler, AsyncEventHandler):
        return None
    if getattr(write, "__func__", None) is not AsyncEventHandler.write_event:
        return None
    writer = handler.writer
    return writer if isinstance(writer, asyncio.StreamWriter) else None
