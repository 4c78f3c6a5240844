"""What the probe is told about each account: the server's own settings (keys included:
never print these objects; they have no ``repr`` of their own for that reason)."""

from __future__ import annotations

from dataclasses import dataclass, field

from arabic_tts_core.faseeh import FaseehVoiceSettings
from arabic_tts_core.hamsa_voices import own_dialect, parse_voice_id

# A fixed sentence: five words and 29 characters ("Hello, this is a short voice test."),
# enough for Faseeh's minimum (3 words, 10 characters) and cheap on every plan.
PROBE_TEXT = "مرحبا، هذا اختبار قصير للصوت."


@dataclass(frozen=True, slots=True)
class HamsaProbeConfig:
    """The server's Hamsa settings, as the flags give them."""

    api_key: str = field(repr=False)
    ws_url: str
    api_url: str
    pool_size: int
    connect_interval: float
    timeout: float
    voice: str  # a speaker, "Speaker-dialect", or a cloned voice's UUID

    @property
    def speaker_and_dialect(self) -> tuple[str, str]:
        """The speaker and dialect the voice names (the speaker's own dialect if none)."""
        speaker, dialect = parse_voice_id(self.voice)
        return speaker, dialect or own_dialect(speaker)


@dataclass(frozen=True, slots=True)
class FaseehProbeConfig:
    """The server's Faseeh settings, as the flags give them."""

    api_key: str = field(repr=False)
    ws_url: str
    api_url: str
    own_api_url: bool  # given with --faseeh-api-url: the other region is not asked
    region: str
    transport: str  # auto | websocket | rest
    settings: FaseehVoiceSettings
    timeout: float
