"""When a cloud voice fails, the rest of the reply is spoken by the next voice in line.

The chain is: the requested voice → ``--fallback-voice`` (if any) → the offline voice
(``--fallback offline``). A smart home must still say "the front door is open" when the
wallet is empty or the internet is down, so a failure the user did not cause is not the
end of the reply.

What "the rest" is, precisely: a *piece* is what one ``speak`` call sends upstream in one
request, i.e. the whole text of a plain ``synthesize`` and one sentence of a streaming
request (sentences joined to the provider's minimum length). The piece that was being
spoken when the failure came is spoken again, from its start, by the next voice; pieces
that finished are never repeated; every later piece of the reply goes straight to the
voice that last worked (a provider that just refused the key or timed out is not asked
again in the same reply, so one failure costs one timeout, not one per sentence). A plain
request is one upstream request with no progress report per sentence, so a break after
some audio means the offline voice says the whole text again: the listener may hear the
start twice but never loses a word.

Audio format: the relay keeps the format of the first audio of a reply and resamples any
later voice to it, so a reply that started in the cloud voice's rate stays in it; a reply
whose first audio is the fallback's starts in that voice's own format (espeak-ng: 22050 Hz)
rather than being resampled for nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

from arabic_tts_core.audio import PcmChunk
from arabic_tts_core.errors import (
    AuthFailed,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TtsError,
)

from .voices import VoiceRoute

_LOGGER = logging.getLogger(__name__)

# Failures the user did not cause: another voice can still speak the text. bad_request
# and unknown_voice are the request's own mistakes and are reported, not papered over.
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


@dataclass(frozen=True, slots=True)
class FallbackPolicy:
    """The voices that take over, in order, when the requested one fails (may be none)."""

    voices: tuple[VoiceRoute, ...] = ()

    def chain(self, route: VoiceRoute) -> FallbackChain:
        """A fresh chain for one reply; the requested voice is never its own fallback."""
        seen = {route.name}
        links = [route]
        for voice in self.voices:
            if voice.name not in seen:
                seen.add(voice.name)
                links.append(voice)
        return FallbackChain(links)

    @property
    def names(self) -> list[str]:
        """Voice names in order, for the start-up log."""
        return [voice.name for voice in self.voices]


class FallbackChain:
    """One reply's voices in order; ``speak`` is a drop-in for a route's ``speak``.

    State lives for one reply only: the next reply asks the requested voice again.
    """

    def __init__(self, links: Sequence[VoiceRoute]) -> None:
        if not links:
            raise ValueError("a chain needs at least the requested voice")
        self._links = list(links)
        self._index = 0
        self._failures: list[tuple[VoiceRoute, TtsError]] = []
        self._announced = False

    @property
    def current(self) -> VoiceRoute:
        """The voice that speaks the next piece."""
        return self._links[self._index]

    async def speak(self, text: str) -> AsyncGenerator[PcmChunk]:
        """Speak one piece, moving down the chain on failure (see module docstring)."""
        while True:
            route = self.current
            try:
                async with contextlib.aclosing(route.speak(text)) as audio:
                    async for chunk in audio:
                        yield chunk
            except TtsError as err:
                self._give_up_on(route, err, text)
                continue
            if self._index:
                self._report_spoken(route, text)
            return

    def _give_up_on(self, route: VoiceRoute, err: TtsError, text: str) -> None:
        """Record the failure and step to the next voice, or raise if there is none."""
        can_fall_back = self._index > 0 or err.code in FALLBACK_CODES
        if not can_fall_back:
            raise err
        self._failures.append((route, err))
        if self._index + 1 >= len(self._links):
            if len(self._failures) == 1:
                raise err
            raise self._combined_error() from err
        self._index += 1
        _LOGGER.warning(
            "%s failed (%s) on “%s”: %s — %s speaks it and the rest of the reply",
            route.name,
            err.code,
            preview(text),
            err.message.rstrip("."),
            self.current.name,
        )

    def _report_spoken(self, route: VoiceRoute, text: str) -> None:
        if self._announced:
            _LOGGER.debug("%s spoke “%s”", route.name, preview(text))
            return
        self._announced = True
        first_route, first_error = self._failures[0]
        _LOGGER.warning(
            "Fallback %s spoke “%s” in place of %s (%s)",
            route.name,
            preview(text),
            first_route.name,
            first_error.code,
        )

    def _combined_error(self) -> TtsError:
        """The first failure's code (the cause to act on), with what every voice said."""
        _, first = self._failures[0]
        later = "; ".join(f"{route.name}: {err.message}" for route, err in self._failures[1:])
        return type(first)(
            f"{first.message} The fallback could not speak either ({later}).",
            provider=first.provider,
        )
