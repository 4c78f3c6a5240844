"""When a voice fails or is late, the rest of the reply is spoken by the next voice in line.

A smart home must still say "the front door is open" when the wallet is empty, the
internet is down or the provider stalls, and say it within the time budget (budget.py).

How to use it (both front doors do exactly this)::

    policy = FallbackPolicy((FallbackVoice("offline-ar", espeak_speak),), Budget())
    chain = policy.chain(FallbackVoice("hamsa-Salem", hamsa_speak))  # one per reply
    async with contextlib.aclosing(chain.speak(text)) as audio:     # per piece of text
        async for chunk in audio:
            ...

A voice is anything with a ``name`` and a ``speak(text)`` that returns an async
generator of ``PcmChunk`` (``FallbackVoice`` is the plain one; the Wyoming server's
``VoiceRoute`` also fits). ``speak`` raises ``TtsError`` on failure; any voice will do
as a fallback (Home Assistant may hand in one that calls another TTS entity).

What "the rest" is: a *piece* is what one ``chain.speak`` call gets (a whole plain
reply, or one sentence of a streamed one). The piece being spoken when a voice fails or
runs out of time is spoken again, from its start, by the next voice; pieces that
finished are never repeated; every later piece goes straight to the voice that last
worked (one failure costs one wait, not one per sentence). A break after some audio
means the next voice says the whole piece again: the listener may hear its start twice
but never loses a word, and never hears two voices at once (the late attempt is closed
before the next voice starts: its socket discarded, its request ended).

Deadlines apply while a next voice waits (the last voice in line may take as long as
its provider allows: late speech beats none):

- before the reply's first audio, the piece's first audio is due ``budget.first_audio``
  seconds after the chain is handed it, whichever voice gives it: a voice abandoned or
  failed leaves the next timed voice only what is left (a cloud ``--fallback-voice``
  behind a cloud that stalled gets no fresh second), and a timed voice with nothing left
  is skipped, unblamed, for the last voice;
- after that, every wait for audio (a gap inside a piece, a later piece's first audio)
  is bounded by ``budget.stall``.

An abandoned attempt opens the breaker of the transport it used (budget.py, breaker.py),
so the next replies skip that transport at once. Failures the user caused
(``bad_request``, ``unknown_voice``) are reported, not papered over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .audio import PcmChunk
from .budget import Attempt, Budget, attempt_scope
from .errors import (
    AuthFailed,
    CircuitOpen,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TtsError,
)
from .streaming import Speak

_LOGGER = logging.getLogger(__name__)

# Failures the user did not cause: another voice can still speak the text.
FALLBACK_CODES: frozenset[str] = frozenset(
    {
        AuthFailed.code,
        InsufficientFunds.code,
        RateLimited.code,
        ProviderTimeout.code,
        ProviderUnavailable.code,
        ProviderError.code,
    }
)
PREVIEW_CHARS = 60


def preview(text: str) -> str:
    """A piece of text short enough for one log line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


class SpeakingVoice(Protocol):
    """What the chain needs of a voice: a name for the log, and ``speak``."""

    @property
    def name(self) -> str:
        """The voice's name as the user knows it (logged, and in errors)."""
        ...

    @property
    def speak(self) -> Speak:
        """Speak one piece of text: an async generator of PcmChunk; TtsError on failure."""
        ...


@dataclass(frozen=True, slots=True)
class FallbackVoice:
    """A voice for the chain: a name and a ``speak`` (any async generator of PcmChunk)."""

    name: str
    speak: Speak


@dataclass(frozen=True, slots=True)
class FallbackPolicy:
    """The voices that take over, in order, when the requested one fails or is late, and
    the time budget that decides "late" (None: no deadlines, only failures)."""

    voices: tuple[SpeakingVoice, ...] = ()
    budget: Budget | None = field(default_factory=Budget)

    def chain(self, requested: SpeakingVoice) -> FallbackChain:
        """A fresh chain for one reply; the requested voice is never its own fallback."""
        seen = {requested.name}
        links = [requested]
        for voice in self.voices:
            if voice.name not in seen:
                seen.add(voice.name)
                links.append(voice)
        return FallbackChain(links, self.budget)

    @property
    def names(self) -> list[str]:
        """Voice names in order, for the start-up log."""
        return [voice.name for voice in self.voices]


