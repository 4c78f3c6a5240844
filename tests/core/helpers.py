"""Shared helpers for driving provider clients in tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

from custom_components.arabic_tts.core.audio import AudioFormat, PcmChunk


async def collect(stream: AsyncGenerator[PcmChunk]) -> tuple[set[AudioFormat], bytes, list[int]]:
    """Drain a synthesis stream: formats seen, all PCM, and each chunk's size."""
    formats: set[AudioFormat] = set()
    sizes: list[int] = []
    pcm = bytearray()
    async with contextlib.aclosing(stream):
        async for chunk in stream:
            formats.add(chunk.format)
            sizes.append(len(chunk.pcm))
            pcm += chunk.pcm
    return formats, bytes(pcm), sizes
