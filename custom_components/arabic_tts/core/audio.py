"""PCM plumbing: container headers, µ-law, sample alignment, re-chunking, resampling.

Providers cut their audio wherever their buffers happen to end, so frames are rarely
sample aligned; everything here conserves every byte it is given and only ever hands on
whole samples.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where it is needed (µ-law, resampling): most replies need neither, and
# importing it costs the Wyoming server about a sixth of its idle memory and start-up time.

PCM16_WIDTH = 2


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Rate, sample width in bytes and channel count of a PCM stream."""

    rate: int
    width: int = PCM16_WIDTH
    channels: int = 1

    @property
    def bytes_per_sample(self) -> int:
        """Bytes in one sample frame (all channels)."""
        return self.width * self.channels

    def seconds(self, byte_count: int) -> float:
        """Duration of ``byte_count`` bytes of this format."""
        return byte_count / (self.rate * self.bytes_per_sample)


@dataclass(frozen=True, slots=True)
class PcmChunk:
    """Sample-aligned PCM and the format it is in: what every provider yields."""

    format: AudioFormat
    pcm: bytes


class SampleAligner:
    """Carries the bytes of a split sample from one frame into the next."""

    def __init__(self, bytes_per_sample: int = PCM16_WIDTH) -> None:
        self._bytes_per_sample = bytes_per_sample
        self._carry = b""

    def feed(self, data: bytes) -> bytes:
        """Return the whole samples available so far; keep the remainder."""
        if not self._carry and not len(data) % self._bytes_per_sample:
            return data  # the usual case: aligned, nothing carried; no copy
        data = self._carry + data
        cut = len(data) - len(data) % self._bytes_per_sample
        self._carry = data[cut:]
        return data[:cut]

    @property
    def pending(self) -> int:
        """Bytes waiting for the rest of their sample."""
        return len(self._carry)


class Rechunker:
    """Cuts a PCM stream into chunks of exactly ``samples_per_chunk`` samples.

    ``first_chunk_early`` lets the first chunk leave as soon as any audio exists: time to
    first audio matters more than tidy sizes.
    """

    def __init__(
        self, samples_per_chunk: int, bytes_per_sample: int, *, first_chunk_early: bool = False
    ) -> None:
        if samples_per_chunk < 1:
            raise ValueError("samples_per_chunk must be at least 1")
        self._chunk_bytes = samples_per_chunk * bytes_per_sample
        self._aligner = SampleAligner(bytes_per_sample)
        self._buffer = bytearray()
        self._first_pending = first_chunk_early

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return every complete chunk (and an early first chunk)."""
        aligned = self._aligner.feed(data)
        size = self._chunk_bytes
        if not self._buffer and not self._first_pending:
            # Nothing buffered: cut straight from the input, keep only the remainder.
            whole = len(aligned) - len(aligned) % size
            chunks = [aligned[pos : pos + size] for pos in range(0, whole, size)]
            if whole < len(aligned):
                self._buffer += aligned[whole:]
            return chunks
        self._buffer += aligned
        chunks = []
        if self._first_pending and self._buffer:
            self._first_pending = False
            take = min(len(self._buffer), size)
            chunks.append(bytes(self._buffer[:take]))
            del self._buffer[:take]
        while len(self._buffer) >= size:
            chunks.append(bytes(self._buffer[:size]))
            del self._buffer[:size]
        return chunks

    def flush(self) -> list[bytes]:
        """Return what is left (whole samples only; a dangling half sample is dropped)."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return [rest] if rest else []


# --- G.711 µ-law --------------------------------------------------------------------------


@functools.cache
def _mulaw_table() -> np.ndarray:
    import numpy as np  # noqa: PLC0415 - see the module imports

    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype("<i2")


def mulaw_decode(data: bytes) -> bytes:
    """Decode G.711 µ-law bytes into PCM16 little-endian (one byte in, one sample out)."""
    if not data:
        return b""
    import numpy as np  # noqa: PLC0415 - see the module imports

    return _mulaw_table()[np.frombuffer(data, dtype=np.uint8)].tobytes()


def mulaw_encode(pcm: bytes) -> bytes:
    """Encode PCM16 little-endian as G.711 µ-law (used by tests and the offline path)."""
    import numpy as np  # noqa: PLC0415 - see the module imports

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), 32635) + 0x84
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    encoded: bytes = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()
    return encoded


