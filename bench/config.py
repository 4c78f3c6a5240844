"""What a run measures and how the fake providers behave (realistic by default)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProviderTiming:
    """Knobs of the fake providers, shared by every process of a run."""

    # TLS + WebSocket upgrade to a cloud endpoint: paid by every new connection.
    handshake_delay: float = 0.200
    # From the request to the provider's first audio frame (its own latency).
    first_audio_delay: float = 0.150
    # Audio is produced this many times faster than it plays.
    realtime_factor: float = 4.0
    # Frame sizes as the providers send them: Hamsa 4096 bytes of 16 kHz PCM (128 ms),
    # Faseeh 4800 bytes of 24 kHz PCM (100 ms) before base64.
    hamsa_frame_bytes: int = 4096
    faseeh_frame_bytes: int = 4800

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class BenchConfig:
    """One run: how many samples of each figure, and the concurrency levels."""

    quick: bool
    timing: ProviderTiming = field(default_factory=ProviderTiming)
    describe_rounds: int = 200
    cold_runs: int = 3  # fresh server processes per provider
    warm_requests: int = 40  # per provider and path (ours, floor)
    warm_text_chars: int = 40  # about 0.8 s of audio: a short announcement
    warmup_requests: int = 2  # per provider and path, not measured
    stream_runs: int = 5  # per provider and path
    tokens_per_second: float = 20.0
    concurrency: tuple[int, ...] = (1, 10, 25, 50, 75, 100)
    concurrent_text_chars: int = 300  # 6 s of audio per stream
    concurrent_stagger: float = 0.25  # streams start spread over this many seconds
    # Throughput at saturation: the fake sends without pacing, so the server never idles.
    saturated_streams: int = 20
    saturated_text_chars: int = 1900  # 38 s of audio per stream, under Hamsa's 2000 limit
    samples_per_chunk: int = 1024
    # One client must not cost the others: Describe during a long text, a slow reader.
    long_text_chars: int = 100_000
    long_text_describes: int = 500  # one every 10 ms
    slow_reader_text_chars: int = 60_000  # 20 minutes of audio, none of it read
    slow_reader_seconds: float = 5.0
    # Hamsa at the smallest frames a provider streams: 640 bytes (20 ms) at real time.
    small_frame_bytes: int = 640
    small_frame_requests: int = 20
    small_frame_text_chars: int = 20  # 0.4 s of audio: a reply takes about half a second
    ha: bool = True
    # Issue 18: first audio under faults, 20 requests at once, the soak (bench/faults.py).
    faults: bool = True
    relay: bool = True  # every figure before them (off: --faults-only)
    fault_requests: int = 3  # requests in a row per fault row
    soak_seconds: float = 60.0
    burst: int = 20
    server_tree: str | None = None  # another checkout's server, for an A/B run
    ha_cold_runs: int = 3
    ha_warm_requests: int = 20
    target_concurrency: int = 50  # where the per-chunk p99 target applies

    @classmethod
    def full(cls, timing: ProviderTiming) -> BenchConfig:
        """Every figure with enough samples for p99 (about 2.5 minutes on 2 cores)."""
        return cls(quick=False, timing=timing)

    @classmethod
    def quick_mode(cls, timing: ProviderTiming) -> BenchConfig:
        """Every figure, few samples: a smoke run (well under a minute)."""
        return cls(
            quick=True,
            timing=timing,
            describe_rounds=20,
            cold_runs=1,
            warm_requests=6,
            warm_text_chars=16,
            warmup_requests=1,
            stream_runs=1,
            concurrency=(1, 5, 10),
            concurrent_text_chars=80,
            concurrent_stagger=0.05,
            saturated_streams=4,
            saturated_text_chars=400,
            long_text_describes=50,
            slow_reader_seconds=1.5,
            small_frame_requests=3,
            small_frame_text_chars=10,
            ha_cold_runs=1,
            ha_warm_requests=3,
            target_concurrency=10,
            fault_requests=2,
            soak_seconds=10.0,
            burst=10,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)
