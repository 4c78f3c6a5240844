"""Home Assistant's own Wyoming integration, pointed at our server process.

With ``wav`` as the preferred format Home Assistant hands the PCM through untouched, so the
bytes can be compared end to end with what the fake provider sent.
"""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from arabic_tts_core.hamsa_voices import HAMSA_SPEAKERS
from homeassistant.components import tts
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.fakes.audio import pcm_for_text
from tests.fakes.hamsa import FakeHamsa

from .conftest import ServerProcess

pytestmark = pytest.mark.usefixtures("socket_enabled")

SENTENCE_1 = "مرحبا بكم في البيت الذكي هذا المساء. "
SENTENCE_2 = "الجو اليوم جميل جدا في المدينة الكبيرة."


@pytest.fixture(autouse=True)
def _tts_cache_in_tmp(tmp_path: Path) -> Iterator[None]:
    """Keep the TTS file cache out of the test harness's config folder."""
    with patch("homeassistant.components.tts._init_tts_cache_dir", return_value=str(tmp_path)):
        yield


async def _setup_wyoming(hass: HomeAssistant, server: ServerProcess) -> str:
    """Add a Wyoming config entry for our server the way a user would; return the entity."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = MockConfigEntry(
        domain="wyoming", data={"host": "127.0.0.1", "port": server.port}, title="Arabic TTS"
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entity_ids = [
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "tts"
    ]
    assert len(entity_ids) == 1
    return entity_ids[0]


def _pcm_of_wav(data: bytes) -> tuple[int, bytes]:
    """Rate and PCM of a WAV; a streamed WAV says 0 frames, so read what follows the header."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        rate = wav.getframerate()
        assert (wav.getsampwidth(), wav.getnchannels()) == (2, 1)
    return rate, data[44:]


async def test_home_assistant_wyoming_plain_and_streaming(
    hass: HomeAssistant, server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    entity_id = await _setup_wyoming(hass, server)
    assert entity_id == "tts.arabic_tts"
    entity = hass.data[tts.DATA_COMPONENT].get_entity(entity_id)
    assert entity is not None
    assert "ar" in entity.supported_languages
    assert "ar-EG" in entity.supported_languages
    voices = entity.async_get_supported_voices("ar-EG")
    assert voices is not None
    assert "hamsa-Samir" in {voice.voice_id for voice in voices}
    assert entity.async_supports_streaming_input()

    # Plain path: the entity's own synthesize request.
    text = SENTENCE_1 + SENTENCE_2
    extension, data = await entity.async_get_tts_audio(text, "ar", {"voice": "hamsa-Samir"})
    assert extension == "wav"
    assert data is not None
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert wav.getframerate() == 16000
        assert wav.readframes(wav.getnframes()) == pcm_for_text(text.strip(), 16000)
    assert [r["voice_name"] for r in fake_hamsa.requests] == ["Samir"]

    # Streaming path: Home Assistant's TTS manager feeding text as it is written.
    async def message() -> AsyncGenerator[str]:
        for piece in (SENTENCE_1, SENTENCE_2[:10], SENTENCE_2[10:]):
            yield piece

    stream = tts.async_create_stream(
        hass, entity_id, "ar", {"voice": "hamsa-Mariam", "preferred_format": "wav"}
    )
    stream.async_set_message_stream(message())
    streamed = b"".join([chunk async for chunk in stream.async_stream_result()])

    rate, pcm = _pcm_of_wav(streamed)
    assert rate == 16000
    spoken = [r["text"] for r in fake_hamsa.requests[1:]]
    assert spoken == [SENTENCE_1.strip(), SENTENCE_2]
    assert [r["voice_name"] for r in fake_hamsa.requests[1:]] == ["Mariam", "Mariam"]
    assert pcm == b"".join(pcm_for_text(sentence, 16000) for sentence in spoken)

    # A plain message through the manager goes the streaming way too (the entity streams).
    media_id = tts.generate_media_source_id(
        hass, SENTENCE_2, entity_id, "ar", {"voice": "hamsa-Salem", "preferred_format": "wav"}
    )
    extension, data = await tts.async_get_media_source_audio(hass, media_id)
    assert extension == "wav"
    assert _pcm_of_wav(data) == (16000, pcm_for_text(SENTENCE_2, 16000))

    assert await hass.config_entries.async_unload(
        hass.config_entries.async_entries("wyoming")[0].entry_id
    )


async def test_home_assistant_picks_any_speaker_in_any_dialect(
    hass: HomeAssistant, server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    """Home Assistant passes a Wyoming server only the voice name: the picker of a language
    lists every Hamsa speaker in that language's dialect, and the name carries the choice."""
    entity_id = await _setup_wyoming(hass, server)
    entity = hass.data[tts.DATA_COMPONENT].get_entity(entity_id)
    assert entity is not None
    assert {"ar", "ar-EG", "ar-SA", "ar-PS", "ar-001", "en"} <= set(entity.supported_languages)

    def hamsa_ids(language: str) -> list[str]:
        voices = entity.async_get_supported_voices(language) or []
        return [v.voice_id for v in voices if v.voice_id.startswith("hamsa-")]

    egyptian = hamsa_ids("ar-EG")
    assert len(egyptian) == len(set(egyptian)) == len(HAMSA_SPEAKERS)
    assert {"hamsa-Mariam", "hamsa-Samir", "hamsa-Hiba-egy", "hamsa-Ali-egy"} <= set(egyptian)
    arabic = hamsa_ids("ar")
    assert {"hamsa-Mariam", "hamsa-Hiba", "hamsa-Ali", "hamsa-Salem"} <= set(arabic)
    assert not any(name.endswith(("-egy", "-ksa")) for name in arabic)
    fusha = hamsa_ids("ar-001")
    assert {"hamsa-Salem", "hamsa-Mariam-msa"} <= set(fusha)

    for voice, speaker, dialect in (
        ("hamsa-Hiba-egy", "Hiba", "egy"),
        ("hamsa-Mariam", "Mariam", "egy"),
        ("hamsa-Ali", "Ali", "pls"),
        ("hamsa-Hiba", "Hiba", "ksa"),
    ):
        extension, data = await entity.async_get_tts_audio(SENTENCE_1, "ar", {"voice": voice})
        assert extension == "wav"
        assert data is not None
        assert (fake_hamsa.requests[-1]["voice_name"], fake_hamsa.requests[-1]["dialect"]) == (
            speaker,
            dialect,
        )
        with wave.open(io.BytesIO(data), "rb") as wav:
            assert wav.readframes(wav.getnframes()) == pcm_for_text(SENTENCE_1.strip(), 16000)

    assert await hass.config_entries.async_unload(
        hass.config_entries.async_entries("wyoming")[0].entry_id
    )
