"""Text-to-speech entity: whole-text WAV and streaming WAV while the text is being written."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Mapping
from functools import partial
from typing import Any, NoReturn

from homeassistant.components.tts import (
    ATTR_VOICE,
    TextToSpeechEntity,
    TTSAudioResponse,
    TtsAudioType,
)
from homeassistant.components.tts import Voice as TtsVoice
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import ArabicTtsConfigEntry, insufficient_funds_issue_id
from .const import (
    ATTR_DIALECT,
    ATTR_MODEL,
    ATTR_SPEED,
    ATTR_STABILITY,
    CONF_DIALECT,
    CONF_LEXICON,
    CONF_MODEL,
    CONF_PROVIDER,
    CONF_SAMPLE_RATE,
    CONF_SPEED,
    CONF_STABILITY,
    CONF_TEXT_STEPS,
    CONF_VOICE,
    DIALECT_AUTO,
    DOMAIN,
    ISSUE_INSUFFICIENT_FUNDS,
    PROVIDER_HAMSA,
    PROVIDER_NAMES,
)
from .core.audio import AudioFormat, PcmChunk, resample, wav_header
from .core.errors import AuthFailed, BadRequest, InsufficientFunds, TtsError, UnknownVoice
from .core.faseeh import DEFAULT_RATE as FASEEH_RATE
from .core.faseeh import FaseehClient, FaseehVoiceSettings
from .core.frontend import (
    HA_STEPS,
    EngineText,
    TextPolicy,
    UserLexicon,
    clean_markup_async,
    clean_markup_stream,
)
from .core.hamsa import PCM_RATE as HAMSA_RATE
from .core.hamsa import HamsaClient, HamsaVoiceSettings
from .core.hamsa_voices import hamsa_language_tags, offered_voices
from .core.providers import VoiceSettings, sentence_options
from .core.streaming import synthesize_stream
from .core.text import has_words
from .core.voices import FASEEH_DEFAULT_MODEL, Voice, all_language_tags
from .provider import default_voice, faseeh_settings, hamsa_settings, voice_label

_LOGGER = logging.getLogger(__name__)

# Requests run one after another per socket; the client opens more sockets as needed.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArabicTtsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's TTS entity (the user's lexicon compiled in the executor)."""
    lexicon: UserLexicon | None = None
    if text := entry.options.get(CONF_LEXICON):
        lexicon, _problems = await hass.async_add_executor_job(UserLexicon.parse, text)
    async_add_entities([ArabicTtsEntity(entry, lexicon)])


