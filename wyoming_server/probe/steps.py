"""Running one probe step under its own time limit, and measuring a reply's audio.

Every step ends with an outcome, however it went: a provider error becomes ``refused``
or ``failed`` with our code and the provider's words, a wait past the limit becomes
``failed`` with ``timeout``. Nothing a step does can hang the probe or end it early.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from arabic_tts_core.audio import looks_like_wav
from arabic_tts_core.errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    RateLimited,
    TtsError,
    UnknownVoice,
)
from arabic_tts_core.websocket import open_websocket
from websockets.asyncio.client import ClientConnection

from .report import FAILED, OK, REFUSED, SKIPPED, ProviderReport, Step

_LOGGER = logging.getLogger(__name__)

# A probe step is one attempt: its own wait is the limit, unless a step says otherwise.
FIRST_FRAMES_SHOWN = 5

Progress = Callable[[str], None]

# The provider answered and said no: a key, a wallet, a plan limit, a request it refuses.
_REFUSALS = (AuthFailed, InsufficientFunds, RateLimited, BadRequest, UnknownVoice)


class Clock:
    """Times since the probe started, in milliseconds."""

    def __init__(self) -> None:
        self._origin = time.monotonic()

    @staticmethod
    def now() -> float:
        """A monotonic time in seconds."""
        return time.monotonic()

    def ms_since_start(self, at: float | None = None) -> float:
        """Milliseconds from the start of the probe to ``at`` (default: now)."""
        return ((time.monotonic() if at is None else at) - self._origin) * 1000


def ms(seconds: float) -> float:
    """Seconds as milliseconds."""
    return seconds * 1000


def record_error(step: Step, error: TtsError) -> None:
    """The step's outcome from a provider failure: its code, message and the provider's
    own words."""
    step.outcome = REFUSED if isinstance(error, _REFUSALS) else FAILED
    step.error_code = error.code
    step.details.append(error.message)
    if error.provider_text:
        step.provider_text = error.provider_text


def skip(step: Step, reason: str) -> Step:
    """Mark a step as not run, saying why."""
    step.outcome = SKIPPED
    step.details.append(reason)
    return step


async def run_step(
    step: Step,
    work: Callable[[Step], Awaitable[None]],
    *,
    clock: Clock,
    limit: float,
    progress: Progress,
    provider: str,
) -> Step:
    """Run ``work`` for ``step`` within ``limit`` seconds and record how it ended.

    ``work`` sets ``step.outcome`` when the result is not a plain success (it returns
    normally for a silent socket or an implausibly short reply, which are findings).
    """
    progress(f"{provider}: {step.label} ...")
    started = clock.now()
    step.started_ms = clock.ms_since_start(started)
    step.outcome = ""
    try:
        async with asyncio.timeout(limit):
            await work(step)
    except TimeoutError:
        step.outcome = FAILED
        step.error_code = "timeout"
        step.details.append(f"no answer within the step's limit of {limit:g} s")
    except TtsError as error:
        record_error(step, error)
    except Exception as error:  # a probe step reports, it never crashes the run
        _LOGGER.debug("Probe step %s failed", step.id, exc_info=True)
        record_error(
            step,
            ProviderError(f"unexpected failure ({type(error).__name__})", provider=provider),
        )
    if not step.outcome:
        step.outcome = OK
    step.duration_ms = ms(clock.now() - started)
    # The log is redacted like the report (the provider's text may echo a key).
    _LOGGER.debug(
        "%s %s: %s in %.0f ms; %s; provider said: %s",
        provider,
        step.id,
        step.outcome,
        step.duration_ms,
        "; ".join(step.details),
        step.provider_text,
    )
    progress(f"{provider}: {step.label}: {step.outcome}")
    return step


class ProviderProbe:
    """What the Hamsa and Faseeh probes share: the HTTP session, the TLS context, the
    clock, the progress line and the report, and running a step under a time limit."""

    def __init__(
        self,
        report: ProviderReport,
        session: aiohttp.ClientSession,
        ssl_context: ssl.SSLContext,
        clock: Clock,
        progress: Progress,
    ) -> None:
        self.report = report
        self._session = session
        self._ssl = ssl_context
        self._clock = clock
        self._progress = progress

    def _default_limit(self) -> float:
        """A step's time limit when it names none (the provider's waits, end to end)."""
        raise NotImplementedError

    async def _step(
        self, step: Step, work: Callable[[Step], Awaitable[None]], *, limit: float | None = None
    ) -> Step:
        """Record ``step`` in the report and run ``work`` for it within its limit."""
        self.report.steps.append(step)
        return await run_step(
            step,
            work,
            clock=self._clock,
            limit=limit if limit is not None else self._default_limit(),
            progress=self._progress,
            provider=self.report.name,
        )


async def open_socket(
    url: str,
    headers: dict[str, str],
    *,
    provider: str,
    label: str,
    timeout: float,
    ssl_context: ssl.SSLContext,
) -> ClientConnection:
    """``open_websocket``, with any other failure (an invalid URI, whose text would
    carry a key in its query) turned into a ProviderError that names no URL."""
    try:
        return await open_websocket(
            url, headers=headers, provider=provider, timeout=timeout, ssl_context=ssl_context
        )
    except TtsError:
        raise
    except Exception as err:
        raise ProviderError(
            f"{label}'s WebSocket address cannot be used ({type(err).__name__})",
            provider=provider,
        ) from None


@dataclass
class AudioLog:
    """What one reply's audio looked like on the wire: frame sizes and times, the first
    bytes (for a WAV header), ``isFinal`` markers."""

    sent_at: float  # when the text was sent (monotonic seconds)
    frames: list[tuple[float, int]] = field(default_factory=list)  # (time, bytes)
    finals: list[tuple[float, int]] = field(default_factory=list)  # (time, frames before)
    head: bytes = b""  # the first bytes of the audio, to look for a WAV header

    def frame(self, at: float, data: bytes) -> None:
        """One frame of audio as it arrived."""
        self.frames.append((at, len(data)))
        if len(self.head) < 12:
            self.head += data[: 12 - len(self.head)]

    def final(self, at: float) -> None:
        """An ``isFinal`` marker (Faseeh)."""
        self.finals.append((at, len(self.frames)))

    @property
    def wav_header(self) -> bool:
        """Whether the audio started with a RIFF/WAVE header."""
        return looks_like_wav(self.head)

    @property
    def first_audio(self) -> float | None:
        """Seconds from sending the text to the first frame."""
        return self.frames[0][0] - self.sent_at if self.frames else None

    def audio_after_final(self) -> list[float]:
        """For every ``isFinal`` followed by more audio: the gap in seconds to that audio."""
        gaps: list[float] = []
        for at, before in self.finals:
            if before < len(self.frames):
                gaps.append(self.frames[before][0] - at)
        return gaps

    def summary(self) -> dict[str, Any]:
        """Count, total and min/median/max of the frame sizes, and the first few."""
        sizes = [size for _, size in self.frames]
        if not sizes:
            return {"count": 0, "total_bytes": 0}
        return {
            "count": len(sizes),
            "total_bytes": sum(sizes),
            "min": min(sizes),
            "median": statistics.median(sizes),
            "max": max(sizes),
            "first": sizes[:FIRST_FRAMES_SHOWN],
        }

    def describe(self) -> str:
        """The summary in words."""
        summary = self.summary()
        if not summary["count"]:
            return "no audio frames"
        first = ", ".join(str(size) for size in summary["first"])
        more = ", …" if summary["count"] > FIRST_FRAMES_SHOWN else ""
        return (
            f"{summary['count']} frames, {summary['total_bytes']} bytes (min {summary['min']}, "
            f"median {summary['median']:g}, max {summary['max']}; first {first}{more})"
        )
