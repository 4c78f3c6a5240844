"""One engine's share of the front-end: words, numbers, tashkeel and pauses, then speak.

``EngineText.wrap(speak)`` is a drop-in for a provider's ``speak``: each piece of text (a
whole plain reply, or one streamed sentence) is prepared for this engine and logged at
DEBUG exactly as it goes upstream, then spoken. The user's lexicon, when there is one,
comes first, for every engine and whatever its steps: the user asked for those words.
Pauses (from SSML ``<break>``) become Faseeh's own ``<break time>`` tags, or, for engines
that cannot pause, silence we insert between the pieces around them, in the audio format
the engine just spoke in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Protocol

from ..audio import AudioFormat, PcmChunk
from ..text import has_words
from .offload import run_text_step
from .pauses import has_pauses, split_pauses, to_break_tags
from .policy import TextPolicy
from .tashkeel import Vowelizer
from .verbalize import verbalize

_LOGGER = logging.getLogger(__name__)

Speak = Callable[[str], AsyncGenerator[PcmChunk]]


class Respeller(Protocol):
    """A user lexicon (user_lexicon.UserLexicon, or a holder that reloads one)."""

    def apply(self, text: str) -> str:
        """``text`` with the user's written forms replaced by their spoken forms."""


class EngineText:
    """Prepares text for one engine according to its policy."""

    def __init__(
        self,
        policy: TextPolicy,
        *,
        name: str,
        break_tags: bool = False,
        vowelizer: Vowelizer | None = None,
        lexicon: Respeller | None = None,
    ) -> None:
        self.policy = policy
        self.name = name
        self._break_tags = break_tags
        self._vowelizer = vowelizer if policy.tashkeel else None
        self._lexicon = lexicon

    def prepare(self, text: str) -> str:
        """The user's lexicon, words, numbers and Latin letters (fast, pure Python; pauses
        pass through)."""
        if self._lexicon is not None:
            text = self._lexicon.apply(text)
        return verbalize(
            text,
            numbers=self.policy.numbers,
            words=self.policy.words,
            latin=self.policy.latin,
        )

    def prepare_blocking(self, text: str) -> str:
        """``prepare`` plus tashkeel in the calling thread (for benchmarks and tools)."""
        text = self.prepare(text)
        if self._vowelizer is not None and has_words(text):
            text = self._vowelizer.vowelize(text)
        return text

    async def prepare_async(self, text: str) -> str:
        """``prepare`` (in a thread when the text is long) plus tashkeel, which always runs
        in a worker thread (ONNX inference)."""
        text = await run_text_step(self.prepare, text)
        if self._vowelizer is not None and has_words(text):
            text = await asyncio.to_thread(self._vowelizer.vowelize, text)
        return text

    def wrap(self, speak: Speak) -> Speak:
        """``speak`` with this engine's text preparation in front of it."""

        async def speak_prepared(text: str) -> AsyncGenerator[PcmChunk]:
            prepared = await self.prepare_async(text)
            if self._break_tags or not has_pauses(prepared):
                upstream = to_break_tags(prepared) if self._break_tags else prepared
                _LOGGER.debug("%s: sending %r", self.name, upstream)
                async with contextlib.aclosing(speak(upstream)) as audio:
                    async for chunk in audio:
                        yield chunk
                return
            async with contextlib.aclosing(self._speak_with_silence(prepared, speak)) as audio:
                async for chunk in audio:
                    yield chunk

        return speak_prepared

    async def _speak_with_silence(self, text: str, speak: Speak) -> AsyncGenerator[PcmChunk]:
        """Speak the pieces between pauses; each pause is silence in the engine's format."""
        fmt: AudioFormat | None = None
        owed_ms = 0  # a pause before any audio: its format is not known yet
        for part in split_pauses(text):
            if isinstance(part, int):
                if fmt is None:
                    owed_ms += part
                else:
                    yield silence(fmt, part)
                continue
            if not has_words(part):
                continue
            _LOGGER.debug("%s: sending %r", self.name, part)
            async with contextlib.aclosing(speak(part)) as audio:
                async for chunk in audio:
                    if fmt is None:
                        fmt = chunk.format
                        if owed_ms:
                            yield silence(fmt, owed_ms)
                            owed_ms = 0
                    yield chunk


def silence(fmt: AudioFormat, ms: int) -> PcmChunk:
    """``ms`` milliseconds of silence in ``fmt`` (whole samples)."""
    samples = fmt.rate * ms // 1000
    return PcmChunk(fmt, bytes(samples * fmt.bytes_per_sample))