# --- WAV --------------------------------------------------------------------------------


RIFF_MIN_HEADER = 12


@dataclass(frozen=True, slots=True)
class WavHeader:
    """What a RIFF/WAVE header says, and where its PCM starts."""

    format: AudioFormat
    data_offset: int


def looks_like_wav(data: bytes) -> bool:
    """True when the bytes start with a RIFF/WAVE signature."""
    return len(data) >= RIFF_MIN_HEADER and data[:4] == b"RIFF" and data[8:12] == b"WAVE"


def parse_wav_header(data: bytes) -> WavHeader | None:
    """Parse a (possibly streaming, 0xFFFFFFFF-sized) WAV header.

    Returns None while the header is incomplete; raises ValueError when it is not a PCM
    WAV header at all.
    """
    if len(data) < RIFF_MIN_HEADER:
        return None
    if not looks_like_wav(data):
        raise ValueError("not a RIFF/WAVE header")
    offset = RIFF_MIN_HEADER
    fmt: AudioFormat | None = None
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (chunk_size,) = struct.unpack_from("<I", data, offset + 4)
        body = offset + 8
        if chunk_id == b"data":
            if fmt is None:
                raise ValueError("WAV data chunk before fmt chunk")
            return WavHeader(fmt, body)
        if body + chunk_size > len(data):
            return None
        if chunk_id == b"fmt ":
            audio_format, channels, rate = struct.unpack_from("<HHI", data, body)
            (bits,) = struct.unpack_from("<H", data, body + 14)
            if audio_format not in (1, 0xFFFE) or bits != 16:
                raise ValueError(f"unsupported WAV encoding {audio_format}/{bits} bits")
            fmt = AudioFormat(rate=rate, width=bits // 8, channels=channels)
        offset = body + chunk_size + (chunk_size & 1)
    return None


def wav_header(fmt: AudioFormat, frames: int = 0) -> bytes:
    """A 44-byte PCM WAV header; ``frames=0`` for a stream of unknown length."""
    data_size = frames * fmt.bytes_per_sample
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_size,
        b"WAVE",
        b"fmt ",
        16,
        1,
        fmt.channels,
        fmt.rate,
        fmt.rate * fmt.bytes_per_sample,
        fmt.bytes_per_sample,
        fmt.width * 8,
        b"data",
        data_size,
    )


class PcmStreamDecoder:
    """Turns one reply's byte stream into sample-aligned PCM16 with its format.

    Strips a ``RIFF…WAVE`` header at the start (taking its format), decodes µ-law when
    asked, and carries split samples across frames. Used for Hamsa replies and espeak-ng.
    """

    def __init__(self, default_format: AudioFormat, *, mulaw: bool = False) -> None:
        self.format = default_format
        self.mulaw = mulaw
        self._head = b""
        self._head_done = False
        self._aligner = SampleAligner(default_format.bytes_per_sample)

    def feed(self, frame: bytes) -> bytes:
        """Return the whole PCM16 samples this frame completes (ValueError: bad header)."""
        if not self._head_done:
            self._head += frame
            if len(self._head) < RIFF_MIN_HEADER and self._head[:4] == b"RIFF"[: len(self._head)]:
                return b""  # might still become a WAV header
            if looks_like_wav(self._head):
                header = parse_wav_header(self._head)
                if header is None:
                    return b""
                self.format = header.format
                self._aligner = SampleAligner(header.format.bytes_per_sample)
                self.mulaw = False
                frame = self._head[header.data_offset :]
            else:
                frame = self._head
            self._head = b""
            self._head_done = True
        if self.mulaw:
            return mulaw_decode(frame)
        return self._aligner.feed(frame)

    def flush(self) -> bytes:
        """End of stream: release bytes held while checking for a header."""
        if self._head_done:
            return b""
        self._head_done = True
        head, self._head = self._head, b""
        return mulaw_decode(head) if self.mulaw else self._aligner.feed(head)


# --- Resampling -------------------------------------------------------------------------


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample mono PCM16 by linear interpolation (good enough for speech)."""
    if from_rate == to_rate or not pcm:
        return pcm
    import numpy as np  # noqa: PLC0415 - see the module imports

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    count = max(1, round(len(samples) * to_rate / from_rate))
    positions = np.arange(count, dtype=np.float64) * (from_rate / to_rate)
    out = np.interp(positions, np.arange(len(samples)), samples)
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()
