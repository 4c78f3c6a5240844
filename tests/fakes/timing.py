"""Pacing and timestamps for the fakes: realistic speed, and when each frame really left.

The benchmark (bench/) compares what a client received with what the fake sent. For that
the fakes can record, on a shared `TimingLog`, when each request arrived and when each
audio frame was handed to the socket (``time.monotonic()``: one clock for every process
on the machine), keyed by the request's text and the frame's byte offset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RequestSeen:
    """A synthesis request the fake accepted (Hamsa ``tts``; Faseeh a triggered generation)."""

    text: str
    time: float


@dataclass(frozen=True, slots=True)
class FrameSent:
    """One audio frame: bytes ``offset``..``offset + size`` of the reply to ``text``.

    Hamsa: bytes as sent (a WAV header included); Faseeh: decoded PCM bytes.
    """

    text: str
    offset: int
    size: int
    time: float


@dataclass
class TimingLog:
    """What a fake did and when; assign one to ``fake.timing`` to start recording."""

    requests: list[RequestSeen] = field(default_factory=list)
    frames: list[FrameSent] = field(default_factory=list)

    def request(self, text: str) -> None:
        """Record that a request for ``text`` arrived now."""
        self.requests.append(RequestSeen(text, time.monotonic()))

    def frame(self, text: str, offset: int, size: int) -> None:
        """Record that a frame is being sent now."""
        self.frames.append(FrameSent(text, offset, size, time.monotonic()))

    def drain(self) -> tuple[list[RequestSeen], list[FrameSent]]:
        """Everything recorded so far; the log starts empty again."""
        requests, frames = self.requests, self.frames
        self.requests, self.frames = [], []
        return requests, frames


def frame_due(start: float, offset: int, bytes_per_second: float, realtime_factor: float) -> float:
    """When a frame starting ``offset`` bytes into a reply is due (loop/monotonic time).

    Audio is produced ``realtime_factor`` times faster than it plays: the frame at offset
    ``n`` leaves once ``n`` bytes' worth of playing time, divided by the factor, has passed
    since the first frame. An absolute schedule, so a late wake-up does not push every
    later frame back (a real provider's encoder does not slow down when we are busy).
    """
    return start + offset / (bytes_per_second * realtime_factor)
