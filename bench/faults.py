"""First audio under faults (issue 18): the time budget against every way a provider
misbehaves, with the server's default flags, as a new user would run it.

- *Fault rows*: one fresh server per row, the fakes arranged to play one fault (the
  issue's table), then a few requests in a row: the first pays whatever the fault costs,
  the later ones show what the server remembered. For each: time to first audio and to
  the end of the reply (the client's clock), which voice spoke (from the reply's rate:
  Hamsa 16 kHz, Faseeh 24 kHz, the offline voice 22.05 kHz), and any error. The row meets
  the budget when every request started within 1.5 s and ended with audio-stop.
- *20 at once*: twenty simultaneous requests on a healthy Hamsa account whose replies
  stream at 10x real time, on a server warmed up to its default pool: first audio of each,
  the voice that spoke, the 640-byte replies the fake's rate limit caused (it answers a
  connection opened less than 1 s after the previous one with one), and the server's CPU
  per second of audio relayed.
- *Soak*: twenty clients speaking for a while (plain and streamed requests, Hamsa and
  Faseeh voices) while one provider request in ten fails (stops after its ack or mid-reply,
  drops, closes, a 640-byte reply, an internal error): how long after the client's last
  event each reply ends, against --provider-timeout + 3 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from .analysis import summary
from .ipc import Child
from .server import ServerProcess, Usage, free_port
from .texts import TextFactory

HOST = "127.0.0.1"
BUDGET_S = 1.5  # first audio, end to end (design.md)
PROVIDER_TIMEOUT_S = 10.0  # the server's default --provider-timeout
SOAK_LIMIT_S = PROVIDER_TIMEOUT_S + 3.0
REPLY_GUARD = 60.0
WARM_GUARD = 20.0  # Hamsa's second warm socket opens 7 s after the first (its pace)
RATES = {16000: "hamsa", 24000: "faseeh", 22050: "offline"}
HAMSA_VOICE = "hamsa-Salem"
FASEEH_VOICE = "faseeh-ar-najdi-male-2"
TOKEN_INTERVAL = 0.05  # 20 tokens/s: an LLM writing


@dataclass
class Reply:
    """One request as its client saw it (times in seconds from ``t0``)."""

    voice_asked: str
    first_audio: float | None = None
    end: float | None = None
    rate: int | None = None
    error: str | None = None
    audio_bytes: int = 0
    after_last_event: float | None = None  # end minus the client's last event

    @property
    def spoke(self) -> str:
        """Which voice spoke it (from its rate), or "error"."""
        if self.error is not None or self.rate is None:
            return "error"
        return RATES.get(self.rate, f"{self.rate} Hz")

    @property
    def within_budget(self) -> bool:
        """Started within 1.5 s and ended with audio-stop."""
        return self.error is None and self.first_audio is not None and self.first_audio <= BUDGET_S


async def plain(port: int, text: str, voice: str) -> Reply:
    """A ``synthesize`` on its own connection, read to audio-stop (or error)."""
    reply = Reply(voice)
    async with AsyncTcpClient(HOST, port) as client:
        t0 = time.monotonic()
        await client.write_event(Synthesize(text=text, voice=SynthesizeVoice(name=voice)).event())
        last_event = time.monotonic()
        await _read(client, reply, t0, AudioStop().event().type)
    if reply.end is not None:
        reply.after_last_event = reply.end + t0 - last_event
    return reply


async def streamed(port: int, sentences: list[str], voice: str) -> Reply:
    """Home Assistant's streaming sequence, one word every 50 ms; times from the moment
    the first sentence was complete (before it, no voice could have spoken)."""
    reply = Reply(voice)
    tokens = [
        (" " if i or j else "") + word + ("." if j == len(s.split()) - 1 else "")
        for i, s in enumerate(sentences)
        for j, word in enumerate(s.split())
    ]
    first_end = len(sentences[0].split()) - 1
    async with AsyncTcpClient(HOST, port) as client:
        await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name=voice)).event())
        t0 = reply_t0 = time.monotonic()
        reading = asyncio.create_task(_read(client, reply, t0, SynthesizeStopped().event().type))
        try:
            for index, token in enumerate(tokens):
                await client.write_event(SynthesizeChunk(text=token).event())
                if index == first_end:
                    reply_t0 = time.monotonic()
                await asyncio.sleep(TOKEN_INTERVAL)
            await client.write_event(SynthesizeStop().event())
            last_event = time.monotonic()
            await reading
        finally:
            if not reading.done():
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
    shift = reply_t0 - t0
    if reply.first_audio is not None:
        reply.first_audio -= shift
    if reply.end is not None:
        reply.after_last_event = reply.end + t0 - last_event
        reply.end -= shift
    return reply


async def _read(client: AsyncTcpClient, reply: Reply, t0: float, until: str) -> None:
    try:
        async with asyncio.timeout(REPLY_GUARD):
            while True:
                event = await client.read_event()
                now = time.monotonic() - t0
                if event is None:
                    reply.error = reply.error or "connection closed"
                    reply.end = now
                    return
                if AudioStart.is_type(event.type):
                    reply.rate = AudioStart.from_event(event).rate
                elif AudioChunk.is_type(event.type):
                    if reply.first_audio is None:
                        reply.first_audio = now
                    reply.audio_bytes += len(event.payload or b"")
                elif Error.is_type(event.type):
                    error = Error.from_event(event)
                    reply.error = f"{error.code}: {error.text}"
                    reply.end = now
                    return
                if event.type == until:
                    reply.end = now
                    return
    except TimeoutError:
        reply.error = f"no end within {REPLY_GUARD:g} s"


# --- the rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One fault: how the fakes misbehave, where the server is pointed, what is asked."""

    key: str
    label: str
    voice: str
    plan: dict[str, Any] = field(default_factory=dict)
    # Address overrides: "hole" (accepts TCP, never answers), "closed" (refused).
    urls: dict[str, str] = field(default_factory=dict)
    streaming: bool = False


