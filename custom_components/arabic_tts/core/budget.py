"""The time budget of a reply: first audio within 1.5 s of the request, whatever happens.

Voice satellites give up on a reply whose playback has not started about 2 s after the
TTS URL arrives, and Home Assistant's pipeline uses part of that, so a reply has 1.5 s.
The fallback chain (fallback.py) spends it like this:

- ``first_audio`` (default 1.0 s): the voice asked for has this long, from the moment a
  piece of text is handed to it, to produce its first audio. Then the next voice speaks
  the piece from its start: espeak-ng's first audio takes 50-150 ms, a neural offline
  voice 200-400 ms on a slow machine, which leaves the rest of the 1.5 s for them.
- ``stall``: once a reply has audio, the longest wait for more (a gap inside a piece, or
  a later piece's first audio); then the next voice speaks the rest.

Provider code sees the budget of the attempt it serves through ``current_attempt()``
(a context variable the chain sets while the attempt's generator runs), so it can take
another way before the deadline rather than wait for something that cannot arrive in
time (Hamsa's REST stream instead of a paced new socket, Faseeh's REST stream instead of
a silent socket), and so a missed deadline blames the transport the attempt used.
With no voice to fall back on there is no attempt (``None``): the request waits for the
provider as long as the provider's own timeouts allow, since late speech beats none.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .breaker import Breaker

DEFAULT_FIRST_AUDIO_DEADLINE = 1.0
DEFAULT_STALL_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class Budget:
    """How long a voice may keep a reply waiting before the next voice speaks (seconds)."""

    first_audio: float = DEFAULT_FIRST_AUDIO_DEADLINE
    stall: float = DEFAULT_STALL_TIMEOUT

    def __post_init__(self) -> None:
        if not (self.first_audio > 0 and self.stall > 0):
            raise ValueError("first_audio and stall must be greater than 0")


class Attempt:
    """One voice's try at one piece of a reply, while a next voice waits behind it.

    ``audio_by`` is the loop time by which audio must arrive (the first-audio deadline
    before the reply's first audio, the stall limit after it). Provider code registers
    each transport it sends over (``used``), so that ``abandon`` (the chain gave up on
    it) opens that transport's breaker.
    """

    __slots__ = ("_transport", "audio_by")

    def __init__(self, audio_by: float) -> None:
        self.audio_by = audio_by
        self._transport: Breaker | None = None

    def remaining(self) -> float:
        """Seconds left until ``audio_by`` (0 when it has passed)."""
        return max(0.0, self.audio_by - asyncio.get_running_loop().time())

    def used(self, breaker: Breaker) -> None:
        """The attempt sent its request over the transport this breaker guards."""
        self._transport = breaker

    def abandon(self, reason: str) -> None:
        """The chain gave up on this attempt: the transport it used (if it got that far:
        a wait for a free connection blames nobody) failed."""
        if self._transport is not None:
            self._transport.failed(reason)


_ATTEMPT: ContextVar[Attempt | None] = ContextVar("arabic_tts_attempt", default=None)


def current_attempt() -> Attempt | None:
    """The attempt the running provider code serves, or None (no voice to fall back on:
    wait for the provider; its breakers are advice, not a refusal)."""
    return _ATTEMPT.get()


@contextlib.contextmanager
def attempt_scope(attempt: Attempt | None) -> Iterator[None]:
    """Make ``attempt`` current for the code run inside (one step of its generator)."""
    token = _ATTEMPT.set(attempt)
    try:
        yield
    finally:
        _ATTEMPT.reset(token)


def note_transport(breaker: Breaker) -> None:
    """Provider code: the current attempt (if any) sends over ``breaker``'s transport."""
    attempt = _ATTEMPT.get()
    if attempt is not None:
        attempt.used(breaker)