class FallbackChain:
    """One reply's voices in order; ``speak`` is a drop-in for a voice's ``speak``.

    State lives for one reply only: the next reply asks the requested voice again (its
    provider's breakers decide whether that costs anything).
    """

    def __init__(self, voices: Sequence[SpeakingVoice], budget: Budget | None = None) -> None:
        if not voices:
            raise ValueError("a chain needs at least the requested voice")
        self._links = list(voices)
        self._budget = budget
        self._index = 0
        self._failures: list[tuple[SpeakingVoice, TtsError]] = []
        self._announced = False
        self._heard = False  # the reply has audio: from now on the stall limit applies

    @property
    def current(self) -> SpeakingVoice:
        """The voice that speaks the next piece."""
        return self._links[self._index]

    @property
    def failures(self) -> list[tuple[str, TtsError]]:
        """(voice name, error) of every voice given up on in this reply, in order."""
        return [(voice.name, err) for voice, err in self._failures]

    async def speak(self, text: str) -> AsyncGenerator[PcmChunk]:
        """Speak one piece, moving down the chain on failure (see module docstring)."""
        first_audio_by: float | None = None
        if self._budget is not None and not self._heard:
            first_audio_by = asyncio.get_running_loop().time() + self._budget.first_audio
        while True:
            voice = self.current
            guarded = self._budget is not None and self._index + 1 < len(self._links)
            if self._out_of_time(guarded, first_audio_by):
                self._give_up_on(voice, self._no_time_left(voice), text)
                continue
            audio = (
                self._within_budget(voice, text, first_audio_by) if guarded else voice.speak(text)
            )
            try:
                async with contextlib.aclosing(audio):
                    async for chunk in audio:
                        self._heard = True
                        yield chunk
            except TtsError as err:
                self._give_up_on(voice, err, text)
                continue
            if self._index:
                self._report_spoken(voice, text)
            return

    def _out_of_time(self, guarded: bool, first_audio_by: float | None) -> bool:
        """A timed voice's turn for a piece's first audio comes after its deadline."""
        if not guarded or self._heard or first_audio_by is None:
            return False
        return first_audio_by <= asyncio.get_running_loop().time()

    def _no_time_left(self, voice: SpeakingVoice) -> ProviderTimeout:
        """Why a timed voice is passed over: the voices before it used the whole budget
        (it was never asked, so no transport of it is blamed)."""
        assert self._budget is not None
        return ProviderTimeout(
            f"{voice.name} was not asked: no time left of the {self._budget.first_audio:g} s "
            "first-audio budget."
        )

    async def _within_budget(
        self, voice: SpeakingVoice, text: str, first_audio_by: float | None
    ) -> AsyncGenerator[PcmChunk]:
        """``voice.speak(text)``, abandoned with ProviderTimeout when audio is late."""
        assert self._budget is not None
        budget = self._budget
        loop = asyncio.get_running_loop()
        first = not self._heard
        if first and first_audio_by is not None:
            audio_by = first_audio_by
        else:
            audio_by = loop.time() + (budget.first_audio if first else budget.stall)
        attempt = Attempt(audio_by)
        with attempt_scope(attempt):
            audio = voice.speak(text)
        try:
            while True:
                with attempt_scope(attempt):
                    try:
                        async with asyncio.timeout_at(attempt.audio_by) as timer:
                            chunk = await anext(audio)
                    except StopAsyncIteration:
                        return
                    except TimeoutError:
                        if not timer.expired():
                            raise
                        reason = (
                            f"no audio within {budget.first_audio:g} s"
                            if first
                            else f"no audio for {budget.stall:g} s in the middle of the reply"
                        )
                        attempt.abandon(reason)
                        raise ProviderTimeout(f"{voice.name} gave {reason}.") from None
                first = False
                yield chunk
                attempt.audio_by = loop.time() + budget.stall
        finally:
            with attempt_scope(attempt):
                await audio.aclose()

    def _give_up_on(self, voice: SpeakingVoice, err: TtsError, text: str) -> None:
        """Record the failure and step to the next voice, or raise if there is none."""
        can_fall_back = self._index > 0 or err.code in FALLBACK_CODES
        if not can_fall_back:
            raise err
        self._failures.append((voice, err))
        if self._index + 1 >= len(self._links):
            if len(self._failures) == 1:
                raise err
            raise self._combined_error() from err
        self._index += 1
        log = _LOGGER.info if isinstance(err, CircuitOpen) else _LOGGER.warning
        log(
            "%s failed (%s) on “%s”: %s — %s speaks it and the rest of the reply",
            voice.name,
            err.code,
            preview(text),
            err.message.rstrip("."),
            self.current.name,
        )

    def _report_spoken(self, voice: SpeakingVoice, text: str) -> None:
        if self._announced:
            _LOGGER.debug("%s spoke “%s”", voice.name, preview(text))
            return
        self._announced = True
        first_voice, first_error = self._failures[0]
        log = _LOGGER.info if isinstance(first_error, CircuitOpen) else _LOGGER.warning
        log(
            "Fallback %s spoke “%s” in place of %s (%s)",
            voice.name,
            preview(text),
            first_voice.name,
            first_error.code,
        )

    def _combined_error(self) -> TtsError:
        """The first failure's code (the cause to act on), with what every voice said."""
        _, first = self._failures[0]
        later = "; ".join(f"{voice.name}: {err.message}" for voice, err in self._failures[1:])
        return type(first)(
            f"{first.message} The fallback could not speak either ({later}).",
            provider=first.provider,
        )