def _repeat(fault: dict[str, Any], times: int = 50) -> list[dict[str, Any]]:
    return [fault] * times


ROWS = (
    Row("healthy", "Healthy (Hamsa)", HAMSA_VOICE),
    Row(
        "refused",
        "Refused address (Hamsa's socket and REST)",
        HAMSA_VOICE,
        urls={"hamsa_ws": "closed", "hamsa_api": "closed"},
    ),
    Row(
        "glitch",
        "640-byte reply (Hamsa)",
        HAMSA_VOICE,
        plan={"hamsa_socket_faults": [{"kind": "short_reply"}]},
    ),
    Row(
        "hamsa_ack_silent",
        "Hamsa acks, then sends nothing",
        HAMSA_VOICE,
        plan={"hamsa_socket_faults": _repeat({"kind": "stall_after_bytes", "n": 0})},
    ),
    Row(
        "hamsa_black_hole",
        "Hamsa's address accepts TCP, never answers the handshake",
        HAMSA_VOICE,
        urls={"hamsa_ws": "hole_hamsa_ws", "hamsa_api": "hole_http"},
    ),
    Row(
        "faseeh_silent",
        "Faseeh's socket takes text, never speaks (REST works)",
        FASEEH_VOICE,
        plan={"faseeh_silent_socket": True},
    ),
    Row(
        "faseeh_black_hole",
        "Faseeh's socket address never answers the handshake (REST works)",
        FASEEH_VOICE,
        urls={"faseeh_ws": "hole_faseeh_ws"},
    ),
    Row(
        "stream_hamsa_stalls",
        "A streamed LLM answer while Hamsa stalls (from the first complete sentence)",
        HAMSA_VOICE,
        plan={"hamsa_socket_faults": _repeat({"kind": "stall_after_bytes", "n": 0})},
        streaming=True,
    ),
)


