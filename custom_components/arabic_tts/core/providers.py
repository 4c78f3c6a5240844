"""What both front doors need to know about a provider client, in one place."""

from __future__ import annotations

from .faseeh import MIN_CHARS as FASEEH_MIN_CHARS
from .faseeh import MIN_WORDS as FASEEH_MIN_WORDS
from .faseeh import FaseehClient, FaseehVoiceSettings
from .hamsa import HamsaClient, HamsaVoiceSettings

ProviderClient = HamsaClient | FaseehClient
VoiceSettings = HamsaVoiceSettings | FaseehVoiceSettings


def sentence_options(client: ProviderClient) -> dict[str, int]:
    """Splitter limits so no piece is shorter than the provider accepts."""
    if isinstance(client, FaseehClient):
        return {"min_chars": FASEEH_MIN_CHARS, "min_words": FASEEH_MIN_WORDS}
    return {}
