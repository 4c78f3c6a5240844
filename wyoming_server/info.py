"""The Describe answer, built once at start-up so it never waits on the network.

Home Assistant gives up on Describe after one second, so nothing here may do I/O.
"""

from __future__ import annotations

from arabic_tts_core.voices import FASEEH, HAMSA
from wyoming.info import Attribution, Info, TtsProgram, TtsVoice

from . import __version__
from .voices import OFFLINE, VoiceCatalog, VoiceRoute

PROGRAM_NAME = "arabic-tts"
PROGRAM_DESCRIPTION = (
    "Arabic text to speech (Hamsa, Faseeh, offline espeak-ng) · تحويل النص العربي إلى كلام"
)
# Same address as the Home Assistant integration's manifest "documentation".
PROJECT_URL = "https://github.com/arabic-tts/wyoming-arabic-tts"
PROJECT_ATTRIBUTION = Attribution(name="wyoming-arabic-tts", url=PROJECT_URL)
PROVIDER_ATTRIBUTION: dict[str, Attribution] = {
    HAMSA: Attribution(name="Hamsa", url="https://tryhamsa.com"),
    FASEEH: Attribution(name="Faseeh", url="https://faseeh.ai"),
    OFFLINE: Attribution(name="espeak-ng", url="https://github.com/espeak-ng/espeak-ng"),
}


def voice_description(route: VoiceRoute) -> str:
    """English then Arabic, so both audiences read their own first words."""
    return f"{route.voice.description_en} · {route.voice.description_ar}"


def tts_voice(route: VoiceRoute) -> TtsVoice:
    """One advertised voice, under the language tags its route names."""
    return TtsVoice(
        name=route.name,
        description=voice_description(route),
        attribution=PROVIDER_ATTRIBUTION.get(route.voice.provider, PROJECT_ATTRIBUTION),
        installed=True,
        version=None,
        languages=list(route.advertised_languages),
    )


def build_info(catalog: VoiceCatalog) -> Info:
    """One TtsProgram with streaming support and every configured voice."""
    return Info(
        tts=[
            TtsProgram(
                name=PROGRAM_NAME,
                description=PROGRAM_DESCRIPTION,
                attribution=PROJECT_ATTRIBUTION,
                installed=True,
                version=__version__,
                voices=[tts_voice(route) for route in catalog.routes],
                supports_synthesize_streaming=True,
            )
        ]
    )