class ArabicTtsEntity(TextToSpeechEntity):
    """One provider account as a streaming TTS engine."""

    _attr_has_entity_name = True
    _attr_translation_key = "speech"

    def __init__(self, entry: ArabicTtsConfigEntry, lexicon: UserLexicon | None = None) -> None:
        """Take the client and the configured choices from the entry; ``lexicon`` is the
        user's pronunciations (validated by the options flow), applied before every step."""
        self._entry = entry
        self._provider: str = entry.data[CONF_PROVIDER]
        self._client = entry.runtime_data.client
        self._voices: dict[str, Voice] = {v.voice_id: v for v in entry.runtime_data.voices}
        self._voices_listed = entry.runtime_data.voices_listed
        options = entry.options
        self._sample_rate = int(options.get(CONF_SAMPLE_RATE) or FASEEH_RATE)
        provider_name = PROVIDER_NAMES[self._provider]
        self._attr_unique_id = entry.entry_id
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            # No model: Home Assistant cannot translate one, and these screens are Arabic.
            manufacturer=provider_name,
            name=entry.title,
            entry_type=DeviceEntryType.SERVICE,
        )
        languages = all_language_tags()
        if self._provider != PROVIDER_HAMSA:
            # English is a Hamsa dialect; Faseeh speaks Arabic only.
            languages = [tag for tag in languages if not tag.startswith("en")]
        else:
            # Plain ar, each dialect's tag (Fusha: ar-001), en: any speaker in any of them.
            languages = hamsa_language_tags()
        self._attr_supported_languages = languages
        self._hamsa_offer: dict[str, list[Voice]] = {}
        if self._provider == PROVIDER_HAMSA:
            for voice, tags in offered_voices(self._voices.values()):
                for tag in tags:
                    self._hamsa_offer.setdefault(tag.lower(), []).append(voice)
        self._attr_default_language = "ar"
        defaults: dict[str, Any] = {
            ATTR_VOICE: options.get(CONF_VOICE) or default_voice(self._provider)
        }
        if self._provider == PROVIDER_HAMSA:
            self._attr_supported_options = [ATTR_VOICE, ATTR_DIALECT]
            defaults[ATTR_DIALECT] = options.get(CONF_DIALECT) or DIALECT_AUTO
        else:
            self._attr_supported_options = [
                ATTR_VOICE,
                ATTR_MODEL,
                ATTR_SPEED,
                ATTR_STABILITY,
                ATTR_DIALECT,
            ]
            defaults[ATTR_MODEL] = options.get(CONF_MODEL) or FASEEH_DEFAULT_MODEL
            defaults[ATTR_DIALECT] = options.get(CONF_DIALECT) or DIALECT_AUTO
            for option, key in ((ATTR_SPEED, CONF_SPEED), (ATTR_STABILITY, CONF_STABILITY)):
                if options.get(key) is not None:
                    defaults[option] = options[key]
        self._attr_default_options = defaults
        # The text front-end (SSML, markdown, Latin words, numbers); Faseeh reads <break>.
        steps = options.get(CONF_TEXT_STEPS)
        policy = (
            TextPolicy.of(step for step in steps if step in HA_STEPS)
            if steps is not None
            else TextPolicy.of(
                step for step in TextPolicy.default_for(self._provider).steps if step in HA_STEPS
            )
        )
        self._text = EngineText(
            policy, name=entry.title, break_tags=self._provider != PROVIDER_HAMSA, lexicon=lexicon
        )

    # --- voices -------------------------------------------------------------------------

    @callback
    def async_get_supported_voices(self, language: str) -> list[TtsVoice]:
        """Voices for a language: regional voices first match, Arabic ones for ``ar``.

        Hamsa: a dialect's tag lists every speaker in that dialect (ids such as
        ``Hiba-egy``), plain ``ar`` each speaker in its own dialect.
        """
        ui_language = self.hass.config.language or "en"
        base = language.split("-", maxsplit=1)[0].split("_", maxsplit=1)[0].lower()
        if self._provider == PROVIDER_HAMSA:
            offer = self._hamsa_offer.get(language.replace("_", "-").lower())
            if offer is None:
                offer = self._hamsa_offer.get(base, [])
            return [TtsVoice(v.voice_id, voice_label(v, ui_language)) for v in offer]
        candidates = [v for v in self._voices.values() if v.language.split("-")[0] == base]
        if "-" in language or "_" in language:
            regional = [
                v for v in candidates if v.language.lower() == language.replace("_", "-").lower()
            ]
            candidates = regional + [v for v in candidates if v.custom]
        return [TtsVoice(v.voice_id, voice_label(v, ui_language)) for v in candidates]

    # --- synthesis ----------------------------------------------------------------------

    def _settings(self, options: Mapping[str, Any]) -> VoiceSettings:
        """Request settings; a voice that cannot be spoken is refused before any call.

        Hamsa speaker names pass through: its real speaker list is longer than the
        catalogue and the provider itself says no (reported the same way, by name).
        A Faseeh voice must be in the live list or the catalogue.
        """
        merged = {**(self.default_options or {}), **options}
        if self._provider == PROVIDER_HAMSA:
            return hamsa_settings(merged, self._voices)
        try:
            # The sample rate is the entry's choice, not a per-request option.
            settings = faseeh_settings({**merged, CONF_SAMPLE_RATE: self._sample_rate})
        except ValueError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="invalid_option",
                translation_placeholders={"message": str(err)},
            ) from err
        if settings.voice_id not in self._voices and self._voices_listed:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="voice_not_found",
                translation_placeholders={
                    "provider": PROVIDER_NAMES[self._provider],
                    "voice": settings.voice_id,
                },
            )
        return settings

    def _speak(self, text: str, settings: VoiceSettings) -> AsyncGenerator[PcmChunk]:
        client = self._client
        if isinstance(client, HamsaClient) and isinstance(settings, HamsaVoiceSettings):
            return client.synthesize(text, settings)
        if isinstance(client, FaseehClient) and isinstance(settings, FaseehVoiceSettings):
            return client.synthesize(text, settings)
        raise TypeError(f"{type(settings).__name__} does not fit {client!r}")

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Speak a whole message; return a complete WAV file."""
        settings = self._settings(options)
        fmt: AudioFormat | None = None
        parts: list[bytes] = []
        try:
            cleaned = await self._async_clean(message)
            audio = self._text.wrap(partial(self._speak, settings=settings))(cleaned)
            async with contextlib.aclosing(audio):
                async for chunk in audio:
                    fmt = fmt or chunk.format
                    parts.append(_convert(chunk, fmt))
        except TtsError as err:
            self._raise(err, settings)
        self._succeeded()
        fmt = fmt or self._fallback_format()
        pcm = b"".join(parts)
        return "wav", wav_header(fmt, len(pcm) // fmt.bytes_per_sample) + pcm

    async def async_stream_tts_audio(self, request: TTSAudioRequest) -> TTSAudioResponse:
        """Speak text while it is still being written: a streaming WAV (0-frame header)."""
        settings = self._settings(request.options)
        return TTSAudioResponse("wav", self._stream(request.message_gen, settings))

    async def _stream(
        self, message_gen: AsyncGenerator[str], settings: VoiceSettings
    ) -> AsyncGenerator[bytes]:
        """Header when the first audio arrives (its rate is known then), then raw PCM."""
        fmt: AudioFormat | None = None
        text = clean_markup_stream(message_gen) if self._text.policy.markup else message_gen
        audio = synthesize_stream(
            text,
            self._text.wrap(partial(self._speak, settings=settings)),
            **sentence_options(self._client),
        )
        try:
            async with contextlib.aclosing(audio):
                async for chunk in audio:
                    if fmt is None:
                        fmt = chunk.format
                        yield wav_header(fmt)
                    yield _convert(chunk, fmt)
        except TtsError as err:
            self._raise(err, settings)
        if fmt is None:
            yield wav_header(self._fallback_format())
        self._succeeded()

    async def _async_clean(self, message: str) -> str:
        """The markup step on a whole message (SSML when it starts with <speak>; a long
        message is cleaned off Home Assistant's event loop).

        Raises BadRequest when nothing speakable is left (the caller translates it).
        """
        if not self._text.policy.markup:
            return message
        cleaned = await clean_markup_async(message)
        if has_words(message) and not has_words(cleaned):
            raise BadRequest("The message has nothing to speak once its markup is removed.")
        return cleaned

    def _fallback_format(self) -> AudioFormat:
        return AudioFormat(HAMSA_RATE if self._provider == PROVIDER_HAMSA else self._sample_rate)

    # --- outcomes -----------------------------------------------------------------------

    def _succeeded(self) -> None:
        """A reply arrived: the wallet is fine again."""
        ir.async_delete_issue(self.hass, DOMAIN, insufficient_funds_issue_id(self._entry))

    def _raise(self, err: TtsError, settings: VoiceSettings) -> NoReturn:
        """Turn a provider failure into a translated error, reauth or repair issue (and
        keep it for diagnostics)."""
        self._entry.runtime_data.failures.record("speak", err)
        placeholders = {
            "provider": PROVIDER_NAMES[self._provider],
            "title": self._entry.title,
            "message": str(err),
        }
        if isinstance(err, UnknownVoice):
            placeholders["voice"] = _voice_name(settings)
        if isinstance(err, AuthFailed):
            _LOGGER.warning("%s refused the API key; starting reauthentication", self._entry.title)
            self._entry.async_start_reauth(self.hass)
        elif isinstance(err, InsufficientFunds):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                insufficient_funds_issue_id(self._entry),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_INSUFFICIENT_FUNDS,
                translation_placeholders=placeholders,
            )
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=err.code,
            translation_placeholders=placeholders,
        ) from err


def _voice_name(settings: VoiceSettings) -> str:
    """The voice a request asked for, as the user named it."""
    if isinstance(settings, HamsaVoiceSettings):
        return settings.speaker
    return settings.voice_id


def _convert(chunk: PcmChunk, fmt: AudioFormat) -> bytes:
    """PCM in the stream's format (a later sentence could come at another rate)."""
    if chunk.format == fmt:
        return chunk.pcm
    return resample(chunk.pcm, chunk.format.rate, fmt.rate)