@dataclass
class FaultBench:
    """Runs the rows, the burst and the soak against a fake host (bench/fake_host.py)."""

    fakes: Child
    out: Path
    texts: TextFactory
    log: Callable[[str], None]
    requests_per_row: int = 3
    tree: Path | None = None  # another checkout's server (A/B)
    soak_seconds: float = 60.0
    burst: int = 20
    burst_chars: int = 150  # 3 s of audio: 0.3 s per reply at 10x real time

    async def server(self, urls: dict[str, str] | None = None) -> ServerProcess:
        """A fresh server with default flags; addresses as the row says."""
        hello = self.fakes.hello
        where: dict[str, str] = {}
        closed = f"http://{HOST}:{free_port()}"
        for key, place in (urls or {}).items():
            if place == "closed":
                where[key] = closed.replace("http", "ws") if key.endswith("_ws") else closed
            else:
                where[key] = hello[place]
        server = await ServerProcess.start(
            hello, self.out / "faults-server.log", 1024, defaults=True, urls=where, tree=self.tree
        )
        await server.wait_ready()
        return server

    async def warm(self, hamsa: int, faseeh: int) -> None:
        """Wait (bounded) until this server holds this many open sockets at the fakes."""
        deadline = time.monotonic() + WARM_GUARD
        while time.monotonic() < deadline:
            counts = (await self.fakes.call("stats"))["open_since_reset"]
            if counts["hamsa"] >= hamsa and counts["faseeh"] >= faseeh:
                return
            await asyncio.sleep(0.05)

    async def rows(self) -> list[dict[str, Any]]:
        """Every fault row: a fresh server each, ``requests_per_row`` requests in a row."""
        results = []
        for row in ROWS:
            self.log(f"first audio under faults: {row.label}")
            await self.fakes.call("arrange", plan={"rate_limit": True, **row.plan})
            server = await self.server(row.urls)
            try:
                # What start-up warms: Hamsa's first socket, Faseeh's socket (if reachable).
                await self.warm(
                    0 if "hamsa_ws" in row.urls else 1, 0 if "faseeh_ws" in row.urls else 1
                )
                replies = [await self._one(server.port, row) for _ in range(self.requests_per_row)]
                stats = await self.fakes.call("stats")
            finally:
                await server.stop()
            results.append(_row_result(row.key, row.label, replies, stats))
        await self.fakes.call("reset")
        return results

    async def _one(self, port: int, row: Row) -> Reply:
        if row.streaming:
            sentences = [self.texts.text(40).rstrip("."), self.texts.text(40).rstrip(".")]
            return await streamed(port, sentences, row.voice)
        return await plain(port, self.texts.text(40), row.voice)

    async def at_once(self) -> dict[str, Any]:
        """``burst`` simultaneous requests on a healthy, warmed-up Hamsa account at 10x
        real time; then the same burst again (the pool has not grown: still the budget)."""
        self.log(f"{self.burst} requests at once (Hamsa healthy, 10x real time)")
        await self.fakes.call("arrange", plan={"rate_limit": True})
        await self.fakes.call("pace", realtime_factor=10.0)
        server = await self.server()
        bursts = []
        try:
            await self.warm(2, 1)  # the default pool: two sockets, 7 s apart
            for _ in range(2):
                texts = [self.texts.text(self.burst_chars) for _ in range(self.burst)]
                async with Usage(server.pid) as usage:
                    replies = await asyncio.gather(
                        *(plain(server.port, text, HAMSA_VOICE) for text in texts)
                    )
                audio = sum(r.audio_bytes for r in replies if r.error is None) / 32000
                bursts.append(
                    {
                        **_row_result("at_once", "", replies, await self.fakes.call("stats")),
                        "audio_s": round(audio, 1),
                        "cpu_s": round(usage.cpu_seconds, 3),
                        "audio_s_per_cpu_s": round(audio / usage.cpu_seconds, 1)
                        if usage.cpu_seconds > 0
                        else None,
                    }
                )
                await self.fakes.call("arrange", plan={"rate_limit": True})
                await asyncio.sleep(1.0)
        finally:
            await server.stop()
            await self.fakes.call("reset")
        return {"streams": self.burst, "text_chars": self.burst_chars, "bursts": bursts}

    async def soak(self, clients: int = 20, share: float = 0.1) -> dict[str, Any]:
        """``clients`` clients speaking for ``soak_seconds`` while ``share`` of provider
        requests fail: how long after its client's last event each reply ends."""
        self.log(f"soak: {clients} clients, {share:.0%} upstream faults, {self.soak_seconds:g} s")
        await self.fakes.call("arrange", plan={"rate_limit": True, "random_faults": share})
        server = await self.server()
        rng = random.Random(18)
        replies: list[Reply] = []
        try:
            await self.warm(1, 1)
            stop_at = time.monotonic() + self.soak_seconds

            async def client(number: int) -> None:
                voice = HAMSA_VOICE if number % 2 else FASEEH_VOICE
                while time.monotonic() < stop_at:
                    if rng.random() < 0.3:
                        sentences = [self.texts.text(40).rstrip("."), self.texts.text(60)]
                        replies.append(await streamed(server.port, sentences, voice))
                    else:
                        replies.append(await plain(server.port, self.texts.text(60), voice))
                    await asyncio.sleep(rng.uniform(0.0, 0.5))

            await _gather(client(n) for n in range(clients))
            stats = await self.fakes.call("stats")
        finally:
            await server.stop()
            await self.fakes.call("reset")
        ends = [r.after_last_event for r in replies if r.after_last_event is not None]
        late = [e for e in ends if e > SOAK_LIMIT_S]
        return {
            "clients": clients,
            "fault_share": share,
            "seconds": self.soak_seconds,
            "replies": len(replies),
            "errors": sum(r.error is not None for r in replies),
            "error_samples": sorted({r.error for r in replies if r.error})[:5],
            "spoken_by": _count(r.spoke for r in replies),
            "end_after_last_event": summary(ends, scale=1.0),
            "max_end_after_last_event_s": round(max(ends), 2) if ends else None,
            "limit_s": SOAK_LIMIT_S,
            "over_limit": len(late),
            "first_audio": summary(
                [r.first_audio for r in replies if r.first_audio is not None], scale=1.0
            ),
            "over_budget": sum(not r.within_budget for r in replies),
            "fakes": stats,
        }


async def _gather(coroutines: Any) -> None:
    await asyncio.gather(*coroutines)


def _count(names: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return counts


def _row_result(
    key: str, label: str, replies: list[Reply], stats: dict[str, Any]
) -> dict[str, Any]:
    firsts = [r.first_audio for r in replies]
    return {
        "key": key,
        "label": label,
        "voice_asked": replies[0].voice_asked if replies else None,
        "first_audio_s": [None if f is None else round(f, 3) for f in firsts],
        "end_s": [None if r.end is None else round(r.end, 3) for r in replies],
        "spoken_by": [r.spoke for r in replies],
        "errors": [r.error for r in replies if r.error],
        "met": all(r.within_budget for r in replies),
        "first_audio": summary([f for f in firsts if f is not None], scale=1.0),
        "fakes": stats,
    }


__all__ = ["ROWS", "FaultBench", "Row", "plain", "streamed"]
