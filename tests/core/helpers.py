"""Shared helpers for driving provider clients in tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable

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


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for something a client or fake does in the background (bounded only against a
    hang: a slow, busy machine may take seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)
