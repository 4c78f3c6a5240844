"""A connection that failed lets go of its memory at once, not at the next cyclic GC.

The issue behind this: the read error's traceback kept the handler task's frames (and a
client's buffered bytes) alive until Python's cycle collector happened to run. Here the
collector is off: the handler must be freed by reference counting alone.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable

import pytest
from arabic_tts_core.audio import AudioFormat, PcmChunk
from arabic_tts_core.voices import Voice
from wyoming.event import async_read_event

from wyoming_server.handler import ArabicTtsEventHandler, ServerContext
from wyoming_server.info import build_info
from wyoming_server.limits import ServerLimits
from wyoming_server.voices import VoiceCatalog, VoiceRoute


async def _speak(text: str) -> AsyncGenerator[PcmChunk]:
    await asyncio.sleep(0)
    yield PcmChunk(AudioFormat(16000), b"\0\0" * 1600)


def _context() -> ServerContext:
    voice = Voice("test", "v", "V", "ar", "Test voice", "صوت تجريبي")
    route = VoiceRoute("test-v", voice, _speak)
    catalog = VoiceCatalog([route], route)
    return ServerContext(
        catalog=catalog,
        info_event=build_info(catalog).event(),
        samples_per_chunk=1024,
        limits=ServerLimits(max_event_bytes=1024 * 1024),
    )


@pytest.fixture
def no_cycle_collector() -> AsyncIterator[None]:
    gc.collect()
    gc.disable()
    yield
    gc.enable()


BAD_EVENTS: dict[str, Callable[[], bytes]] = {
    "not-json-800-kb": lambda: b"{" + b"x" * 800_000 + b"\n",
    "header-over-the-limit": lambda: b"x" * 3_000_000,
    "wrong-type-with-800-kb-text": lambda: (
        json.dumps({"type": "synthesize", "data": {"text": "ب" * 400_000, "voice": 1}}).encode()
        + b"\n"
    ),
    "unknown-voice-with-800-kb-text": lambda: (
        json.dumps(
            {"type": "synthesize", "data": {"text": "ب" * 400_000, "voice": {"name": "x"}}}
        ).encode()
        + b"\n"
    ),
}


@pytest.mark.parametrize("bad", BAD_EVENTS)
@pytest.mark.usefixtures("no_cycle_collector")
async def test_a_failed_connection_is_freed_without_the_cycle_collector(bad: str) -> None:
    server_side, client_side = socket.socketpair()
    reader, writer = await asyncio.open_unix_connection(sock=server_side)
    handler = ArabicTtsEventHandler(_context(), reader, writer)
    freed = weakref.ref(handler)
    task = asyncio.create_task(handler.run())
    del handler, reader, writer

    client_reader, client_writer = await asyncio.open_unix_connection(sock=client_side)
    client_writer.write(BAD_EVENTS[bad]())
    async with asyncio.timeout(10):
        event = await async_read_event(client_reader)
        assert event is not None
        assert event.type == "error"
        assert await async_read_event(client_reader) is None  # and closed
    client_writer.close()
    async with asyncio.timeout(10):
        await task
    assert task.exception() is None
    del task
    for _ in range(3):
        await asyncio.sleep(0)  # the loop lets go of its callbacks

    assert freed() is None, gc.get_referrers(freed())
