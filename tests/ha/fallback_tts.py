"""A text-to-speech entity of another integration, for fallback tests.

It stands for Google Translate (MP3 only) or a Piper voice (WAV at its own rate): it
records every message it was asked to speak and answers with audio derived from the
text, so a test can tell its voice from the providers' and recompute its bytes.
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components.tts import TextToSpeechEntity, TtsAudioType
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

from ..fakes.audio import pcm_for_text

BACKUP_DOMAIN = "backup_voice"
BACKUP_ENTITY = "tts.backup_voice"


def backup_pcm(text: str, rate: int) -> bytes:
    """The samples the backup voice speaks ``text`` with (before any encoding)."""
    return pcm_for_text("backup:" + text, rate)


def wav_file(pcm: bytes, rate: int) -> bytes:
    """A complete mono 16-bit WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


async def mp3_file(pcm: bytes, rate: int) -> bytes:
    """MP3 made by ffmpeg (as Google Translate sends), off the event loop."""
    process = await asyncio.create_subprocess_exec(
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "wav",
        "-i",
        "pipe:0",
        "-f",
        "mp3",
        "pipe:1",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate(wav_file(pcm, rate))
    assert process.returncode == 0
    return out


@dataclass
class Heard:
    """One message the backup voice was asked to speak."""

    message: str
    language: str
    options: dict[str, Any]


@dataclass
class BackupVoice:
    """Knobs and recordings of the backup entity (read when it speaks)."""

    extension: str = "wav"  # "wav" or "mp3"
    rate: int = 16000
    fail: str | None = None  # raise this instead of speaking
    heard: list[Heard] = field(default_factory=list)


class BackupTtsEntity(TextToSpeechEntity):
    """A plain (not streaming) TTS entity: whole files, as most engines give."""

    _attr_name = "Backup voice"
    _attr_supported_languages = ["ar", "en"]  # noqa: RUF012
    _attr_default_language = "en"

    def __init__(self, voice: BackupVoice) -> None:
        self._voice = voice
        self._attr_unique_id = "backup-voice"

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        voice = self._voice
        voice.heard.append(Heard(message, language, dict(options)))
        if voice.fail is not None:
            raise RuntimeError(voice.fail)
        pcm = backup_pcm(message, voice.rate)
        if voice.extension == "mp3":
            return "mp3", await mp3_file(pcm, voice.rate)
        return "wav", wav_file(pcm, voice.rate)


class _BackupFlow(ConfigFlow):
    """Config entries of the backup integration need a flow handler to exist."""

    VERSION = 1


async def setup_backup_voice(hass: HomeAssistant, voice: BackupVoice) -> AsyncGenerator[None]:
    """Set up the backup integration with one entity (a generator: the flow handler is
    registered for as long as it runs)."""

    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, [Platform.TTS])
        return True

    async def unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        return await hass.config_entries.async_unload_platforms(entry, [Platform.TTS])

    async def setup_platform(
        hass: HomeAssistant, entry: ConfigEntry, add: AddConfigEntryEntitiesCallback
    ) -> None:
        add([BackupTtsEntity(voice)])

    # A custom integration, as ours: from 2026.x only those may still return a boolean from
    # async_setup_entry, which 2025.10 requires.
    mock_integration(
        hass,
        MockModule(BACKUP_DOMAIN, async_setup_entry=setup_entry, async_unload_entry=unload_entry),
        built_in=False,
    )
    platform = MockPlatform(async_setup_entry=setup_platform)
    mock_platform(hass, f"{BACKUP_DOMAIN}.tts", platform, built_in=False)
    mock_platform(hass, f"{BACKUP_DOMAIN}.config_flow", built_in=False)
    with mock_config_flow(BACKUP_DOMAIN, _BackupFlow):
        entry = MockConfigEntry(domain=BACKUP_DOMAIN, title="Backup")
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert hass.states.get(BACKUP_ENTITY) is not None
        yield
