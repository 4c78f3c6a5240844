"""Shared helpers for driving provider clients in tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
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


def cpu_seconds(work: Callable[[], object]) -> float:
    """The least CPU time of three runs of ``work`` (the least is the one least disturbed).

    For tests that compare two amounts of work as a ratio: process time counts this
    process only, so a busy machine changes little, and a ratio none of the machine's speed.
    """
    times = []
    for _ in range(3):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return max(min(times), 1e-4)
