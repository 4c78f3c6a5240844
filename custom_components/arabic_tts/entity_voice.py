"""Another text-to-speech entity as the fallback voice, reached through Home Assistant.

When an entry's provider is late or fails, the core's fallback chain (core/fallback.py)
hands the piece of text to the next voice. In Home Assistant that voice is any TTS entity
the user chose in the entry's options: the other provider's entry of this integration,
Google Translate, Home Assistant Cloud, a Piper or Wyoming voice.

It is called the way Home Assistant's own pipeline calls an engine: a result stream
(``tts.async_create_stream``) that asks for WAV, mono 16-bit, at the reply's own rate.
Home Assistant converts whatever the engine makes (MP3 from Google Translate, WAV at
another rate) with its ffmpeg manager, in a separate process: nothing is decoded or
resampled on the event loop. The audio arrives as a WAV stream and leaves here as the
core's PCM chunks, so the chain cannot tell it from a provider's.

An entry called as another entry's fallback never falls back itself (two entries that
name each other would otherwise ask each other forever): ``serving_as_fallback`` is true
inside such a call. Home Assistant generates the audio in a task it creates inside
``async_set_message``, and a task starts with a copy of the caller's context, so the
flag reaches the other entity's code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from contextvars import ContextVar

from homeassistant.components import tts
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import language as language_util

from .core.audio import AudioFormat, PcmChunk, SampleAligner, parse_wav_header
from .core.errors import ProviderError, ProviderTimeout, ProviderUnavailable
from .core.fallback import FallbackVoice
from .core.frontend.offload import run_text_step

_SERVING_AS_FALLBACK: ContextVar[bool] = ContextVar("arabic_tts_serving_as_fallback", default=False)

# A WAV header longer than this is not one we can read (HA's own limit is similar).
MAX_HEADER_BYTES = 4096


def serving_as_fallback() -> bool:
    """True while this code runs for another entity that fell back on it."""
    return _SERVING_AS_FALLBACK.get()


def can_speak(hass: HomeAssistant, entity_id: str) -> bool:
    """Whether the entity exists and is not unavailable: a fallback that cannot speak
    must not cut the provider off at the deadline (late speech beats none)."""
    state = hass.states.get(entity_id)
    return (
        get_engine_instance(hass, entity_id) is not None
        and state is not None
        and state.state != STATE_UNAVAILABLE
    )


def entity_voice(
    hass: HomeAssistant,
    entity_id: str,
    language: str,
    *,
    rate: int,
    gap_timeout: float,
    respell: Callable[[str], str] | None = None,
) -> FallbackVoice:
    """A voice for the fallback chain that speaks through the TTS entity ``entity_id``.

    ``language``: the request's (the entity's closest match is used, else its default);
    ``rate``: the reply's sample rate; ``gap_timeout``: the longest wait for more audio
    (it is the last voice in line, so no deadline of the chain bounds it); ``respell``:
    the entry's pronunciation lexicon, which the user wants from every voice (the other
    text steps were chosen for this entry's provider, not for the fallback).
    """

    async def speak(text: str) -> AsyncGenerator[PcmChunk]:
        if respell is not None:
            text = await run_text_step(respell, text)
        stream = _start(hass, entity_id, language, rate, text)
        reader = _WavReader(entity_id)
        result = stream.async_stream_result()
        async with contextlib.aclosing(result):
            while True:
                try:
                    async with asyncio.timeout(gap_timeout):
                        data = await anext(result)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise ProviderTimeout(
                        f"The fallback voice {entity_id} sent no audio for {gap_timeout:g} s."
                    ) from None
                # Whatever the other engine (or Home Assistant's conversion) raised: it is
                # not ours to understand, only to report as that voice's failure.
                except Exception as err:
                    raise ProviderError(
                        f"The fallback voice {entity_id} could not speak: "
                        f"{err or type(err).__name__}"
                    ) from err
                if chunk := reader.feed(data):
                    yield chunk
        reader.finish()

    return FallbackVoice(entity_id, speak)


def _start(
    hass: HomeAssistant, entity_id: str, language: str, rate: int, text: str
) -> tts.ResultStream:
    """Ask Home Assistant for the other entity's speech of ``text`` as a WAV stream."""
    engine = get_engine_instance(hass, entity_id)
    if engine is None:
        raise ProviderUnavailable(
            f"The fallback voice {entity_id} does not exist or is not loaded "
            "(choose another one in the integration's options)."
        )
    matches = language_util.matches(language, engine.supported_languages or [])
    options = {
        tts.ATTR_PREFERRED_FORMAT: "wav",
        tts.ATTR_PREFERRED_SAMPLE_RATE: rate,
        tts.ATTR_PREFERRED_SAMPLE_CHANNELS: 1,
        tts.ATTR_PREFERRED_SAMPLE_BYTES: 2,
    }
    token = _SERVING_AS_FALLBACK.set(True)
    try:
        stream = tts.async_create_stream(hass, entity_id, matches[0] if matches else None, options)
        # The splitter's trailing space is not part of the message (nor of its cache key).
        stream.async_set_message(text.strip())
    except Exception as err:  # the other engine refused the request: its failure
        raise ProviderError(
            f"The fallback voice {entity_id} refused the request: {err or type(err).__name__}"
        ) from err
    finally:
        _SERVING_AS_FALLBACK.reset(token)
    return stream


class _WavReader:
    """A WAV byte stream as sample-aligned PCM chunks (mono 16-bit, any rate)."""

    def __init__(self, entity_id: str) -> None:
        self._entity_id = entity_id
        self._head = b""
        self._format: AudioFormat | None = None
        self._aligner = SampleAligner()

    def feed(self, data: bytes) -> PcmChunk | None:
        """The whole samples ``data`` completes (None while the header is incomplete)."""
        if self._format is None:
            self._head += data
            try:
                header = parse_wav_header(self._head)
            except ValueError as err:
                raise self._unreadable(str(err)) from None
            if header is None:
                if len(self._head) > MAX_HEADER_BYTES:
                    raise self._unreadable("no audio after a long header")
                return None
            if header.format.channels != 1:
                raise self._unreadable(f"{header.format.channels} channels, not one")
            self._format = header.format
            data, self._head = self._head[header.data_offset :], b""
        pcm = self._aligner.feed(data)
        return PcmChunk(self._format, pcm) if pcm else None

    def finish(self) -> None:
        """The stream ended: it must have been a WAV stream."""
        if self._format is None:
            raise self._unreadable("no WAV header")

    def _unreadable(self, why: str) -> ProviderError:
        return ProviderError(
            f"The fallback voice {self._entity_id} sent audio we cannot read ({why})."
        )
