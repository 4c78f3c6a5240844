"""Provider PCM → Wyoming audio events, without ever holding a whole utterance.

One AudioStart (the format of the first provider frame), AudioChunks of exactly
``samples_per_chunk`` samples except the first (sent as soon as the provider's first frame
arrives: time to first audio beats tidy sizes) and the last, then AudioStop. A reply has
one audio format: should a later piece of a stream come at another rate, it is resampled
to the first one rather than switching formats under the client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from arabic_tts_core.audio import AudioFormat, PcmChunk, Rechunker, resample
from arabic_tts_core.errors import ProviderError
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

WriteEvent = Callable[[Event], Awaitable[None]]


class AudioRelay:
    """Re-chunks one reply's PCM and writes it as Wyoming events."""

    def __init__(self, write: WriteEvent, samples_per_chunk: int) -> None:
        self._write = write
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
        if self._format is None or self._rechunker is None:
            self._format = chunk.format
            self._rechunker = Rechunker(
                self._samples_per_chunk, chunk.format.bytes_per_sample, first_chunk_early=True
            )
            await self._write(
                AudioStart(
                    rate=chunk.format.rate,
                    width=chunk.format.width,
                    channels=chunk.format.channels,
                ).event()
            )
        pcm = self._conform(chunk)
        for piece in self._rechunker.feed(pcm):
            await self._write_chunk(piece)

    async def finish(self) -> None:
        """Write the last (possibly short) chunk and AudioStop; only for a reply that succeeded."""
        if self._rechunker is None:
            raise ProviderError("The provider finished without sending any audio.")
        for piece in self._rechunker.flush():
            await self._write_chunk(piece)
        await self._write(AudioStop().event())

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

    async def _write_chunk(self, pcm: bytes) -> None:
        assert self._format is not None
        await self._write(
            AudioChunk(
                rate=self._format.rate,
                width=self._format.width,
                channels=self._format.channels,
                audio=pcm,
            ).event()
        )
