"""Wyoming voice names → the provider client and settings that speak them.

Names are part of the contract (``hamsa-<Speaker>``, ``hamsa-<Speaker>-<dialect>``,
``hamsa-<uuid>``, ``faseeh-<voice_id>``, ``piper-kareem``, ``espeak-ar``, and ``offline-ar``:
the best offline voice present); bare names such as ``Salem`` are accepted too, because
people type them into automations. Home Assistant passes a Wyoming
server nothing but the voice name, so a Hamsa name carries speaker and dialect. Any
``hamsa-…`` name is spoken, advertised or not: Hamsa may know speakers we do not.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass, field, replace

from arabic_tts_core.audio import PcmChunk
from arabic_tts_core.errors import TtsError, UnknownVoice
from arabic_tts_core.faseeh import FaseehClient, FaseehVoiceSettings
from arabic_tts_core.hamsa import HamsaClient, HamsaVoiceSettings
from arabic_tts_core.hamsa_voices import (
    FUSHA,
    HAMSA_DEFAULT_SPEAKER,
    builtin_hamsa_voices,
    hamsa_custom_voice,
    hamsa_voice,
    is_uuid,
    offered_voices,
    parse_voice_id,
)
from arabic_tts_core.offline import OfflineClient, OfflineVoiceSettings
from arabic_tts_core.providers import sentence_options
from arabic_tts_core.streaming import Speak
from arabic_tts_core.voices import FASEEH_DEFAULT_VOICE, Voice, builtin_faseeh_voices, merge_voices
from wyoming.tts import SynthesizeVoice

from .events import echo
from .piper_voice import PiperService

_LOGGER = logging.getLogger(__name__)

HAMSA_PREFIX = "hamsa-"
# What may follow "hamsa-" in a typed name (a speaker, a clone's UUID, a dialect code):
# anything else, such as control characters or a megabyte of text, is no voice and is
# refused before it reaches a log line or Hamsa.
TYPED_HAMSA_NAME = re.compile(r"[\w-]{1,100}")
FASEEH_PREFIX = "faseeh-"
OFFLINE = "offline"
PIPER = "piper"
OFFLINE_VOICE_NAME = "offline-ar"  # the best offline voice present: Piper, else espeak-ng
ESPEAK_VOICE_NAME = "espeak-ar"


@dataclass(frozen=True, slots=True)
class VoiceRoute:
    """One advertised voice: its Wyoming name, description and how to speak with it."""

    name: str
    voice: Voice
    speak: Speak = field(compare=False)
    sentence_options: dict[str, int] = field(default_factory=dict, compare=False)
    # Language tags to advertise it under; empty: the voice's own (``ar`` + regional).
    languages: tuple[str, ...] = field(default=(), compare=False)

    @property
    def advertised_languages(self) -> tuple[str, ...]:
        """What Describe lists this voice under."""
        return self.languages or self.voice.all_languages


def hamsa_route(client: HamsaClient, voice: Voice, languages: tuple[str, ...] = ()) -> VoiceRoute:
    """Route for a Hamsa speaker (or cloned voice) in the voice's dialect."""
    speaker = parse_voice_id(voice.voice_id)[0]
    settings = HamsaVoiceSettings(speaker=speaker, dialect=voice.dialect or FUSHA)

    def speak(text: str) -> AsyncGenerator[PcmChunk]:
        return client.synthesize(text, settings)

    return VoiceRoute(
        HAMSA_PREFIX + voice.voice_id, voice, speak, sentence_options(client), languages
    )


def hamsa_typed_route(client: HamsaClient, name: str) -> VoiceRoute:
    """Route for any ``hamsa-…`` name nobody advertised: the speaker as typed, in the
    dialect it names, else the speaker's own (Fusha for names the catalogue lacks)."""
    speaker, dialect = parse_voice_id(name[len(HAMSA_PREFIX) :])
    if is_uuid(speaker):
        voice = hamsa_custom_voice(speaker, dialect=dialect)
    else:
        voice = hamsa_voice(speaker, dialect)
    return hamsa_route(client, voice)


def faseeh_route(client: FaseehClient, voice: Voice, template: FaseehVoiceSettings) -> VoiceRoute:
    """Route for a Faseeh voice with the configured model, dialect and sample rate."""
    settings = replace(template, voice_id=voice.voice_id)

    def speak(text: str) -> AsyncGenerator[PcmChunk]:
        return client.synthesize(text, settings)

    return VoiceRoute(FASEEH_PREFIX + voice.voice_id, voice, speak, sentence_options(client))


