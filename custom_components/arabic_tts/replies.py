"""Which voice spoke an entry's last replies, and why, for its diagnostics.

"Why did the kitchen answer in another voice?" is answered by the reply itself: the voice
asked for, the voices heard in order, and for each voice given up on, our error code and
sentence (``timeout`` with "gave no audio within 1 s" for a missed deadline,
``insufficient_funds`` for an empty wallet...), with every piece of the key removed.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import AsyncGenerator, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from homeassistant.util import dt as dt_util

from .core.audio import PcmChunk
from .core.errors import TtsError
from .core.fallback import FallbackVoice, SpeakingVoice
from .core.redact import Redactor

MAX_REPLIES = 10


@dataclass(frozen=True, slots=True)
class GivenUp:
    """A voice the reply stopped waiting for, and why."""

    voice: str
    code: str  # timeout (a missed deadline or a stall), insufficient_funds, ...
    message: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One reply as diagnostics show it."""

    time: str  # ISO 8601, UTC, when the reply ended
    kind: str  # "message" (a whole text) or "stream" (text still being written)
    requested: str  # the voice asked for: "tts.hamsa_text_to_speech (Salem)"
    spoken_by: list[str]  # voices heard, in the order they spoke
    given_up: list[GivenUp]  # voices given up on, in order (empty: no fallback)
    outcome: str  # "spoken" or the error code the user was shown


class HeardVoices:
    """Notes which voices of one reply produced audio, in order (wraps each voice)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def listen(self, voice: SpeakingVoice) -> FallbackVoice:
        """``voice``, noted in ``names`` when its audio starts."""
        speak = voice.speak

        async def speak_heard(text: str) -> AsyncGenerator[PcmChunk]:
            async with contextlib.aclosing(speak(text)) as audio:
                async for chunk in audio:
                    if not self.names or self.names[-1] != voice.name:
                        self.names.append(voice.name)
                    yield chunk

        return FallbackVoice(voice.name, speak_heard)


class ReplyLog:
    """The last ``MAX_REPLIES`` replies, newest last."""

    def __init__(self, secrets: Iterable[str | None], previous: ReplyLog | None = None) -> None:
        """``previous``: an earlier setup's log of the same entry, carried on."""
        self._redactor = Redactor(secrets)
        self._replies: deque[Reply] = deque(maxlen=MAX_REPLIES)
        if previous is not None:
            self._replies.extend(previous._replies)

    def record(
        self,
        kind: str,
        requested: str,
        spoken_by: list[str],
        given_up: list[tuple[str, TtsError]],
        outcome: str,
    ) -> None:
        """Keep one reply (the key removed from every text)."""
        self._replies.append(
            Reply(
                time=dt_util.utcnow().isoformat(timespec="seconds"),
                kind=kind,
                requested=requested,
                spoken_by=list(spoken_by),
                given_up=[
                    GivenUp(voice, err.code, self._redactor.text(err.message))
                    for voice, err in given_up
                ],
                outcome=outcome,
            )
        )

    def as_list(self) -> list[dict[str, Any]]:
        """The replies as plain values, oldest first."""
        return [asdict(reply) for reply in self._replies]

    @property
    def last(self) -> Reply | None:
        """The newest reply, if any."""
        return self._replies[-1] if self._replies else None
