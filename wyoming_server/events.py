"""Reading client events without trusting them: sizes, JSON, types and text are checked.

``wyoming.event.async_read_event`` believes a header's ``data_length`` and
``payload_length`` (a client announcing 2 GB gets 2 GB buffered), lets a header line that
is not a JSON object or lacks ``type`` raise out of the connection task, and reads header
lines with the stream's 64 KiB limit, closing silently past it. Here every event is
measured before it is buffered, and anything malformed becomes a ``BadRequest`` with a
sentence the client can act on: the handler answers it with a ``bad_request`` error event
and closes, like any other failed request.

The request fields the server uses (text, voice) are checked for their JSON types here
too, so a wrongly typed field is the client's ``bad_request``, never a crash reported as
the provider's fault.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

from arabic_tts_core.errors import BadRequest
from arabic_tts_core.text import has_words
from wyoming.event import Event, write_event
from wyoming.tts import Synthesize, SynthesizeStart

HEADER_END = b"\n"
# How much of a client's value an error message repeats.
ECHO_CHARS = 64


async def read_event(reader: asyncio.StreamReader, max_bytes: int) -> Event | None:
    """The next event, or None when the client closed (also mid-event).

    Raises ``BadRequest`` for an event larger than ``max_bytes`` (header line, data and
    payload together) before reading its data or payload, and for anything that is not
    a Wyoming event.
    """
    try:
        line = await _read_header_line(reader, max_bytes)
        if line is None:
            return None
        header = _json_object(line, "The event header")
        event_type = header.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise BadRequest('An event header needs a "type" string, e.g. {"type": "describe"}.')
        data_length = _length(header, "data_length")
        payload_length = _length(header, "payload_length")
        size = len(line) + data_length + payload_length
        if size > max_bytes:
            raise BadRequest(
                f"The {echo(event_type)} event is {size} bytes; this server accepts events "
                f"of at most {max_bytes} bytes (--max-event-bytes)."
            )
        data = header.get("data")
        if data is None:
            data = {}
        elif not isinstance(data, dict):
            raise BadRequest('An event\'s "data" must be a JSON object.')
        if data_length:
            data.update(_json_object(await reader.readexactly(data_length), "The event data"))
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        return None  # the client left in the middle of an event: nobody to answer
    return Event(type=event_type, data=data, payload=payload)


async def _read_header_line(reader: asyncio.StreamReader, max_bytes: int) -> bytes | None:
    """One header line, refused as soon as it outgrows ``max_bytes``.

    The stream's own limit (64 KiB) only decides how much is looked at per step; a
    longer line is taken in steps, so a line up to ``max_bytes`` is accepted and a
    longer one is never buffered beyond ``max_bytes`` plus one step.
    """
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            part = await reader.readuntil(HEADER_END)
        except asyncio.LimitOverrunError as err:
            part = await reader.readexactly(err.consumed)
        except asyncio.IncompleteReadError as err:
            if err.partial or parts:
                raise  # cut off in the middle of a header line
            return None
        size += len(part)
        if size > max_bytes:
            raise BadRequest(
                f"An event header line is longer than {max_bytes} bytes "
                "(--max-event-bytes); is this a Wyoming client?"
            )
        parts.append(part)
        if part.endswith(HEADER_END):
            return parts[0] if len(parts) == 1 else b"".join(parts)


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    """Strict UTF-8 JSON object whose strings are all valid Unicode."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(f"{what} is not UTF-8 text.") from None
    except (ValueError, RecursionError):
        raise BadRequest(f"{what} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object.")
    if b"\\u" in raw:  # a lone surrogate can only come from a \u escape
        _check_unicode(value, what)
    return value


def _check_unicode(value: Any, what: str) -> None:
    """Refuse a string that cannot be encoded (``"\\udc00"`` is valid JSON, not text)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest(
                    f"{what} contains a string that is not valid Unicode text "
                    "(an unpaired surrogate such as \\udc00)."
                ) from None
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _length(header: dict[str, Any], key: str) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f'"{key}" must be a whole number of bytes, not {echo(value)}.')
    return value


# --- requests ---------------------------------------------------------------------------


def synthesize_request(event: Event, max_text_chars: int) -> Synthesize:
    """A ``synthesize`` whose text and voice have the right types and something to say."""
    text = _string_field(event.data, "text", "synthesize")
    check_text_length(len(text), max_text_chars)
    if not text.strip():
        raise BadRequest("There is no text to speak.")
    if not has_words(text):
        raise BadRequest(
            "There is nothing to speak in this text: it has no letters or digits "
            "(only punctuation, symbols or emoji)."
        )
    _check_common_fields(event.data, "synthesize")
    return Synthesize.from_event(event)


def synthesize_start_request(event: Event) -> SynthesizeStart:
    """A ``synthesize-start`` whose voice has the right types."""
    _check_common_fields(event.data, "synthesize-start")
    return SynthesizeStart.from_event(event)


def chunk_text(event: Event) -> str:
    """The text of a ``synthesize-chunk``."""
    return _string_field(event.data, "text", "synthesize-chunk")


def check_text_length(chars: int, max_text_chars: int) -> None:
    """Refuse a request whose text is longer than the server takes."""
    if chars > max_text_chars:
        raise BadRequest(
            f"The text is {chars} characters long; this server speaks at most "
            f"{max_text_chars} characters per request (--max-text-chars). Split it into "
            "several requests."
        )


def _check_common_fields(data: dict[str, Any], event_type: str) -> None:
    voice = data.get("voice", {})
    if not isinstance(voice, dict):
        raise BadRequest(
            f'The {event_type} event\'s "voice" must be an object such as '
            '{"name": "hamsa-Salem"}, not ' + echo(voice) + "."
        )
    for key in ("name", "language", "speaker"):
        if key in voice and not isinstance(voice[key], str):
            raise BadRequest(
                f'The {event_type} event\'s voice "{key}" must be a string, not {echo(voice[key])}.'
            )
    text_format = data.get("text_format")
    if text_format is not None and not isinstance(text_format, str):
        raise BadRequest(f'The {event_type} event\'s "text_format" must be a string.')


def _string_field(data: dict[str, Any], key: str, event_type: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        missing = key not in data
        raise BadRequest(
            f'The {event_type} event needs "{key}" as a string'
            + ("." if missing else f", not {echo(value)}.")
        )
    return value


def echo(value: Any) -> str:
    """A client's value, safe to repeat in a message: short, printable, encodable."""
    if isinstance(value, str):
        return "'" + printable(value[:ECHO_CHARS]) + ("…" if len(value) > ECHO_CHARS else "") + "'"
    return printable(json.dumps(value)[:ECHO_CHARS])


def printable(text: str) -> str:
    """Text that can go into a log line and a JSON event: control characters and
    unpaired surrogates (which cannot be encoded) become "?"."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else "?" for char in text)


def encode_event(event: Event) -> bytes:
    """``event`` exactly as ``wyoming`` writes it, for answers that never change."""
    buffer = io.BytesIO()
    write_event(event, buffer)
    return buffer.getvalue()
