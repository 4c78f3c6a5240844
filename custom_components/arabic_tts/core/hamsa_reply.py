"""One Hamsa request and its reply on one socket: ack, binary audio, ``end`` (or an error).

Hamsa sometimes answers a whole sentence with one 640-byte frame (20 ms) and ``end``. To
retry that invisibly, a reply's first frame is held until the second frame (or ``end``)
shows whether this is the glitch; a first frame that already carries more audio than the
glitch could is sent on at once. So the check never delays the first audio by more than
one provider frame, whatever the frame size.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection

from .audio import AudioFormat, PcmChunk, PcmStreamDecoder
from .errors import ProviderError, TtsError
from .websocket import ClosedError, receive, send_request

PCM_RATE = 16000
MULAW_RATE = 8000
# A reply shorter than this per character of text is the "one 640-byte frame" glitch.
MIN_SECONDS_PER_CHAR = 0.02
# A first frame with at least this much audio (or the whole text's floor) is no glitch
# (the glitch is 20 ms) and is sent on at once; a smaller one waits for the next frame.
HOLD_BELOW_SECONDS = 0.1


def implausibly_short(seconds: float, text: str) -> bool:
    """Whether ``seconds`` of audio is too little for ``text``: Hamsa's one-frame glitch
    (the client retries such a reply; the account probe reports it)."""
    return seconds < len(text) * MIN_SECONDS_PER_CHAR


@dataclass(frozen=True, slots=True)
class HamsaRequest:
    """What goes into one ``tts`` message."""

    text: str
    speaker: str  # a name or an id (catalogue id or cloned voice)
    dialect: str
    mulaw: bool = False

    def message(self) -> str:
        """The JSON text frame."""
        payload = {
            "text": self.text,
            "speaker": self.speaker,
            "dialect": self.dialect,
            "languageId": "ar",
            "mulaw": self.mulaw,
        }
        return json.dumps({"type": "tts", "payload": payload}, ensure_ascii=False)


class ShortReply(Exception):
    """The reply was implausibly short and nothing reached the caller: worth a retry."""

    def __init__(self, error: TtsError) -> None:
        super().__init__(str(error))
        self.error = error


class Aborted(Exception):
    """Hamsa said "TTS stream error: aborted" before any audio: the caller decides what
    it means (an unloaded clone, an id the socket does not take, or a passing fault)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def exchange(
    conn: ClientConnection,
    request: HamsaRequest,
    *,
    provider: str,
    timeout: float,
    closed_error: ClosedError,
    payload_error: Callable[[str], TtsError],
) -> AsyncGenerator[PcmChunk]:
    """Send ``request`` and yield its audio.

    Before any audio left: RetryBeforeAudio (socket closed), ShortReply, Aborted.
    Otherwise the mapped TtsError.
    """
    await send_request(conn, request.message(), closed_error)
    rate = MULAW_RATE if request.mulaw else PCM_RATE
    decoder = PcmStreamDecoder(AudioFormat(rate), mulaw=request.mulaw)
    floor = len(request.text) * MIN_SECONDS_PER_CHAR
    hold_below = min(floor, HOLD_BELOW_SECONDS)
    held: bytes | None = None
    released = False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await receive(
            conn,
            deadline,
            provider=provider,
            timeout=timeout,
            closed_error=closed_error,
            audio_sent=released,
        )
        if isinstance(message, bytes):
            deadline = loop.time() + timeout
            try:
                pcm = decoder.feed(message)
            except ValueError as err:
                raise ProviderError(
                    f"{provider} sent unusable audio ({err}).", provider=provider
                ) from None
            if not pcm:
                continue
            if released:
                yield PcmChunk(decoder.format, pcm)
            elif held is not None:
                # A second frame: not the one-frame glitch.
                released = True
                yield PcmChunk(decoder.format, held + pcm)
                held = None
            elif decoder.format.seconds(len(pcm)) >= hold_below:
                released = True
                yield PcmChunk(decoder.format, pcm)
            else:
                held = pcm
            continue

        kind, payload = parse_message(message)
        if kind == "end":
            tail = decoder.flush()
            if released:
                if tail:
                    yield PcmChunk(decoder.format, tail)
                return
            audio = (held or b"") + tail
            seconds = decoder.format.seconds(len(audio))
            if implausibly_short(seconds, request.text):
                raise ShortReply(
                    ProviderError(
                        f"{provider} returned only {seconds * 1000:.0f} ms of audio for "
                        f"{len(request.text)} characters of text",
                        provider=provider,
                        provider_text=f"{len(audio)} bytes of audio, then end",
                    )
                )
            if audio:
                yield PcmChunk(decoder.format, audio)
            return
        if kind == "error":
            text = str(payload.get("message") or "unknown error")
            if "aborted" in text.lower() and not released:
                raise Aborted(text)
            raise payload_error(text)
        # "info" on connect and "ack" per request carry nothing we need.


def parse_message(message: str) -> tuple[str, dict[str, Any]]:
    """(type, payload) of a JSON text frame; ("unknown", {}) for anything else."""
    try:
        data = json.loads(message)
    except ValueError:
        return "unknown", {}
    if not isinstance(data, dict):
        return "unknown", {}
    payload = data.get("payload")
    return str(data.get("type", "unknown")), payload if isinstance(payload, dict) else {}
