"""What a client saw of one reply, in a form every process can send as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Trace:
    """One request: when it was written and when each piece of audio arrived.

    ``arrivals`` holds (bytes of audio received so far, ``time.monotonic()`` of arrival)
    per piece: an AudioChunk for a Wyoming client, a provider frame for the floor client.
    ``text`` is what the provider was asked to speak (the key of the fake's timing log).
    """

    text: str
    t0: float
    bytes_per_second: int = 0
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    t_end: float = 0.0
    error: str | None = None
    # Streaming text only: when the token that completed the first sentence was written.
    t_sentence: float | None = None

    @property
    def ok(self) -> bool:
        """True when audio arrived and no error was reported."""
        return self.error is None and bool(self.arrivals)

    @property
    def first_audio(self) -> float:
        """Time to first audio from ``t0`` (seconds)."""
        return self.arrivals[0][1] - self.t0

    @property
    def audio_bytes(self) -> int:
        """Bytes of audio received."""
        return self.arrivals[-1][0] if self.arrivals else 0

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio received."""
        return self.audio_bytes / self.bytes_per_second if self.bytes_per_second else 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trace:
        """Inverse of ``to_json``."""
        data = dict(data)
        data["arrivals"] = [(int(a), float(b)) for a, b in data.get("arrivals", [])]
        return cls(**data)
