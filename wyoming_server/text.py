"""The text front-end in the server: one policy per engine, applied where voices speak.

Markup (SSML, markdown) is cleaned once per reply, before sentences are split, following
the policy of the voice that was asked for; every voice then prepares the cleaned text
its own way (words, numbers, tashkeel, pauses) inside its ``speak``, so a fallback voice
gets what suits it, not what suited the voice that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass, field

from arabic_tts_core.errors import BadRequest
from arabic_tts_core.frontend import (
    EngineText,
    TextPolicy,
    Vowelizer,
    clean_markup_async,
    clean_markup_stream,
    tashkeel_available,
)
from arabic_tts_core.frontend.policy import TASHKEEL
from arabic_tts_core.text import has_words

from .lexicon import LexiconFile
from .voices import OFFLINE, PIPER, VoiceCatalog, VoiceRoute

_LOGGER = logging.getLogger(__name__)

ENGINES = ("hamsa", "faseeh", OFFLINE)
# Engines that share another's steps: the Piper voice is an offline voice (--offline-text).
SHARED_POLICY = {PIPER: OFFLINE}
NOTHING_TO_SAY = "The text has nothing to speak once its markup is removed."


@dataclass
class ServerText:
    """Each engine's policy and the shared tashkeel model."""

    policies: dict[str, TextPolicy] = field(
        default_factory=lambda: {engine: TextPolicy() for engine in ENGINES}
    )
    vowelizer: Vowelizer | None = None
    lexicon: LexiconFile | None = None  # --lexicon: applied for every voice
    _warm_task: asyncio.Task[None] | None = None

    @classmethod
    def create(
        cls, policies: dict[str, TextPolicy], lexicon: LexiconFile | None = None
    ) -> ServerText:
        """Policies as configured; tashkeel is dropped (and logged) without its model."""
        wants_tashkeel = any(policy.tashkeel for policy in policies.values())
        if wants_tashkeel and not tashkeel_available():
            _LOGGER.warning(
                "Tashkeel is not installed, so the offline voice reads unvowelled text: "
                "pip install 'wyoming-arabic-tts[tashkeel]'"
            )
            policies = {
                engine: TextPolicy(policy.steps - {TASHKEEL}) for engine, policy in policies.items()
            }
            wants_tashkeel = False
        return cls(dict(policies), Vowelizer() if wants_tashkeel else None, lexicon)

    def policy(self, route: VoiceRoute) -> TextPolicy:
        """The policy of a voice's engine."""
        engine = SHARED_POLICY.get(route.voice.provider, route.voice.provider)
        return self.policies.get(engine, TextPolicy())

    def apply(self, catalog: VoiceCatalog) -> VoiceCatalog:
        """The same voices, each speaking through its engine's text preparation."""
        return catalog.prepared(self._wrap)

    def _wrap(self, route: VoiceRoute) -> VoiceRoute:
        engine = EngineText(
            self.policy(route),
            name=route.name,
            break_tags=route.voice.provider == "faseeh",
            vowelizer=self.vowelizer,
            lexicon=self.lexicon,
        )
        return dataclasses.replace(route, speak=engine.wrap(route.speak))

    def start(self) -> None:
        """Load the tashkeel model in the background, so no request waits for it; watch
        the lexicon file."""
        if self.lexicon is not None:
            self.lexicon.start()
        if self.vowelizer is not None and self._warm_task is None:
            self._warm_task = asyncio.create_task(
                asyncio.to_thread(self.vowelizer.load), name="load tashkeel model"
            )

    async def close(self) -> None:
        """Stop watching the lexicon; wait for (or give up on) the model load."""
        if self.lexicon is not None:
            await self.lexicon.close()
        if self._warm_task is not None:
            with contextlib.suppress(Exception):
                await self._warm_task

    async def clean_text(self, route: VoiceRoute, text: str, ssml: bool | None) -> str:
        """The markup step on a plain request; BadRequest when nothing is left to say."""
        if not self.policy(route).markup:
            return text
        cleaned = await clean_markup_async(text, ssml)
        if not has_words(cleaned):
            raise BadRequest(NOTHING_TO_SAY)
        return cleaned

    def clean_stream(
        self, route: VoiceRoute, chunks: AsyncIterable[str], ssml: bool | None
    ) -> AsyncIterable[str]:
        """The markup step on a streamed request."""
        if not self.policy(route).markup:
            return chunks
        return _require_words(clean_markup_stream(chunks, ssml))


async def _require_words(chunks: AsyncGenerator[str]) -> AsyncGenerator[str]:
    """Pass the cleaned text on; a stream that had text but nothing speakable is refused."""
    spoke = False
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            spoke = spoke or has_words(chunk)
            yield chunk
    if not spoke:
        raise BadRequest(NOTHING_TO_SAY)
