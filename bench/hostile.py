"""Figures for hostile or careless clients: does one client's request slow everyone else?

- *Describe under a long text*: one client has a 100,000-character text spoken while
  another sends Describe (a new connection every 10 ms, whether or not the last was
  answered, as Home Assistant's checks arrive), so a server that holds its loop shows
  up as a stretch of slow Describes, not as one slow sample.
- *Slow reader*: a client asks for a long reply and reads none of it (a receive buffer
  of 4 KB, never read), with the fake provider unpaced so the reply is ready at once; the
  server's RSS is sampled until the client leaves. Its high-water mark is what such a
  client costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
from typing import Any

from wyoming.event import Event, async_read_event, async_write_event, write_event
from wyoming.tts import Synthesize, SynthesizeVoice

from .analysis import summary
from .server import Usage
from .wyoming_client import HOST, describe_rtt

DESCRIBE_INTERVAL = 0.01
MB = 1024 * 1024


def long_text(chars: int) -> str:
    """Ordinary Arabic sentences, exactly ``chars`` long."""
    sentence = "مرحبا بكم في البيت الذكي. كيف يمكنني مساعدتكم اليوم في المطبخ؟ "
    return (sentence * (chars // len(sentence) + 1))[:chars]


async def describe_under_long_text(
    port: int, voice: str, text_chars: int, rounds: int
) -> dict[str, Any]:
    """Describe round trips from one client while another's long text is spoken."""
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 24)
    audio_bytes = 0
    errors: list[str] = []

    async def listen() -> None:
        nonlocal audio_bytes
        while (event := await async_read_event(reader)) is not None:
            audio_bytes += len(event.payload or b"")
            if event.type == "error":
                errors.append(str(event.data.get("text")))
                return

    listening = asyncio.create_task(listen())
    probes: list[asyncio.Task[float]] = []
    try:
        await async_write_event(
            Synthesize(text=long_text(text_chars), voice=SynthesizeVoice(name=voice)).event(),
            writer,
        )
        for _ in range(rounds):
            probes.append(asyncio.create_task(describe_rtt(port)))
            await asyncio.sleep(DESCRIBE_INTERVAL)
        results = await asyncio.gather(*probes, return_exceptions=True)
    finally:
        for task in (*probes, listening):
            task.cancel()
        await asyncio.gather(*probes, listening, return_exceptions=True)
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    rtts = [r for r in results if isinstance(r, float)]
    failed = [repr(r) for r in results if not isinstance(r, float)]
    return {
        "text_chars": text_chars,
        "ours": summary(rtts),
        "max_ms": round(max(rtts) * 1000, 2) if rtts else None,
        "describe_failures": failed[:5],
        "long_reply_audio_mb": round(audio_bytes / MB, 2),
        "long_reply_errors": errors,
    }


async def slow_reader(
    port: int, pid: int, voice: str, text_chars: int, seconds: float
) -> dict[str, Any]:
    """RSS of the server (process ``pid``) while a client reads nothing of a long reply."""
    usage = Usage(pid)
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.sleep(0.3)
    before = usage.rss()
    try:
        await loop.sock_connect(sock, (HOST, port))
        request = Synthesize(text=long_text(text_chars), voice=SynthesizeVoice(name=voice))
        await loop.sock_sendall(sock, _encode(request.event()))
        async with usage:
            await asyncio.sleep(seconds)
    finally:
        sock.close()
    await asyncio.sleep(0.5)
    after = usage.rss()
    return {
        "text_chars": text_chars,
        "audio_requested_mb": round(text_chars * 0.02 * 32000 / MB, 1),  # fakes: 20 ms/char
        "window_s": seconds,
        "rss_before_mb": round(before / MB, 2),
        "rss_peak_mb": round(usage.rss_peak / MB, 2),
        "rss_after_mb": round(after / MB, 2),
        "high_water_mb": round((usage.rss_peak - before) / MB, 2),
    }


def _encode(event: Event) -> bytes:
    buffer = io.BytesIO()
    write_event(event, buffer)
    return buffer.getvalue()
