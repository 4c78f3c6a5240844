"""Deterministic test audio, shared by the fake servers and the tests that check their output.

Every text maps to its own reproducible, non-silent PCM, so a test can recompute the exact
bytes a fake sent and compare them with what the client under test produced.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

_MULAW_BIAS = 0x84
_MULAW_CLIP = 32635


def pcm_for_text(text: str, rate: int = 16000, seconds_per_char: float = 0.02) -> bytes:
    """Return PCM16 LE mono audio for `text` at `rate`; same input gives the same bytes.

    Length is max(1, round(len(text) * seconds_per_char * rate)) samples, values are drawn
    from a generator seeded with crc32(text utf-8 + rate) in -20000..20000.
    """
    samples = max(1, round(len(text) * seconds_per_char * rate))
    seed = zlib.crc32(text.encode("utf-8") + b"\x00" + str(rate).encode("ascii"))
    rng = np.random.default_rng(seed)
    values = rng.integers(-20000, 20001, size=samples, dtype=np.int32)
    return bytes(values.astype("<i2").tobytes())


def mulaw_encode(pcm16: bytes) -> bytes:
    """Encode PCM16 LE to G.711 µ-law (one byte per sample); a trailing odd byte is dropped."""
    usable = len(pcm16) - (len(pcm16) % 2)
    x = np.frombuffer(pcm16[:usable], dtype="<i2").astype(np.int32)
    sign = np.where(x < 0, 0x80, 0x00)
    magnitude = np.minimum(np.abs(x), _MULAW_CLIP) + _MULAW_BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    encoded = ~(sign | (exponent << 4) | mantissa) & 0xFF
    return bytes(encoded.astype(np.uint8).tobytes())


def mulaw_decode(mulaw: bytes) -> bytes:
    """Decode G.711 µ-law to PCM16 LE; lets tests check what a client should produce."""
    u = ~np.frombuffer(mulaw, dtype=np.uint8).astype(np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + _MULAW_BIAS) << exponent) - _MULAW_BIAS
    values = np.where(sign != 0, -magnitude, magnitude)
    return bytes(values.astype("<i2").tobytes())


def wav_header_streaming(rate: int, channels: int = 1, width: int = 2) -> bytes:
    """Return a 44-byte RIFF/WAVE PCM header with unknown (0xFFFFFFFF) RIFF and data sizes.

    This is what Hamsa's streaming endpoint sends before the samples: the length is not
    known when the header goes out.
    """
    unknown = 0xFFFFFFFF
    block_align = channels * width
    return (
        b"RIFF"
        + struct.pack("<I", unknown)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block_align, block_align, width * 8)
        + b"data"
        + struct.pack("<I", unknown)
    )


def split_frames(data: bytes, sizes: Sequence[int]) -> list[bytes]:
    """Cut `data` into frames, cycling through `sizes`; the last frame holds the remainder.

    Odd sizes give frames that split samples, which clients must reassemble.
    """
    if not sizes or any(size <= 0 for size in sizes):
        raise ValueError("frame sizes must be positive")
    frames: list[bytes] = []
    pos = 0
    index = 0
    while pos < len(data):
        size = sizes[index % len(sizes)]
        frames.append(data[pos : pos + size])
        pos += size
        index += 1
    return frames