def espeak_voice() -> Voice:
    """espeak-ng's Arabic voice; its id is the Wyoming name, so "ar" is no alias for it."""
    return Voice(
        provider=OFFLINE,
        voice_id=ESPEAK_VOICE_NAME,
        name="espeak-ng Arabic",
        language="ar",
        description_en="Offline Arabic (espeak-ng, robotic; needs no internet and no key)",
        description_ar="عربي دون اتصال (espeak-ng، صوت آلي؛ بلا إنترنت ولا مفتاح)",
    )


def offline_voice(*, with_piper: bool = False) -> Voice:
    """``offline-ar``: whichever offline voice is best right now (see ``offline_route``)."""
    if not with_piper:
        return replace(espeak_voice(), voice_id=OFFLINE_VOICE_NAME)
    return Voice(
        provider=OFFLINE,
        voice_id=OFFLINE_VOICE_NAME,
        name="Offline Arabic",
        language="ar",
        description_en="Offline Arabic: the neural Piper voice once its file is ready, "
        "else espeak-ng (needs no internet and no key)",
        description_ar="عربي دون اتصال: صوت Piper العصبي متى جهز ملفه، وإلا espeak-ng "
        "(بلا إنترنت ولا مفتاح)",
    )


def piper_voice(piper: PiperService) -> Voice:
    """The Piper voice, under ``ar`` and its region (Kareem: ``ar-JO``)."""
    region = (piper.source.catalog.key if piper.source.catalog else piper.source.model.name)[:5]
    language = region.replace("_", "-") if re.fullmatch(r"ar_[A-Z]{2}", region) else "ar"
    return Voice(
        provider=PIPER,
        voice_id=piper.name,
        name=f"{piper.name.removeprefix('piper-').capitalize()} (Piper)",
        language=language,
        description_en=f"Offline neural Arabic (Piper {piper.source.model.name}; needs no "
        "internet and no key)",
        description_ar=f"عربي عصبي دون اتصال (Piper {piper.source.model.name}؛ "
        "بلا إنترنت ولا مفتاح)",
    )


def espeak_route(client: OfflineClient) -> VoiceRoute:
    """Route for espeak-ng's Arabic voice at its own speed."""
    settings = OfflineVoiceSettings()

    def speak(text: str) -> AsyncGenerator[PcmChunk]:
        return client.synthesize(text, settings)

    return VoiceRoute(ESPEAK_VOICE_NAME, espeak_voice(), speak)


def piper_route(piper: PiperService) -> VoiceRoute:
    """Route for the Piper voice (unavailable while it downloads or loads)."""
    return VoiceRoute(piper.name, piper_voice(piper), piper.speak)


def offline_route(client: OfflineClient, piper: PiperService | None = None) -> VoiceRoute:
    """``offline-ar``: the Piper voice once it is loaded, else espeak-ng, which also speaks
    when the Piper voice fails before its first audio (espeak-ng is the last resort)."""
    espeak = espeak_route(client).speak
    if piper is None:
        return VoiceRoute(OFFLINE_VOICE_NAME, offline_voice(), espeak)

    async def speak(text: str) -> AsyncGenerator[PcmChunk]:
        if piper.ready:
            spoke = False
            try:
                async with contextlib.aclosing(piper.speak(text)) as audio:
                    async for chunk in audio:
                        spoke = True
                        yield chunk
                return
            except TtsError as err:
                if spoke:
                    raise
                _LOGGER.warning(
                    "%s failed (%s): %s — espeak-ng speaks for %s",
                    piper.name,
                    err.code,
                    err.message.rstrip("."),
                    OFFLINE_VOICE_NAME,
                )
        async with contextlib.aclosing(espeak(text)) as audio:
            async for chunk in audio:
                yield chunk

    return VoiceRoute(OFFLINE_VOICE_NAME, offline_voice(with_piper=True), speak)


