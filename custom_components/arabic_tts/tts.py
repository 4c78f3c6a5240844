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
    CONF_FALLBACK_VOICE,
    CONF_FIRST_AUDIO_DEADLINE,
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
from .core.budget import DEFAULT_FIRST_AUDIO_DEADLINE, DEFAULT_STALL_TIMEOUT, Budget
from .core.errors import AuthFailed, BadRequest, InsufficientFunds, TtsError, UnknownVoice
from .core.fallback import FallbackChain, FallbackPolicy, FallbackVoice, SpeakingVoice
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
from .entity_voice import can_speak, entity_voice, serving_as_fallback
from .provider import default_voice, faseeh_settings, hamsa_settings, voice_label
from .replies import HeardVoices, ReplyLog

_LOGGER = logging.getLogger(__name__)

# Requests run one after another per socket; the client opens more sockets as needed.
PARALLEL_UPDATES = 0

# Once a reply has audio, the longest wait for more before the fallback speaks the rest
# (the core's default, as the Wyoming server's --stall-timeout).
STALL_TIMEOUT = DEFAULT_STALL_TIMEOUT


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
        self._lexicon = lexicon
        # Who speaks when the provider is late or fails, and how late is late.
        self._fallback_entity: str | None = options.get(CONF_FALLBACK_VOICE) or None
        self._fallback_missing = False  # said in the log once
        self._budget = Budget(
            first_audio=float(
                options.get(CONF_FIRST_AUDIO_DEADLINE) or DEFAULT_FIRST_AUDIO_DEADLINE
            ),
            stall=STALL_TIMEOUT,
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

    def _reply(self, kind: str, settings: VoiceSettings, language: str) -> _Reply:
        """One reply's fallback chain: this entry's voice (text front-end in front of
        it), then the fallback entity chosen in the options, if any.

        An entry speaking as another entry's fallback does not fall back itself.
        """
        heard = HeardVoices()
        requested = heard.listen(
            FallbackVoice(
                f"{self.entity_id} ({_voice_name(settings)})",
                self._text.wrap(partial(self._speak, settings=settings)),
            )
        )
        voices: tuple[SpeakingVoice, ...] = ()
        if self._fallback_ready():
            assert self._fallback_entity is not None
            fallback = entity_voice(
                self.hass,
                self._fallback_entity,
                language,
                rate=self._default_format().rate,
                gap_timeout=self._client.provider_timeout,
                respell=self._lexicon.apply if self._lexicon is not None else None,
            )
            voices = (heard.listen(fallback),)
        chain = FallbackPolicy(voices, self._budget).chain(requested)
        return _Reply(kind, requested.name, chain, heard)

    def _fallback_ready(self) -> bool:
        """Whether this reply has a fallback voice: one was chosen, it can speak, and
        this entry is not itself speaking as another entry's fallback. A chosen voice
        that cannot speak is said once in the log (until it can again)."""
        entity_id = self._fallback_entity
        if entity_id is None or serving_as_fallback():
            return False
        if can_speak(self.hass, entity_id):
            self._fallback_missing = False
            return True
        if not self._fallback_missing:
            self._fallback_missing = True
            _LOGGER.warning(
                "%s: the fallback voice %s does not exist or is unavailable; replies wait "
                "for %s without one (choose another in the integration's options)",
                self._entry.title,
                entity_id,
                PROVIDER_NAMES[self._provider],
            )
        return False

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Speak a whole message; return a complete WAV file.

        When the fallback takes over, the audio the late voice gave is dropped: the
        fallback says the whole message, so nothing is heard twice.
        """
        settings = self._settings(options)
        reply = self._reply("message", settings, language)
        fmt: AudioFormat | None = None
        parts: list[bytes] = []
        given_up = 0
        try:
            cleaned = await self._async_clean(message)
            audio = reply.chain.speak(cleaned)
            async with contextlib.aclosing(audio):
                async for chunk in audio:
                    if len(reply.chain.failures) != given_up:
                        given_up = len(reply.chain.failures)
                        parts.clear()
                        fmt = None
                    fmt = fmt or chunk.format
                    parts.append(_convert(chunk, fmt))
        except TtsError as err:
            self._failed(reply, err, settings)
        self._spoke(reply)
        fmt = fmt or self._default_format()
        pcm = b"".join(parts)
        return "wav", wav_header(fmt, len(pcm) // fmt.bytes_per_sample) + pcm

    async def async_stream_tts_audio(self, request: TTSAudioRequest) -> TTSAudioResponse:
        """Speak text while it is still being written: a streaming WAV (0-frame header)."""
        settings = self._settings(request.options)
        reply = self._reply("stream", settings, request.language)
        return TTSAudioResponse("wav", self._stream(request.message_gen, settings, reply))

    async def _stream(
        self, message_gen: AsyncGenerator[str], settings: VoiceSettings, reply: _Reply
    ) -> AsyncGenerator[bytes]:
        """Header when the first audio arrives (its rate is known then), then raw PCM."""
        fmt: AudioFormat | None = None
        text = clean_markup_stream(message_gen) if self._text.policy.markup else message_gen
        audio = synthesize_stream(text, reply.chain.speak, **sentence_options(self._client))
        try:
            async with contextlib.aclosing(audio):
                async for chunk in audio:
                    if fmt is None:
                        fmt = chunk.format
                        yield wav_header(fmt)
                    yield _convert(chunk, fmt)
        except TtsError as err:
            self._failed(reply, err, settings)
        if fmt is None:
            yield wav_header(self._default_format())
        self._spoke(reply)

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

    def _default_format(self) -> AudioFormat:
        """The provider's format: the reply's before any audio, and the fallback's."""
        return AudioFormat(HAMSA_RATE if self._provider == PROVIDER_HAMSA else self._sample_rate)

    # --- outcomes -----------------------------------------------------------------------

    def _spoke(self, reply: _Reply) -> None:
        """The reply was spoken. If this entry's provider spoke all of it, the wallet is
        fine again; if the fallback covered a failure, the failure still counts (a
        refused key starts reauthentication, an empty wallet raises its repair issue)."""
        reply.record(self._entry.runtime_data.replies, "spoken")
        failures = [err for voice, err in reply.chain.failures if voice == reply.requested]
        if not failures:
            ir.async_delete_issue(self.hass, DOMAIN, insufficient_funds_issue_id(self._entry))
        for err in failures:
            self._entry.runtime_data.failures.record("speak", err)
            self._act_on(err, self._placeholders(err))

    def _failed(self, reply: _Reply, err: TtsError, settings: VoiceSettings) -> NoReturn:
        """No voice could speak: a translated error, reauth or repair issue (and kept for
        diagnostics)."""
        reply.record(self._entry.runtime_data.replies, err.code)
        self._entry.runtime_data.failures.record("speak", err)
        placeholders = self._placeholders(err)
        if isinstance(err, UnknownVoice):
            placeholders["voice"] = _voice_name(settings)
        self._act_on(err, placeholders)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=err.code,
            translation_placeholders=placeholders,
        ) from err

    def _placeholders(self, err: TtsError) -> dict[str, str]:
        return {
            "provider": PROVIDER_NAMES[self._provider],
            "title": self._entry.title,
            "message": str(err),
        }

    def _act_on(self, err: TtsError, placeholders: dict[str, str]) -> None:
        """What a failure asks of the user: a new key, or money in the wallet."""
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


class _Reply:
    """One reply: its fallback chain, which voices were heard, and its diagnostics."""

    def __init__(self, kind: str, requested: str, chain: FallbackChain, heard: HeardVoices) -> None:
        self.kind = kind
        self.requested = requested
        self.chain = chain
        self._heard = heard

    def record(self, log: ReplyLog, outcome: str) -> None:
        """Keep the reply for diagnostics."""
        log.record(self.kind, self.requested, self._heard.names, self.chain.failures, outcome)


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
