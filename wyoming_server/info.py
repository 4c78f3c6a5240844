"""The Describe answer, built once at start-up so it never waits on the network.

Home Assistant gives up on Describe after one second, so nothing here may do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from arabic_tts_core.voices import FASEEH, HAMSA
from wyoming.info import Attribution, Info, TtsProgram, TtsVoice

from . import __version__
from .piper_voice import PiperService, PiperState
from .voices import OFFLINE, OFFLINE_VOICE_NAME, PIPER, VoiceCatalog, VoiceRoute

PROGRAM_NAME = "arabic-tts"
PROGRAM_DESCRIPTION = (
    "Arabic text to speech (Hamsa, Faseeh, offline Piper and espeak-ng) · "
    "تحويل النص العربي إلى كلام"
)
# Same address as the Home Assistant integration's manifest "documentation".
PROJECT_URL = "https://github.com/arabic-tts/wyoming-arabic-tts"
PROJECT_ATTRIBUTION = Attribution(name="wyoming-arabic-tts", url=PROJECT_URL)
PROVIDER_ATTRIBUTION: dict[str, Attribution] = {
    HAMSA: Attribution(name="Hamsa", url="https://tryhamsa.com"),
    FASEEH: Attribution(name="Faseeh", url="https://faseeh.ai"),
    OFFLINE: Attribution(name="espeak-ng", url="https://github.com/espeak-ng/espeak-ng"),
    PIPER: Attribution(name="Piper", url="https://github.com/OHF-Voice/piper1-gpl"),
}


@dataclass(frozen=True, slots=True)
class VoiceStatus:
    """What Describe says about a voice whose state changes while the server runs (the
    Piper voice while it downloads; ``offline-ar``, which speaks with it once ready)."""

    installed: bool = True
    note_en: str = ""
    note_ar: str = ""
    provider: str | None = None  # whose attribution, when not the voice's own


def voice_description(route: VoiceRoute, status: VoiceStatus | None = None) -> str:
    """English then Arabic, so both audiences read their own first words."""
    english, arabic = route.voice.description_en, route.voice.description_ar
    if status is not None and status.note_en:
        english = f"{english} — {status.note_en}"
    if status is not None and status.note_ar:
        arabic = f"{arabic} — {status.note_ar}"
    return f"{english} · {arabic}"


def tts_voice(route: VoiceRoute, status: VoiceStatus | None = None) -> TtsVoice:
    """One advertised voice, under the language tags its route names."""
    provider = (status.provider if status else None) or route.voice.provider
    return TtsVoice(
        name=route.name,
        description=voice_description(route, status),
        attribution=PROVIDER_ATTRIBUTION.get(provider, PROJECT_ATTRIBUTION),
        installed=status.installed if status else True,
        version=None,
        languages=list(route.advertised_languages),
    )


def build_info(catalog: VoiceCatalog, status: Mapping[str, VoiceStatus] | None = None) -> Info:
    """One TtsProgram with streaming support and every configured voice; ``status`` adds
    the current state of the voices whose state changes (by voice name)."""
    status = status or {}
    return Info(
        tts=[
            TtsProgram(
                name=PROGRAM_NAME,
                description=PROGRAM_DESCRIPTION,
                attribution=PROJECT_ATTRIBUTION,
                installed=True,
                version=__version__,
                voices=[tts_voice(route, status.get(route.name)) for route in catalog.routes],
                supports_synthesize_streaming=True,
            )
        ]
    )


def piper_status(piper: PiperService | None) -> dict[str, VoiceStatus]:
    """Describe's view of the Piper voice and of ``offline-ar``, which speaks with it."""
    if piper is None:
        return {}
    if piper.state is PiperState.READY:
        return {
            OFFLINE_VOICE_NAME: VoiceStatus(
                note_en=f"now {piper.name}", note_ar=f"الآن {piper.name}", provider=PIPER
            )
        }
    return {
        piper.name: VoiceStatus(installed=False, note_en=piper.status(), note_ar=piper.status_ar()),
        OFFLINE_VOICE_NAME: VoiceStatus(
            note_en=f"now espeak-ng ({piper.name} {piper.status()})",
            note_ar=f"الآن espeak-ng ({piper.name} {piper.status_ar()})",
        ),
    }