class VoiceCatalog:
    """Every voice this server offers, with the default first."""

    def __init__(
        self,
        routes: Iterable[VoiceRoute],
        default: VoiceRoute,
        hamsa: HamsaClient | None = None,
        prepare: Callable[[VoiceRoute], VoiceRoute] | None = None,
    ) -> None:
        self._routes = {route.name: route for route in routes}
        self.default = default
        self._hamsa = hamsa
        self._prepare = prepare
        self._by_lower: dict[str, VoiceRoute] = {}
        for route in self._routes.values():
            self._by_lower.setdefault(route.name.lower(), route)
        # Bare names ("Salem", a UUID, "ar-najdi-male-2", "Fahad"): first provider wins.
        for route in self._routes.values():
            self._by_lower.setdefault(route.voice.voice_id.lower(), route)
        for route in self._routes.values():
            self._by_lower.setdefault(route.voice.name.lower(), route)

    @property
    def routes(self) -> list[VoiceRoute]:
        """Voices in advertising order."""
        return list(self._routes.values())

    def prepared(self, prepare: Callable[[VoiceRoute], VoiceRoute]) -> VoiceCatalog:
        """The same voices, each passed through ``prepare`` (the text front-end), and so is
        every voice typed later (``hamsa-<any name>``), which is made when it is asked for."""
        routes = [prepare(route) for route in self.routes]
        by_name = {route.name: route for route in routes}
        return VoiceCatalog(routes, by_name[self.default.name], self._hamsa, prepare)

    def resolve(self, voice: SynthesizeVoice | None) -> VoiceRoute:
        """The route for a request's voice; no voice means the default."""
        if voice is None or (not voice.name and not voice.language):
            return self.default
        if voice.name:
            route = self._routes.get(voice.name) or self._by_lower.get(voice.name.lower())
            if route is not None:
                return route
            typed = voice.name.strip()
            if (
                self._hamsa is not None
                and typed.lower().startswith(HAMSA_PREFIX)
                and TYPED_HAMSA_NAME.fullmatch(typed[len(HAMSA_PREFIX) :])
            ):
                route = hamsa_typed_route(self._hamsa, typed)
                return self._prepare(route) if self._prepare is not None else route
            raise UnknownVoice(
                f"There is no voice named {echo(voice.name)}. Ask the server to describe "
                "itself for the list of voices (for example hamsa-Ali, hamsa-Mariam-ksa "
                "or faseeh-ar-najdi-male-2)."
            )
        assert voice.language is not None
        return self._for_language(voice.language)

    def _for_language(self, language: str) -> VoiceRoute:
        """Default voice if it speaks ``language``, else the first voice that does."""
        wanted = language.replace("_", "-").lower()
        candidates = [self.default, *self._routes.values()]
        for matches in (
            lambda route: route.voice.language.lower() == wanted,
            lambda route: wanted in (tag.lower() for tag in route.voice.all_languages),
            lambda route: route.voice.language.split("-")[0].lower() == wanted.split("-")[0],
        ):
            for route in candidates:
                if matches(route):
                    return route
        raise UnknownVoice(f"There is no voice for language {echo(language)}.")


def build_catalog(
    *,
    hamsa: HamsaClient | None,
    faseeh: FaseehClient | None,
    offline: OfflineClient | None = None,
    piper: PiperService | None = None,
    custom_voices: Iterable[str] = (),
    faseeh_settings: FaseehVoiceSettings | None = None,
    faseeh_live_voices: Iterable[Voice] = (),
) -> VoiceCatalog:
    """Voices of the configured providers; the default is the first provider's default.

    Hamsa offers every speaker in every dialect (``offered_voices``): ``hamsa-<Speaker>``
    under ``ar`` and its own dialect's tag, ``hamsa-<Speaker>-<dialect>`` under that
    dialect's tag only, so each Home Assistant language lists each speaker once. Faseeh
    offers its built-in catalogue merged with the account's live voice list (which wins:
    most real voice ids are opaque). The offline voices come last (``offline-ar``, then
    ``espeak-ar``, then the Piper voice), and ``offline-ar`` is the default only when no
    cloud key is given: a configured cloud voice sounds far better. The Piper voice needs
    espeak-ng (its phonemes come from it).
    """
    routes: list[VoiceRoute] = []
    if hamsa is not None:
        speakers = [
            *builtin_hamsa_voices(),
            *(hamsa_custom_voice(voice_id) for voice_id in dict.fromkeys(custom_voices)),
        ]
        routes.extend(
            hamsa_route(hamsa, voice, languages) for voice, languages in offered_voices(speakers)
        )
    if faseeh is not None:
        template = faseeh_settings or FaseehVoiceSettings()
        voices = merge_voices(builtin_faseeh_voices(), faseeh_live_voices)
        routes.extend(faseeh_route(faseeh, voice, template) for voice in voices)
    if offline is not None:
        routes.append(offline_route(offline, piper))
        routes.append(espeak_route(offline))
        if piper is not None:
            routes.append(piper_route(piper))
    if not routes:
        raise ValueError("no provider is configured")
    by_name = {route.name: route for route in routes}
    if hamsa is not None:
        default_name = HAMSA_PREFIX + HAMSA_DEFAULT_SPEAKER
    elif faseeh is not None:
        default_name = FASEEH_PREFIX + FASEEH_DEFAULT_VOICE
    else:
        default_name = OFFLINE_VOICE_NAME
    return VoiceCatalog(routes, by_name[default_name], hamsa)
