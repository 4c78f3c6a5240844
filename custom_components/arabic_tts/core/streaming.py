"""Speak text that is still being written: sentence by sentence, audio while text arrives."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterable, Callable

from .audio import PcmChunk
from .text import has_words, stream_sentences

Speak = Callable[[str], AsyncGenerator[PcmChunk]]


async def synthesize_stream(
    text_chunks: AsyncIterable[str], speak: Speak, *, min_chars: int = 0, min_words: int = 0
) -> AsyncGenerator[PcmChunk]:
    """Send each sentence upstream as soon as it is complete and relay its audio.

    ``speak`` is a provider's ``synthesize`` bound to a voice. Sentences are spoken one
    after another on the provider's warm socket; text that arrives meanwhile waits in the
    splitter, so nothing is spoken twice and nothing is dropped.
    """
    sentences = stream_sentences(text_chunks, min_chars=min_chars, min_words=min_words)
    async with contextlib.aclosing(sentences):
        async for sentence in sentences:
            if not has_words(sentence):
                continue  # e.g. the tail of an ellipsis: nothing to say
            audio = speak(sentence)
            async with contextlib.aclosing(audio):
                async for chunk in audio:
                    yield chunk
