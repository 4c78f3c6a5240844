"""One benchmark run: every scenario, ours beside the floor, in a fixed order."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from . import frontend, hostile
from . import wyoming_client as wy
from .analysis import (
    FakeLog,
    added_first_audio,
    chunk_latencies,
    late_chunks,
    legs,
    ratio,
    summary,
)
from .config import BenchConfig
from .direct import HAMSA_BYTES_PER_SECOND
from .faults import FaultBench
from .ipc import Child
from .server import REPO_ROOT, ServerProcess, Usage
from .texts import TextFactory
from .trace import Trace

VOICES = {"hamsa": "hamsa-Salem", "faseeh": "faseeh-ar-najdi-male-2"}
PROVIDERS = ("hamsa", "faseeh")
FASEEH_REST = "faseeh_rest"  # Faseeh over REST streaming (warm figures only)
HA_GUARD = 240.0
MB = 1024 * 1024

Samples = dict[str, list[float]]


class Runner:
    """Holds the helper processes and collects figures and raw samples for the plot."""

    def __init__(self, config: BenchConfig, out: Path) -> None:
        self.config = config
        self.out = out
        self.texts = TextFactory()
        self.results: dict[str, Any] = {}
        self.samples: dict[str, Samples] = {}
        self.fakes: Child | None = None
        self.floor: Child | None = None
        self.server: ServerProcess | None = None
        self.rng = random.Random(6)
        self._started = time.monotonic()

    # --- plumbing ------------------------------------------------------------------------

    @property
    def _fakes(self) -> Child:
        assert self.fakes is not None
        return self.fakes

    @property
    def _floor(self) -> Child:
        assert self.floor is not None
        return self.floor

    @property
    def _server(self) -> ServerProcess:
        assert self.server is not None
        return self.server

    def log(self, message: str) -> None:
        """Progress on stderr (stdout carries the table)."""
        elapsed = time.monotonic() - self._started
        print(f"[bench {elapsed:5.1f} s] {message}", file=sys.stderr, flush=True)

    async def drain(self) -> FakeLog:
        """What the fakes logged since the last drain (between measurements: collect too)."""
        log = FakeLog.from_drain(await self._fakes.call("drain"))
        gc.collect()
        return log

    async def floor_request(self, provider: str, text: str, *, cold: bool = False) -> Trace:
        """One request from the floor client."""
        reply = await self._floor.call("request", provider=provider, text=text, cold=cold)
        return Trace.from_json(reply["trace"])

    async def start_server(self, extra_args: tuple[str, ...] = ()) -> ServerProcess:
        """A fresh server process (not waited for)."""
        return await ServerProcess.start(
            self._fakes.hello,
            self.out / "server.log",
            self.config.samples_per_chunk,
            extra_args,
            tree=self.tree,
        )

    @property
    def tree(self) -> Path | None:
        """Another checkout whose server is measured (an A/B run), or None."""
        return Path(self.config.server_tree) if self.config.server_tree else None

    async def wait_upstream(self, hamsa: int, faseeh: int, guard: float = 10.0) -> bool:
        """Wait until the fakes hold at least this many open sockets."""
        deadline = time.monotonic() + guard
        while time.monotonic() < deadline:
            counts = await self._fakes.call("connections")
            if counts["hamsa"] >= hamsa and counts["faseeh"] >= faseeh:
                return True
            await asyncio.sleep(0.02)
        return False

    async def run(self) -> dict[str, Any]:
        """Every scenario; helper processes are stopped whatever happens."""
        started = time.monotonic()
        timing = json.dumps(self.config.timing.to_json())
        # This process measures: a garbage-collection pause here would show up as server
        # latency. Collect between scenarios instead (the server keeps its own GC).
        gc.disable()
        try:
            self.fakes = await Child.start(
                "fakes", ["bench.fake_host", timing], self.out / "fakes.log"
            )
            self.floor = await Child.start(
                "floor", ["bench.floor", json.dumps(self.fakes.hello)], self.out / "floor.log"
            )
            await self.drain()
            if self.config.relay:
                await self.relay()
            if self.config.faults:
                await self.faults()
            if self.config.ha:
                await self.home_assistant()
            else:
                self.results["ha"] = {"skipped": True}
        finally:
            gc.enable()
            if self.server is not None:
                await self.server.stop()
            for child in (self.floor, self.fakes):
                if child is not None:
                    await child.stop()
        self.results["duration_s"] = round(time.monotonic() - started, 1)
        return self.results

    async def relay(self) -> None:
        """The relay's own figures: its overhead over a direct client, healthy providers."""
        await self.cold()
        self.log("starting the server")
        self.server = await self.start_server()
        await self._server.wait_ready()
        # The floor holds one socket per provider; the server warms one of each.
        await self.wait_upstream(2, 2)
        await self.describe()
        await self.warm()
        await self.small_frames()
        await self.streaming()
        await self.concurrency()
        await self.hostile()
        self.log("front-end on a first sentence")
        self.results["frontend"] = frontend.measure(self.config.quick)
        await self._server.stop()
        self.server = None

    async def faults(self) -> None:
        """Issue 18: first audio under faults, twenty at once, the soak (default flags)."""
        bench = FaultBench(
            self._fakes,
            self.out,
            self.texts,
            self.log,
            requests_per_row=self.config.fault_requests,
            tree=self.tree,
            soak_seconds=self.config.soak_seconds,
            burst=self.config.burst,
        )
        self.results["faults"] = {
            "rows": await bench.rows(),
            "at_once": await bench.at_once(),
            "soak": await bench.soak(),
        }
        await self.drain()

    # --- 1. Describe ---------------------------------------------------------------------

    async def describe(self) -> None:
        """Describe round trips (new connection each, like Home Assistant) vs an echo."""
        self.log("describe round trips")
        payload = await wy.info_bytes(self._server.port)
        import base64  # noqa: PLC0415

        echo = await self._floor.call(
            "describe_serve", payload=base64.b64encode(payload).decode("ascii")
        )
        ours: list[float] = []
        floor: list[float] = []
        for _ in range(self.config.describe_rounds):
            ours.append(await wy.describe_rtt(self._server.port))
            floor.append(await wy.describe_rtt(echo["port"]))
        self.samples["describe"] = {"ours": ours, "floor": floor}
        self.results["describe"] = {
            "info_bytes": len(payload),
            "ours": summary(ours),
            "floor": summary(floor),
            "ratio_p50": ratio(summary(ours)["p50"], summary(floor)["p50"]),
        }

    # --- 2a. Cold time to first audio ----------------------------------------------------

    async def cold(self) -> None:
        """Fresh server, first request sent the moment Describe answers."""
        out: dict[str, Any] = {}
        for provider in PROVIDERS:
            self.log(f"cold time to first audio ({provider})")
            ours: list[Trace] = []
            floor: list[Trace] = []
            ready_after: list[float] = []
            for _ in range(self.config.cold_runs):
                server = await self.start_server()
                try:
                    ready_after.append(await server.wait_ready())
                    ours.append(
                        await wy.synthesize(server.port, self.texts.text(), VOICES[provider])
                    )
                finally:
                    await server.stop()
                floor.append(await self.floor_request(provider, self.texts.text(), cold=True))
            await self.drain()
            ours_ttfa = [t.first_audio for t in ours if t.ok]
            floor_ttfa = [t.first_audio for t in floor if t.ok]
            out[provider] = {
                "ours": summary(ours_ttfa),
                "floor": summary(floor_ttfa),
                "errors": [t.error for t in ours + floor if t.error],
                "server_ready_s": summary(ready_after, scale=1.0),
                "ratio_p50": ratio(summary(ours_ttfa)["p50"], summary(floor_ttfa)["p50"]),
            }
        self.results["ttfa_cold"] = out

    # --- 2b/3. Warm time to first audio and per-chunk latency, one stream -----------------

    async def warm(self) -> None:
        """Sequential requests on warm sockets, ours and the floor's interleaved; then
        Faseeh over REST (a second server process with ``--faseeh-transport rest``)."""
        ttfa_out: dict[str, Any] = {}
        chunk_out: dict[str, Any] = {}
        for provider in PROVIDERS:
            self.log(f"warm time to first audio and per-chunk latency ({provider})")
            ttfa_out[provider], chunk_out[provider] = await self._warm_one(
                provider, provider, self._server.port
            )
        self.log("warm time to first audio and per-chunk latency (faseeh over REST)")
        rest_server = await self.start_server(("--faseeh-transport", "rest"))
        try:
            await rest_server.wait_ready()
            ttfa_out[FASEEH_REST], chunk_out[FASEEH_REST] = await self._warm_one(
                FASEEH_REST, "faseeh", rest_server.port
            )
        finally:
            await rest_server.stop()
        self.results["ttfa_warm"] = ttfa_out
        self.results["chunk_latency"] = chunk_out

    async def small_frames(self) -> None:
        """Hamsa sending 640-byte frames (20 ms of audio) at real time: the plausibility
        check for 640-byte replies may hold back one frame, and no more."""
        self.log("warm time to first audio, 640-byte frames at real time (hamsa)")
        frame = self.config.small_frame_bytes
        await self._fakes.call("frames", hamsa=frame)
        await self._fakes.call("pace", realtime_factor=1.0)
        try:
            figures, chunks = await self._warm_one(
                "hamsa",
                "hamsa",
                self._server.port,
                requests=self.config.small_frame_requests,
                chars=self.config.small_frame_text_chars,
                label="small_frames",
            )
        finally:
            await self._fakes.call("frames", hamsa=self.config.timing.hamsa_frame_bytes)
            await self._fakes.call("pace", realtime_factor=self.config.timing.realtime_factor)
        figures["frame_ms"] = round(frame / HAMSA_BYTES_PER_SECOND * 1000, 3)
        figures["chunk"] = chunks
        self.results["small_frames"] = figures

    async def _warm_one(
        self,
        key: str,
        provider: str,
        port: int,
        *,
        requests: int | None = None,
        chars: int | None = None,
        label: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Warm figures for one provider path: ``key`` names it (and the floor's path),
        ``provider`` is the fake that answers (its timing log's key); ``requests`` of
        ``chars`` characters (the warm defaults), samples stored under ``label`` (``key``)."""
        voice = VOICES[provider]
        chars = chars or self.config.warm_text_chars
        label = label or key
        for _ in range(self.config.warmup_requests):
            await wy.synthesize(port, self.texts.text(chars), voice)
            await self.floor_request(key, self.texts.text(chars))
        await self.drain()
        ours: list[Trace] = []
        floor: list[Trace] = []
        for _ in range(requests or self.config.warm_requests):
            ours.append(await wy.synthesize(port, self.texts.text(chars), voice))
            floor.append(await self.floor_request(key, self.texts.text(chars)))
        log = await self.drain()
        figures: dict[str, Any] = {}
        chunks: dict[str, Any] = {}
        for path, traces in (("ours", ours), ("floor", floor)):
            good = [t for t in traces if t.ok]
            ttfa = [t.first_audio for t in good]
            added = [
                a
                for t in good
                if (
                    a := added_first_audio(
                        t,
                        log.requests.get((provider, t.text), []),
                        log.frames.get((provider, t.text), []),
                    )
                )
                is not None
            ]
            latencies = [
                x for t in good for x in chunk_latencies(t, log.frames.get((provider, t.text), []))
            ]
            split = [
                leg
                for t in good
                if (
                    leg := legs(
                        t,
                        log.requests.get((provider, t.text), []),
                        log.frames.get((provider, t.text), []),
                    )
                )
                is not None
            ]
            # End of the reply after the provider's last frame: what a reply costs after
            # its audio (Faseeh's socket listens on after isFinal; see docs/faseeh.md).
            ended = [
                t.t_end - frames[-1][2]
                for t in good
                if (frames := log.frames.get((provider, t.text)))
            ]
            figures[path] = summary(ttfa)
            figures[f"added_{path}"] = summary(added)
            figures[f"end_{path}"] = summary(ended)
            figures[f"legs_{path}"] = {
                "to_provider": summary(up for up, _ in split),
                "from_provider": summary(down for _, down in split),
            }
            figures[f"errors_{path}"] = [t.error for t in traces if t.error]
            chunks[path] = summary(latencies)
            self.samples[f"ttfa_warm_{label}_{path}"] = {"values": ttfa}
            self.samples[f"added_warm_{label}_{path}"] = {"values": added}
            self.samples[f"chunk_{label}_{path}"] = {"values": latencies}
        figures["overhead_p50_ms"] = _minus(figures["ours"]["p50"], figures["floor"]["p50"])
        figures["ratio_p50"] = ratio(figures["ours"]["p50"], figures["floor"]["p50"])
        chunks["ratio_p99"] = ratio(chunks["ours"]["p99"], chunks["floor"]["p99"])
        return figures, chunks

    # --- 4. Streaming text ---------------------------------------------------------------

    async def streaming(self) -> None:
        """Tokens at LLM speed: first complete sentence → its first audio."""
        out: dict[str, Any] = {}
        interval = 1.0 / self.config.tokens_per_second
        for provider in PROVIDERS:
            self.log(f"streaming text at {self.config.tokens_per_second:g} tokens/s ({provider})")
            ours: list[Trace] = []
            floor: list[Trace] = []
            for _ in range(self.config.stream_runs):
                tokens, complete = self.texts.tokens()
                ours.append(
                    await wy.synthesize_streaming(
                        self._server.port, tokens, interval, complete, VOICES[provider]
                    )
                )
                tokens, complete = self.texts.tokens()
                reply = await self._floor.call(
                    "stream_text",
                    provider=provider,
                    tokens=tokens,
                    interval=interval,
                    complete_index=complete,
                )
                floor.append(Trace.from_json(reply["trace"]))
            log = await self.drain()
            figures: dict[str, Any] = {}
            for path, traces in (("ours", ours), ("floor", floor)):
                good = [t for t in traces if t.ok and t.t_sentence is not None]
                to_audio = [t.arrivals[0][1] - t.t_sentence for t in good if t.t_sentence]
                to_request = [
                    min(log.requests[(provider, t.text)]) - t.t_sentence
                    for t in good
                    if t.t_sentence and (provider, t.text) in log.requests
                ]
                figures[path] = summary(to_audio)
                figures[f"sentence_to_request_{path}"] = summary(to_request)
                figures[f"errors_{path}"] = [t.error for t in traces if t.error]
            figures["overhead_p50_ms"] = _minus(figures["ours"]["p50"], figures["floor"]["p50"])
            figures["ratio_p50"] = ratio(figures["ours"]["p50"], figures["floor"]["p50"])
            figures["token_interval_ms"] = round(interval * 1000, 1)
            out[provider] = figures
        self.results["streaming"] = out

    # --- 5/6. Concurrency, throughput, memory ----------------------------------------------

    async def concurrency(self) -> None:
        """1 → N concurrent Hamsa streams: latency, late chunks, CPU, RSS; ours vs floor."""
        provider = "hamsa"
        await asyncio.sleep(0.5)
        idle = {
            "ours": Usage(self._server.pid).rss(),
            "floor": Usage(self._floor.pid).rss(),
        }
        levels: list[dict[str, Any]] = []
        totals = {"ours": [0.0, 0.0], "floor": [0.0, 0.0]}  # audio s, cpu s
        for count in self.config.concurrency:
            self.log(f"{count} concurrent streams")
            starts = [self.rng.uniform(0, self.config.concurrent_stagger) for _ in range(count)]
            level: dict[str, Any] = {"streams": count}
            # The floor first, on sockets it opened beforehand (the provider's own floor).
            texts = [self.texts.text(self.config.concurrent_text_chars) for _ in range(count)]
            await self._floor.call("open_extra", provider=provider, count=count)
            await asyncio.sleep(0.2)
            async with Usage(self._floor.pid) as floor_usage:
                reply = await self._floor.call(
                    "concurrent", provider=provider, texts=texts, starts=starts
                )
            await self._floor.call("close_extra")
            floor_traces = [Trace.from_json(t) for t in reply["traces"]]
            floor_log = await self.drain()
            await asyncio.sleep(0.2)
            texts = [self.texts.text(self.config.concurrent_text_chars) for _ in range(count)]
            async with Usage(self._server.pid) as server_usage:
                ours_traces = await wy.concurrent(
                    self._server.port, texts, starts, VOICES[provider]
                )
            ours_log = await self.drain()
            for path, traces, log, usage in (
                ("floor", floor_traces, floor_log, floor_usage),
                ("ours", ours_traces, ours_log, server_usage),
            ):
                good = [t for t in traces if t.ok]
                latencies = [
                    x
                    for t in good
                    for x in chunk_latencies(t, log.frames.get((provider, t.text), []))
                ]
                audio = sum(t.audio_seconds for t in good)
                totals[path][0] += audio
                totals[path][1] += usage.cpu_seconds
                level[path] = {
                    "ttfa": summary(t.first_audio for t in good),
                    "chunk": summary(latencies),
                    "chunks": sum(len(t.arrivals) for t in good),
                    "late_chunks": sum(late_chunks(t) for t in good),
                    "errors": len(traces) - len(good),
                    "audio_s": round(audio, 2),
                    "cpu_s": round(usage.cpu_seconds, 3),
                    "audio_s_per_cpu_s": round(audio / usage.cpu_seconds, 1)
                    if usage.cpu_seconds > 0
                    else None,
                    "rss_peak_mb": round(usage.rss_peak / MB, 2),
                }
                self.samples[f"chunk_concurrent_{count}_{path}"] = {"values": latencies}
            levels.append(level)
            await asyncio.sleep(0.3)  # let the server settle its pool between levels
        self.results["concurrency"] = {"provider": provider, "levels": levels}
        paced = {
            path: round(audio / cpu, 1) if cpu > 0 else None
            for path, (audio, cpu) in totals.items()
        }
        saturated = await self.saturated(provider)
        self.results["throughput"] = {
            "ours_audio_s_per_cpu_s": saturated["ours"]["audio_s_per_cpu_s"],
            "floor_audio_s_per_cpu_s": saturated["floor"]["audio_s_per_cpu_s"],
            "ratio": ratio(
                saturated["floor"]["audio_s_per_cpu_s"], saturated["ours"]["audio_s_per_cpu_s"]
            ),
            "saturated": saturated,
            "paced": {
                "ours_audio_s_per_cpu_s": paced["ours"],
                "floor_audio_s_per_cpu_s": paced["floor"],
                "ratio": ratio(paced["floor"], paced["ours"]),
                "audio_s": {path: round(audio, 1) for path, (audio, _) in totals.items()},
                "cpu_s": {path: round(cpu, 3) for path, (_, cpu) in totals.items()},
            },
        }
        top = levels[-1]
        per_stream = {
            path: round((top[path]["rss_peak_mb"] * MB - idle[path]) / top["streams"] / 1024, 1)
            for path in ("ours", "floor")
        }
        self.results["memory"] = {
            "ours_idle_mb": round(idle["ours"] / MB, 2),
            "floor_idle_mb": round(idle["floor"] / MB, 2),
            "ours_per_stream_kb": per_stream["ours"],
            "floor_per_stream_kb": per_stream["floor"],
            "at_streams": top["streams"],
            "idle_ratio": ratio(idle["ours"], idle["floor"]),
        }

    async def saturated(self, provider: str) -> dict[str, Any]:
        """Throughput with the fake unpaced: audio-seconds per CPU-second when never idle."""
        count = self.config.saturated_streams
        self.log(f"throughput at saturation ({count} unpaced streams)")
        out: dict[str, Any] = {"streams": count}
        await self._fakes.call("pace", realtime_factor=None)
        try:
            texts = [self.texts.text(self.config.saturated_text_chars) for _ in range(count)]
            await self._floor.call("open_extra", provider=provider, count=count)
            await asyncio.sleep(0.2)
            async with Usage(self._floor.pid) as floor_usage:
                reply = await self._floor.call(
                    "concurrent", provider=provider, texts=texts, starts=[0.0] * count
                )
            await self._floor.call("close_extra")
            floor_traces = [Trace.from_json(t) for t in reply["traces"]]
            await asyncio.sleep(0.2)
            # Ours: measured from the moment every stream has audio until the last ends, so
            # connection set-up (the pool keeps only a few sockets) is not counted as relay.
            traces = [
                Trace(text=self.texts.text(self.config.saturated_text_chars), t0=0.0)
                for _ in range(count)
            ]
            running = asyncio.create_task(
                wy.concurrent(
                    self._server.port,
                    [t.text for t in traces],
                    [0.0] * count,
                    VOICES[provider],
                    traces,
                )
            )
            server_usage = Usage(self._server.pid)
            deadline = time.monotonic() + 30
            while not all(t.arrivals for t in traces) and time.monotonic() < deadline:
                if running.done():
                    break
                await asyncio.sleep(0.002)
            audio_before = sum(t.audio_seconds for t in traces)
            async with server_usage:
                ours_traces = await running
            audio_ours = sum(t.audio_seconds for t in ours_traces if t.ok) - audio_before
        finally:
            await self._fakes.call("pace", realtime_factor=self.config.timing.realtime_factor)
        await self.drain()
        for path, traces, usage in (
            ("floor", floor_traces, floor_usage),
            ("ours", ours_traces, server_usage),
        ):
            good = [t for t in traces if t.ok]
            audio = sum(t.audio_seconds for t in good) if path == "floor" else audio_ours
            out[path] = {
                "audio_s": round(audio, 1),
                "cpu_s": round(usage.cpu_seconds, 3),
                "audio_s_per_cpu_s": round(audio / usage.cpu_seconds, 1)
                if usage.cpu_seconds > 0
                else None,
                "wall_s": round(max(t.t_end for t in good) - min(t.t0 for t in good), 2)
                if good
                else None,
                "errors": len(traces) - len(good),
            }
        return out

    # --- 7. One client must not cost the others ----------------------------------------------

    async def hostile(self) -> None:
        """Describe while a 100,000-character text is spoken; RSS under a client that never
        reads (the fake unpaced, so the whole reply is ready to pile up)."""
        config = self.config
        self.log(f"Describe while a {config.long_text_chars}-character text is spoken")
        long = await hostile.describe_under_long_text(
            self._server.port, VOICES["hamsa"], config.long_text_chars, config.long_text_describes
        )
        long["idle"] = self.results["describe"]["ours"]
        await self.drain()
        self.log("server memory under a client that never reads")
        await self._fakes.call("pace", realtime_factor=None)
        try:
            slow = await hostile.slow_reader(
                self._server.port,
                self._server.pid,
                VOICES["hamsa"],
                config.slow_reader_text_chars,
                config.slow_reader_seconds,
            )
        finally:
            await self._fakes.call("pace", realtime_factor=config.timing.realtime_factor)
        await self.drain()
        self.results["hostile"] = {"describe_under_long_text": long, "slow_reader": slow}

    # --- 8. Home Assistant ---------------------------------------------------------------

    async def home_assistant(self) -> None:
        """bench/test_ha_latency.py under Home Assistant's test harness (a subprocess)."""
        self.log("Home Assistant TTS entity (pytest harness)")
        out_path = self.out / "ha.json"
        out_path.unlink(missing_ok=True)
        env = dict(os.environ)
        env["BENCH_HA_OUT"] = str(out_path)
        env["BENCH_HA_CONFIG"] = json.dumps(
            {
                "timing": self.config.timing.to_json(),
                "cold_runs": self.config.ha_cold_runs,
                "warm_requests": self.config.ha_warm_requests,
                "warmup_requests": self.config.warmup_requests,
                "text_chars": self.config.warm_text_chars,
            }
        )
        with (self.out / "ha.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "pytest",
                "bench/test_ha_latency.py",
                "-q",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=",
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                async with asyncio.timeout(HA_GUARD):
                    code = await process.wait()
            except TimeoutError:
                process.kill()
                code = await process.wait()
        if code == 0 and out_path.exists():
            self.results["ha"] = json.loads(out_path.read_text(encoding="utf-8"))
        else:
            self.results["ha"] = {"error": f"pytest exited with {code}; see ha.log"}


def _minus(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return round(a - b, 3)
