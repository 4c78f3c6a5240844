"""Reading client events with limits: measured before buffered, refused with a reason."""

from __future__ import annotations

import asyncio
import json

import pytest
from arabic_tts_core.errors import BadRequest
from wyoming.event import Event

from wyoming_server.events import printable, read_event

LIMIT = 4096


def stream(data: bytes, *, eof: bool = True) -> asyncio.StreamReader:
    """A reader holding ``data`` (the stream's own 64 KiB limit, like a server's)."""
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def read(data: bytes, *, limit: int = LIMIT, eof: bool = True) -> Event | None:
    async with asyncio.timeout(2):  # a reader that waits for data it refused would hang
        return await read_event(stream(data, eof=eof), limit)


def header(size: int) -> bytes:
    """A describe header line of exactly ``size`` bytes (newline included)."""
    base = b'{"type": "describe", "data": {"pad": ""}}'
    padded = base.replace(b'""', b'"' + b"x" * (size - len(base) - 1) + b'"')
    assert len(padded) + 1 == size
    return padded + b"\n"


async def test_an_event_of_exactly_the_limit_is_read() -> None:
    event = await read(header(LIMIT))
    assert event is not None
    assert event.type == "describe"


async def test_one_byte_more_is_refused() -> None:
    with pytest.raises(BadRequest, match=f"longer than {LIMIT} bytes"):
        await read(header(LIMIT + 1))


async def test_a_header_line_longer_than_the_streams_own_limit_is_read_when_allowed() -> None:
    """wyoming's reader closes silently past 64 KiB; inline data can be that long."""
    text = "ب" * 100_000
    line = json.dumps({"type": "synthesize", "data": {"text": text}}).encode() + b"\n"
    assert len(line) > 2**16
    event = await read(line, limit=1024 * 1024)
    assert event is not None
    assert event.data["text"] == text


async def test_declared_lengths_are_refused_before_waiting_for_the_data() -> None:
    """No data follows and the stream stays open: only refusing up front returns."""
    for key in ("data_length", "payload_length"):
        line = json.dumps({"type": "synthesize", key: 2**31}).encode() + b"\n"
        with pytest.raises(BadRequest, match=f"at most {LIMIT} bytes"):
            await read(line, eof=False)


async def test_header_data_and_payload_count_together() -> None:
    data = json.dumps({"text": "x" * 100}).encode()
    line = json.dumps(
        {"type": "synthesize", "data_length": len(data), "payload_length": LIMIT}
    ).encode()
    with pytest.raises(BadRequest, match="--max-event-bytes"):
        await read(line + b"\n" + data + b"\0" * LIMIT)
    event = await read(line + b"\n" + data + b"\0" * LIMIT, limit=2 * LIMIT)
    assert event is not None
    assert event.payload == b"\0" * LIMIT
    assert event.data == {"text": "x" * 100}


@pytest.mark.parametrize(
    "data",
    [
        b'{"type": "describe"',  # cut inside the header line
        b'{"type": "synthesize", "data_length": 50}\n{"text": ',  # cut inside the data
        b'{"type": "audio-chunk", "payload_length": 9}\n\x00\x00',  # cut inside the payload
        b"",
    ],
)
async def test_a_client_that_leaves_mid_event_is_just_gone(data: bytes) -> None:
    assert await read(data) is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe\n", "not UTF-8"),
        (b"hello\n", "not valid JSON"),
        (b"[1]\n", "must be a JSON object"),
        (b'{"type": ""}\n', '"type" string'),
        (b'{"type": "x", "data": [1]}\n', '"data" must be a JSON object'),
        (b'{"type": "x", "data_length": 1.5}\n', "whole number of bytes"),
        (b'{"type": "x", "data_length": 2}\n[]', "must be a JSON object"),
        (b'{"type": "x", "data": {"t": "\\ud800"}}\n', "not valid Unicode"),
        (b'{"type": "x", "data": {"\\udfff": 1}}\n', "not valid Unicode"),
        (b'{"type": "x", "a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n", "not valid JSON"),
    ],
)
async def test_what_is_not_a_wyoming_event_is_refused_with_a_reason(
    data: bytes, reason: str
) -> None:
    with pytest.raises(BadRequest, match=reason.replace("[", r"\[")):
        await read(data, limit=1024 * 1024)


async def test_a_surrogate_pair_is_text() -> None:
    """Clients that escape every character send emoji as two escapes: that is valid."""
    event = await read(b'{"type": "x", "data": {"t": "\\ud83d\\ude00"}}\n')
    assert event is not None
    assert event.data == {"t": "😀"}


def test_echoed_values_are_printable_and_encodable() -> None:
    assert printable("hamsa-\x00\x1b[31m\udc00") == "hamsa-??[31m?"
    assert printable("همسة سالم") == "همسة سالم"
    printable("\udc00").encode("utf-8")
