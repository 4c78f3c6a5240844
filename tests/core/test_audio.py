"""The PCM pipeline conserves every sample, whatever the frame boundaries."""

from __future__ import annotations

import struct

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from custom_components.arabic_tts.core.audio import (
    AudioFormat,
    PcmStreamDecoder,
    Rechunker,
    SampleAligner,
    mulaw_decode,
    mulaw_encode,
    parse_wav_header,
    resample,
    wav_header,
)
from tests.fakes.audio import mulaw_encode as fake_mulaw_encode
from tests.fakes.audio import wav_header_streaming


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    frames, start = [], 0
    for point in [*points, len(data)]:
        frames.append(data[start:point])
        start = point
    return frames


pcm_bytes = st.binary(min_size=0, max_size=4000).map(lambda b: b[: len(b) - len(b) % 2])
cut_lists = st.lists(st.integers(min_value=0, max_value=4000), max_size=30)


@given(pcm_bytes, cut_lists)
def test_aligner_conserves_bytes_and_yields_whole_samples(pcm: bytes, cuts: list[int]) -> None:
    aligner = SampleAligner(2)
    out = []
    for frame in _split(pcm, cuts):
        piece = aligner.feed(frame)
        assert len(piece) % 2 == 0
        out.append(piece)
    assert b"".join(out) == pcm
    assert aligner.pending == 0


@given(pcm_bytes, cut_lists, st.integers(min_value=1, max_value=700), st.booleans())
def test_rechunker_exact_sizes_and_conservation(
    pcm: bytes, cuts: list[int], samples: int, early: bool
) -> None:
    rechunker = Rechunker(samples, 2, first_chunk_early=early)
    chunks: list[bytes] = []
    for frame in _split(pcm, cuts):
        chunks.extend(rechunker.feed(frame))
    chunks.extend(rechunker.flush())
    assert b"".join(chunks) == pcm
    assert all(chunk for chunk in chunks)
    middle = chunks[1:-1] if early else chunks[:-1]
    assert all(len(chunk) == samples * 2 for chunk in middle)
    assert all(len(chunk) <= samples * 2 and len(chunk) % 2 == 0 for chunk in chunks)


def test_rechunker_first_chunk_leaves_with_first_frame() -> None:
    rechunker = Rechunker(1024, 2, first_chunk_early=True)
    assert rechunker.feed(b"\x01\x00" * 10) == [b"\x01\x00" * 10]
    assert rechunker.feed(b"\x02\x00" * 1000) == []
    assert rechunker.feed(b"\x03\x00" * 24) == [b"\x02\x00" * 1000 + b"\x03\x00" * 24]


@given(st.binary(max_size=3000))
def test_mulaw_decode_matches_reference_encoder(data: bytes) -> None:
    decoded = mulaw_decode(data)
    assert len(decoded) == 2 * len(data)
    # Encoding what we decoded gives the same codes back (0x7F/0xFF both mean zero).
    assert fake_mulaw_encode(decoded) == mulaw_encode(decoded)
    normalise = bytes(0xFF if byte == 0x7F else byte for byte in data)
    assert bytes(0xFF if b == 0x7F else b for b in mulaw_encode(decoded)) == normalise


def test_mulaw_known_values() -> None:
    assert struct.unpack("<4h", mulaw_decode(bytes([0xFF, 0x7F, 0x00, 0x80]))) == (
        0,
        0,
        -32124,
        32124,
    )


@given(
    st.sampled_from([8000, 16000, 22050, 24000, 44100]),
    st.integers(min_value=1, max_value=2),
    pcm_bytes,
    cut_lists,
)
def test_stream_decoder_strips_streaming_wav_header(
    rate: int, channels: int, pcm: bytes, cuts: list[int]
) -> None:
    pcm = pcm[: len(pcm) - len(pcm) % (2 * channels)]
    stream = wav_header_streaming(rate, channels=channels) + pcm
    decoder = PcmStreamDecoder(AudioFormat(16000))
    out = b"".join(decoder.feed(frame) for frame in _split(stream, cuts)) + decoder.flush()
    assert out == pcm
    if pcm:
        assert decoder.format == AudioFormat(rate, 2, channels)


@given(pcm_bytes, cut_lists)
def test_stream_decoder_without_header_is_16k_pcm(pcm: bytes, cuts: list[int]) -> None:
    decoder = PcmStreamDecoder(AudioFormat(16000))
    out = b"".join(decoder.feed(frame) for frame in _split(pcm, cuts)) + decoder.flush()
    assert out == pcm
    assert decoder.format == AudioFormat(16000)


@given(st.binary(max_size=2000), cut_lists)
def test_stream_decoder_mulaw_conserves_samples(data: bytes, cuts: list[int]) -> None:
    decoder = PcmStreamDecoder(AudioFormat(8000), mulaw=True)
    out = b"".join(decoder.feed(frame) for frame in _split(data, cuts)) + decoder.flush()
    assert out == mulaw_decode(data)
    assert decoder.format == AudioFormat(8000)


def test_wav_header_round_trip() -> None:
    fmt = AudioFormat(24000)
    header = wav_header(fmt, frames=10)
    parsed = parse_wav_header(header + b"\x00" * 20)
    assert parsed is not None
    assert parsed.format == fmt
    assert parsed.data_offset == 44
    assert parse_wav_header(header[:30]) is None


def test_resample_keeps_duration_and_signal() -> None:
    tone = (np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000) * 10000).astype("<i2")
    out = np.frombuffer(resample(tone.tobytes(), 16000, 22050), dtype="<i2")
    assert len(out) == 22050
    assert 9000 < np.abs(out).max() <= 10001
    assert resample(b"", 16000, 8000) == b""
    assert resample(tone.tobytes(), 16000, 16000) == tone.tobytes()
