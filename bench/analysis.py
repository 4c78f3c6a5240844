"""From traces and the fakes' timing log to figures.

Every process timestamps with ``time.monotonic()`` (CLOCK_MONOTONIC: one clock for the
whole machine), so a client's arrival time can be set against the fake's send time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .trace import Trace

MS = 1000.0


def summary(values: Iterable[float], scale: float = MS) -> dict[str, float | int | None]:
    """n, p50, p90, p99, mean, max of ``values`` times ``scale`` (default: seconds → ms)."""
    data = np.asarray(list(values), dtype=np.float64) * scale
    if data.size == 0:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "mean": None, "max": None}
    return {
        "n": int(data.size),
        "p50": round(float(np.percentile(data, 50)), 3),
        "p90": round(float(np.percentile(data, 90)), 3),
        "p99": round(float(np.percentile(data, 99)), 3),
        "mean": round(float(data.mean()), 3),
        "max": round(float(data.max()), 3),
    }


@dataclass
class FakeLog:
    """Requests and frames the fakes logged, by (provider, text)."""

    requests: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    frames: dict[tuple[str, str], list[tuple[int, int, float]]] = field(default_factory=dict)

    @classmethod
    def from_drain(cls, reply: dict[str, Any]) -> FakeLog:
        """Build from the fake host's ``drain`` reply."""
        requests: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
        frames: defaultdict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)
        for provider, text, t in reply["requests"]:
            requests[(provider, text)].append(float(t))
        for provider, text, offset, size, t in reply["frames"]:
            frames[(provider, text)].append((int(offset), int(size), float(t)))
        for items in frames.values():
            items.sort()
        return cls(dict(requests), dict(frames))

    def merge(self, other: FakeLog) -> None:
        """Add another drain's records."""
        for key, times in other.requests.items():
            self.requests.setdefault(key, []).extend(times)
        for key, items in other.frames.items():
            merged = self.frames.setdefault(key, [])
            merged.extend(items)
            merged.sort()


def chunk_latencies(trace: Trace, frames: Sequence[tuple[int, int, float]]) -> list[float]:
    """Per piece of audio: arrival minus when the fake sent the frame that completed it.

    A piece ending at byte ``end`` could not leave before the frame holding byte
    ``end - 1`` did, so that frame's send time is the piece's "provider frame in".
    """
    if not frames:
        return []
    starts = [offset for offset, _, _ in frames]
    latencies = []
    for end, arrived in trace.arrivals:
        index = bisect.bisect_right(starts, end - 1) - 1
        if index >= 0:
            latencies.append(arrived - frames[index][2])
    return latencies


def added_first_audio(
    trace: Trace, request_times: Sequence[float], frames: Sequence[tuple[int, int, float]]
) -> float | None:
    """Time to first audio minus the provider's own part (request seen → first frame sent).

    What remains is ours: getting the request to the provider and its first frame to the
    client. Exact per request (the fake's own timer jitter cancels out).
    """
    if not trace.arrivals or not frames or not request_times:
        return None
    seen = min(request_times, key=lambda t: abs(t - trace.t0))
    provider_part = frames[0][2] - seen
    return trace.first_audio - provider_part


def legs(
    trace: Trace, request_times: Sequence[float], frames: Sequence[tuple[int, int, float]]
) -> tuple[float, float] | None:
    """(request written → provider saw it, provider sent first frame → client had audio)."""
    if not trace.arrivals or not frames or not request_times:
        return None
    seen = min(request_times, key=lambda t: abs(t - trace.t0))
    return seen - trace.t0, trace.arrivals[0][1] - frames[0][2]


def late_chunks(trace: Trace) -> int:
    """Pieces arriving after their playback deadline (playback starts at the first piece).

    Piece ``k`` starts ``offset_k`` bytes into the audio, so it must be there by
    ``first arrival + offset_k / bytes per second``; no jitter buffer is assumed.
    """
    if not trace.arrivals or not trace.bytes_per_second:
        return 0
    first = trace.arrivals[0][1]
    late = 0
    previous_end = 0
    for end, arrived in trace.arrivals:
        deadline = first + previous_end / trace.bytes_per_second
        if arrived > deadline:
            late += 1
        previous_end = end
    return late


def ratio(ours: float | None, floor: float | None) -> float | None:
    """ours / floor, rounded; None when either is missing or the floor is 0."""
    if ours is None or floor is None or floor <= 0:
        return None
    return round(ours / floor, 3)
