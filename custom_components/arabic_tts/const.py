"""Constants for the Arabic TTS integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "arabic_tts"

CONF_PROVIDER: Final = "provider"
PROVIDER_HAMSA: Final = "hamsa"
PROVIDER_FASEEH: Final = "faseeh"
PROVIDERS: Final = (PROVIDER_HAMSA, PROVIDER_FASEEH)
PROVIDER_NAMES: Final = {PROVIDER_HAMSA: "Hamsa", PROVIDER_FASEEH: "Faseeh"}

# Optional endpoint overrides (stored in entry data only when set), shown in a collapsed
# form section. Faseeh has a UAE region and is being renamed Munsit; tests point at fakes.
CONF_WS_URL: Final = "ws_url"
CONF_API_URL: Final = "api_url"
SECTION_ENDPOINTS: Final = "endpoints"
# Faseeh's region (entry data): "global" or "uae"; keys work only in their own region.
CONF_REGION: Final = "region"

# Options (entry.options).
CONF_VOICE: Final = "voice"
CONF_DIALECT: Final = "dialect"
CONF_MODEL: Final = "model"
CONF_SPEED: Final = "speed"
CONF_STABILITY: Final = "stability"
CONF_CUSTOM_VOICES: Final = "custom_voices"
# Text front-end steps for this entry (core/frontend/policy.py); absent = the engine's default.
CONF_TEXT_STEPS: Final = "text_steps"
# The user's pronunciation lexicon, as typed (core/frontend/user_lexicon.py); absent = none.
CONF_LEXICON: Final = "lexicon"
CONF_TRANSPORT: Final = "transport"  # Faseeh: auto | websocket | rest
CONF_SAMPLE_RATE: Final = "sample_rate"  # Faseeh: 8000 | 16000 | 22050 | 24000
# The TTS entity that speaks when this entry's provider is late or fails (absent: none),
# and how long the provider may take to its first audio before it does (seconds).
CONF_FALLBACK_VOICE: Final = "fallback_voice"
CONF_FIRST_AUDIO_DEADLINE: Final = "first_audio_deadline"
FIRST_AUDIO_DEADLINE_MIN: Final = 0.3
FIRST_AUDIO_DEADLINE_MAX: Final = 10.0

# Per-request TTS options (beside the HA standard "voice").
ATTR_DIALECT: Final = "dialect"
ATTR_MODEL: Final = "model"
ATTR_SPEED: Final = "speed"
ATTR_STABILITY: Final = "stability"

# Dialect "auto": Hamsa, the built-in speaker's own dialect (Fusha for cloned voices);
# Faseeh, the provider's own choice (its other dialects, emirati and fusha, need REST).
DIALECT_AUTO: Final = "auto"

SPEED_MIN: Final = 0.7
SPEED_MAX: Final = 1.2
STABILITY_MIN: Final = 0.0
STABILITY_MAX: Final = 1.0

# Best-effort live listings (voices, models) never hold up setup or a form for longer.
LIST_TIMEOUT: Final = 5.0

ISSUE_INSUFFICIENT_FUNDS: Final = "insufficient_funds"
