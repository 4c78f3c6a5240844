"""TTS entity against the fakes: whole-text WAV, streaming WAV, errors, reauth, repairs."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from homeassistant.components import tts
from homeassistant.components.tts.const import DATA_COMPONENT
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.arabic_tts.const import DOMAIN
from custom_components.arabic_tts.core.hamsa_voices import HAMSA_SPEAKERS
from custom_components.arabic_tts.tts import ArabicTtsEntity

from ..fakes.audio import pcm_for_text
from ..fakes.faseeh import FakeFaseeh, Fault
from ..fakes.hamsa import (
    ABORTED_MESSAGE,
    NOT_OWNED_MESSAGE,
    RATE_LIMIT_MESSAGE,
    USAGE_LIMIT_MESSAGE,
    FakeHamsa,
)
from ..fakes.hamsa import Fault as HamsaFault
from ..fakes.hamsa_catalog import CatalogVoice
from .conftest import FASEEH_KEY, HAMSA_KEY, faseeh_entry, hamsa_entry, setup_entry

WAV = {tts.ATTR_PREFERRED_FORMAT: "wav"}
HEADER = 44


def parse_wav(data: bytes) -> tuple[int, int, bytes]:
    """(rate, frames in header, PCM) of our 44-byte-header WAV."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and data[36:40] == b"data"
    channels, rate = struct.unpack_from("<HI", data, 22)
    bits = struct.unpack_from("<H", data, 34)[0]
    assert (channels, bits) == (1, 16)
    data_size = struct.unpack_from("<I", data, 40)[0]
    return rate, data_size // 2, data[HEADER:]


def hamsa_pcm(fake: FakeHamsa, rate: int = 16000) -> bytes:
    """What the fake sent for every request so far."""
    return b"".join(pcm_for_text(r["text"], rate) for r in fake.requests)


def faseeh_pcm(fake: FakeFaseeh) -> bytes:
    """What the fake sent for every generation so far."""
    return b"".join(pcm_for_text(g.text, fake.sample_rate) for g in fake.generations)


async def media_audio(
    hass: HomeAssistant, entity_id: str, message: str, options: dict[str, Any] | None = None
) -> tuple[str, bytes]:
    """Resolve a TTS media source id like a media player would."""
    return await tts.async_get_media_source_audio(
        hass,
        tts.generate_media_source_id(
            hass,
            message,
            engine=entity_id,
            language="ar",
            options=WAV if options is None else options,
            cache=False,
        ),
    )


def entity_of(hass: HomeAssistant, entity_id: str) -> ArabicTtsEntity:
    entity = hass.data[DATA_COMPONENT].get_entity(entity_id)
    assert isinstance(entity, ArabicTtsEntity)
    return entity


# --- entity description --------------------------------------------------------------------


async def test_entity_languages_options_voices(
    hass: HomeAssistant, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Languages: ar, every dialect's tag (Fusha: ar-001), en; voice + dialect options."""
    _entry, entity_id = hamsa_loaded
    entity = entity_of(hass, entity_id)
    assert entity.default_language == "ar"
    assert {"ar", "ar-EG", "ar-SA", "ar-KW", "ar-PS", "ar-001", "en"} <= set(
        entity.supported_languages
    )
    assert entity.supported_options == ["voice", "dialect"]
    assert entity.default_options == {"voice": "Ali", "dialect": "auto"}
    assert entity.async_supports_streaming_input()
    speakers = len(HAMSA_SPEAKERS)
    # A dialect's tag: every speaker in that dialect, once (ids carry the dialect).
    egyptian = [v.voice_id for v in entity.async_get_supported_voices("ar-EG")]
    assert len(egyptian) == len(set(egyptian)) == speakers
    assert {"Mariam", "Samir", "Hiba-egy", "Ali-egy", "Salem-egy"} <= set(egyptian)
    fusha = [v.voice_id for v in entity.async_get_supported_voices("ar-001")]
    assert len(fusha) == speakers
    assert {"Salem", "Mariam-msa"} <= set(fusha)
    # Plain Arabic: each Arabic speaker once, in their own dialect.
    arabic = {v.voice_id for v in entity.async_get_supported_voices("ar")}
    assert {"Salem", "Mariam", "Khalid", "Ali", "Hiba"} <= arabic and "Emma" not in arabic
    assert not any("-" in voice_id for voice_id in arabic)
    english = {v.voice_id for v in entity.async_get_supported_voices("en")}
    assert {"Emma", "James", "Mariam-en"} <= english and len(english) == speakers
    labels = {v.voice_id: v.name for v in entity.async_get_supported_voices("ar_SA")}
    assert labels["Mariam-ksa"] == "Hamsa Mariam (Saudi, female)"
    assert labels["Khalid"] == "Hamsa Khalid (Gulf, male)"


async def test_faseeh_entity_defaults(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """Faseeh: Arabic only; configured voice, model, speed in default_options."""
    entry = faseeh_entry(hass, faseeh, voice="ar-najdi-female-1", speed=1.1)
    entity = entity_of(hass, await setup_entry(hass, entry))
    assert "en" not in entity.supported_languages and "ar-SA" in entity.supported_languages
    assert entity.supported_options == ["voice", "model", "speed", "stability", "dialect"]
    assert entity.default_options == {
        "voice": "ar-najdi-female-1",
        "model": "faseeh-v1-preview",  # the new default model (issue 9)
        "speed": 1.1,
        "dialect": "auto",
    }


async def test_device_card_shows_no_untranslated_words(
    hass: HomeAssistant, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    """The service's device is named by its entry and made by its provider, with no model:
    Home Assistant cannot translate a model, and an English one stood in the Arabic device
    list ("Streaming text-to-speech", seen by script/ui-check)."""
    entries = [hamsa_entry(hass, hamsa), faseeh_entry(hass, faseeh)]
    await setup_entry(hass, entries[0])  # sets the integration up: both entries load
    for entry in entries:
        assert entry.state is ConfigEntryState.LOADED
        (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        assert (device.name, device.manufacturer) == (entry.title, entry.title)
        assert device.model is None
        assert device.entry_type is dr.DeviceEntryType.SERVICE


# --- whole text --------------------------------------------------------------------------


async def test_speak_hamsa_wav_matches_fake(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """tts.speak → media source → WAV whose PCM is exactly what the fake sent."""
    _entry, entity_id = hamsa_loaded
    hamsa.frame_sizes = [333, 1001]  # frames that split samples
    calls = async_mock_service(hass, "media_player", "play_media")
    await hass.services.async_call(
        tts.DOMAIN,
        "speak",
        {
            "entity_id": entity_id,
            "media_player_entity_id": "media_player.kitchen",
            "message": "مرحبا بك في بيتك الذكي.",
            "options": WAV,
        },
        blocking=True,
    )
    assert len(calls) == 1
    extension, data = await tts.async_get_media_source_audio(
        hass, calls[0].data["media_content_id"]
    )
    assert extension == "wav"
    rate, _frames, pcm = parse_wav(data)
    assert rate == 16000
    assert [r["text"] for r in hamsa.requests] == ["مرحبا بك في بيتك الذكي."]
    # The default voice: Ali in Palestinian (by catalogue id: the live list gave one).
    assert (hamsa.requests[0]["voice_name"], hamsa.requests[0]["dialect"]) == ("Ali", "pls")
    assert hamsa.requests[0]["speaker"] == hamsa.voice_id("Ali", "pls")
    assert pcm == hamsa_pcm(hamsa)


async def test_hamsa_voice_option_and_wav_header_rate(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """A per-call voice brings its own dialect; a WAV header from Hamsa sets the rate."""
    _entry, entity_id = hamsa_loaded
    hamsa.wav_header = True
    hamsa.wav_rate = 22050
    _ext, data = await media_audio(
        hass, entity_id, "صباح الخير يا جماعة.", {**WAV, "voice": "Mariam"}
    )
    rate, _frames, pcm = parse_wav(data)
    assert rate == 22050
    assert (hamsa.requests[0]["voice_name"], hamsa.requests[0]["dialect"]) == ("Mariam", "egy")
    assert pcm == hamsa_pcm(hamsa, 22050)


@pytest.mark.parametrize(
    "case",
    [
        ({}, "Ali", "pls"),
        ({"voice": "Mariam"}, "Mariam", "egy"),
        ({"voice": "Hiba"}, "Hiba", "ksa"),
        ({"voice": "Hiba-egy"}, "Hiba", "egy"),
        ({"voice": "Mariam-ksa"}, "Mariam", "ksa"),
        ({"voice": "Khalid-ar-sa"}, "Khalid", "ar-sa"),
        ({"voice": "Emma-jor"}, "Emma", "jor"),
        ({"voice": "Mariam", "dialect": "ksa"}, "Mariam", "ksa"),  # the option overrides
        ({"voice": "Hiba-egy", "dialect": "syr"}, "Hiba", "syr"),
        ({"voice": "Zaid"}, "Zaid", "msa"),  # a name we do not know: sent as typed
        ({"voice": "Zaid-egy"}, "Zaid", "egy"),
    ],
)
async def test_any_speaker_in_any_dialect(
    hass: HomeAssistant,
    hamsa: FakeHamsa,
    hamsa_loaded: tuple[MockConfigEntry, str],
    case: tuple[dict[str, str], str, str],
) -> None:
    """Voice ids carry speaker and dialect; the dialect option (per call) overrides."""
    options, speaker, dialect = case
    _entry, entity_id = hamsa_loaded
    hamsa.catalog.append(CatalogVoice("Zaid", "oma"))  # Hamsa knows more than we do
    _ext, data = await media_audio(hass, entity_id, "صباح الخير يا جماعة.", {**WAV, **options})
    assert (hamsa.requests[0]["voice_name"], hamsa.requests[0]["dialect"]) == (speaker, dialect)
    assert parse_wav(data)[2] == hamsa_pcm(hamsa)


async def test_configured_dialect_overrides_every_voice(
    hass: HomeAssistant, hamsa: FakeHamsa
) -> None:
    entry = hamsa_entry(hass, hamsa, voice="Mariam-ksa", dialect="leb")
    entity_id = await setup_entry(hass, entry)
    await media_audio(hass, entity_id, "صباح الخير.")
    await media_audio(hass, entity_id, "مساء الخير.", {**WAV, "voice": "Hiba"})
    assert [(r["voice_name"], r["dialect"]) for r in hamsa.requests] == [
        ("Mariam", "leb"),
        ("Hiba", "leb"),
    ]


async def test_faseeh_wav_matches_fake(
    hass: HomeAssistant, faseeh: FakeFaseeh, faseeh_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Faseeh audio (base64, unaligned chunks) arrives byte for byte at 24 kHz."""
    _entry, entity_id = faseeh_loaded
    faseeh.frame_sizes = [999, 1]
    _ext, data = await media_audio(hass, entity_id, "أهلا وسهلا بكم في المنزل.")
    rate, _frames, pcm = parse_wav(data)
    assert rate == 24000
    assert [g.text for g in faseeh.generations] == ["أهلا وسهلا بكم في المنزل."]
    assert faseeh.generations[0].voice_id == "ar-najdi-male-2"
    assert pcm == faseeh_pcm(faseeh)


async def test_ffmpeg_conversion_reads_streaming_header(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """When HA converts (ffmpeg), the 0-frame streaming header is read to the end."""
    _entry, entity_id = hamsa_loaded
    message = "هذه رسالة طويلة بعض الشيء لاختبار التحويل إلى صيغة أخرى."
    options = {**WAV, tts.ATTR_PREFERRED_SAMPLE_RATE: 16000}  # forces an ffmpeg pass
    _ext, data = await media_audio(hass, entity_id, message, options)
    data_at = data.index(b"data") + 8
    assert data[data_at:] == hamsa_pcm(hamsa)

    extension, mp3 = await media_audio(hass, entity_id, message + " ", {})  # HA's default
    assert extension == "mp3"
    assert len(mp3) > 1000 and (mp3[:3] == b"ID3" or mp3[0] == 0xFF)


async def test_async_get_tts_audio_complete_wav(
    hass: HomeAssistant, faseeh: FakeFaseeh, faseeh_loaded: tuple[MockConfigEntry, str]
) -> None:
    """The non-streaming method returns a complete WAV with the right frame count."""
    _entry, entity_id = faseeh_loaded
    entity = entity_of(hass, entity_id)
    extension, data = await entity.async_get_tts_audio(
        "مرحبا، كيف حالك اليوم؟", "ar", dict(entity.default_options or {})
    )
    assert extension == "wav"
    assert data is not None
    rate, frames, pcm = parse_wav(data)
    assert rate == 24000 and frames * 2 == len(pcm)
    assert pcm == faseeh_pcm(faseeh)


# --- streaming -----------------------------------------------------------------------------


async def _stream_while_writing(
    hass: HomeAssistant, entity_id: str, pieces: list[str], rest: str
) -> tuple[bytes, bool]:
    """Stream ``pieces``, then hold the text back until audio arrived, then send ``rest``.

    Returns (all bytes, whether the first audio arrived before the text was complete).
    """
    first_audio = asyncio.Event()
    text_done = asyncio.Event()
    timed_out = False

    async def message_gen() -> AsyncGenerator[str]:
        nonlocal timed_out
        for piece in pieces:
            yield piece
        try:  # a hang guard: on a slow, busy machine the first audio may take seconds
            async with asyncio.timeout(20):
                await first_audio.wait()
        except TimeoutError:
            timed_out = True
        yield rest
        text_done.set()

    stream = tts.async_create_stream(hass, entity_id, language="ar", options=WAV)
    assert stream.supports_streaming_input
    stream.async_set_message_stream(message_gen())
    data = b""
    audio_before_text_done = False
    async with asyncio.timeout(40):
        async for chunk in stream.async_stream_result():
            data += chunk
            if len(data) > HEADER and not first_audio.is_set():
                audio_before_text_done = not text_done.is_set()
                first_audio.set()
    assert not timed_out, "no audio arrived while the text was incomplete"
    assert text_done.is_set()
    return data, audio_before_text_done


async def test_stream_hamsa_audio_before_text_complete(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Sentences go upstream as they complete; audio flows while the LLM still writes."""
    _entry, entity_id = hamsa_loaded
    data, early = await _stream_while_writing(
        hass,
        entity_id,
        ["هذه هي الجملة", " الأولى الكاملة. ", "والجملة"],
        " الثانية تصل بعد الصوت.",
    )
    assert early
    rate, frames, pcm = parse_wav(data)
    assert (rate, frames) == (16000, 0)  # streaming header
    assert [r["text"] for r in hamsa.requests] == [
        "هذه هي الجملة الأولى الكاملة.",
        "والجملة الثانية تصل بعد الصوت.",
    ]
    # Both sentences on the same warm socket.
    assert len({r["connection_index"] for r in hamsa.requests}) == 1
    assert pcm == hamsa_pcm(hamsa)


async def test_stream_faseeh_audio_before_text_complete(
    hass: HomeAssistant, faseeh: FakeFaseeh, faseeh_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Faseeh too; short pieces are joined so none is below its 3-word minimum."""
    _entry, entity_id = faseeh_loaded
    data, early = await _stream_while_writing(
        hass,
        entity_id,
        ["نعم. ", "الجو اليوم مشمس وجميل جدا. ", "وغدا"],
        " سيكون ممطرا في المساء.",
    )
    assert early
    rate, frames, pcm = parse_wav(data)
    assert (rate, frames) == (24000, 0)
    assert [g.text for g in faseeh.generations] == [
        "نعم. الجو اليوم مشمس وجميل جدا.",
        "وغدا سيكون ممطرا في المساء.",
    ]
    assert pcm == faseeh_pcm(faseeh)


async def test_stream_entity_directly(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """async_stream_tts_audio: header first (0 frames), then PCM, extension wav."""
    _entry, entity_id = hamsa_loaded
    entity = entity_of(hass, entity_id)

    async def gen() -> AsyncGenerator[str]:
        yield "مرحبا. "
        yield "كيف حالك؟"

    response = await entity.async_stream_tts_audio(
        tts.TTSAudioRequest("ar", {"voice": "Tamim"}, gen())
    )
    assert response.extension == "wav"
    chunks = [chunk async for chunk in response.data_gen]
    assert len(chunks[0]) == HEADER
    _rate, frames, pcm = parse_wav(b"".join(chunks))
    assert frames == 0
    assert [(r["text"], r["voice_name"]) for r in hamsa.requests] == [
        ("مرحبا.", "Tamim"),
        ("كيف حالك؟", "Tamim"),
    ]
    assert pcm == hamsa_pcm(hamsa)


# --- failures ------------------------------------------------------------------------------


async def test_auth_failure_starts_reauth(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """A key revoked at runtime: translated error and a reauth flow for the entry."""
    entry, entity_id = hamsa_loaded
    hamsa.valid_keys.clear()
    await hamsa.close_all_idle()
    with pytest.raises(HomeAssistantError) as err:
        await media_audio(hass, entity_id, "هل تسمعني الآن؟")
    assert err.value.translation_key == "auth_failed"
    assert err.value.translation_domain == DOMAIN
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        (SOURCE_REAUTH, entry.entry_id)
    ]


async def test_faseeh_auth_failure_starts_reauth(
    hass: HomeAssistant, faseeh: FakeFaseeh, faseeh_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Faseeh's 40101 on connect is an auth failure too."""
    entry, entity_id = faseeh_loaded
    faseeh.valid_keys.clear()
    await faseeh.close_all_idle()
    await asyncio.sleep(0.05)
    with pytest.raises(HomeAssistantError) as err:
        await media_audio(hass, entity_id, "هل تسمعني الآن يا صديقي؟")
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["entry_id"] for f in flows] == [entry.entry_id]


async def test_empty_wallet_repair_issue_cleared_after_success(
    hass: HomeAssistant, faseeh: FakeFaseeh, faseeh_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Empty wallet: translated error + repair issue; the next success removes the issue."""
    entry, entity_id = faseeh_loaded
    issue_id = f"insufficient_funds_{entry.entry_id}"
    registry = ir.async_get(hass)
    faseeh.balances[FASEEH_KEY] = 0.0
    with pytest.raises(HomeAssistantError) as err:
        await media_audio(hass, entity_id, "رسالة لن تُقال لأن المحفظة فارغة.")
    assert err.value.translation_key == "insufficient_funds"
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "insufficient_funds"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    faseeh.balances[FASEEH_KEY] = 100.0
    await media_audio(hass, entity_id, "الآن المحفظة ممتلئة من جديد.")
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_hamsa_empty_wallet_in_stream(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """Hamsa's 4003 close during a streamed request creates the issue as well."""
    hamsa.empty_wallet_keys.add("poor-key")
    entry = hamsa_entry(hass, hamsa, key="poor-key")
    entity_id = await setup_entry(hass, entry)
    stream = tts.async_create_stream(hass, entity_id, language="ar", options=WAV)

    async def gen() -> AsyncGenerator[str]:
        yield "جملة لن تُقال."

    stream.async_set_message_stream(gen())
    with pytest.raises(HomeAssistantError):
        async for _chunk in stream.async_stream_result():
            pass
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"insufficient_funds_{entry.entry_id}")

    hamsa.empty_wallet_keys.discard("poor-key")
    hamsa.valid_keys.add("poor-key")
    await media_audio(hass, entity_id, "والآن تعمل.")
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"insufficient_funds_{entry.entry_id}")


@pytest.mark.parametrize(
    ("message", "key"),
    [
        (USAGE_LIMIT_MESSAGE, "insufficient_funds"),
        (RATE_LIMIT_MESSAGE, "rate_limited"),
        (NOT_OWNED_MESSAGE, "unknown_voice"),
        (ABORTED_MESSAGE, "provider_error"),
    ],
)
async def test_hamsa_error_texts_translated(
    hass: HomeAssistant,
    hamsa: FakeHamsa,
    hamsa_loaded: tuple[MockConfigEntry, str],
    message: str,
    key: str,
) -> None:
    """Hamsa's own error texts: the plan's used-up allowance is insufficient_funds (with a
    repair issue that says so), a rate limit is not a key problem (no reauth)."""
    entry, entity_id = hamsa_loaded
    hamsa.faults.append(HamsaFault.error(message))
    with pytest.raises(HomeAssistantError) as err:
        await media_audio(hass, entity_id, "رسالة لن تُقال الآن.", {**WAV, "voice": "Mariam-ksa"})
    assert err.value.translation_key == key
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"insufficient_funds_{entry.entry_id}")
    assert (issue is not None) == (key == "insufficient_funds")
    if issue is not None:
        assert issue.translation_placeholders is not None
        assert "allowance is used up" in issue.translation_placeholders["message"]


@pytest.mark.parametrize(
    ("fault_message", "key"),
    [("Concurrency limit exceeded", "rate_limited"), ("Voice not found", "unknown_voice")],
)
async def test_other_errors_translated(
    hass: HomeAssistant,
    faseeh: FakeFaseeh,
    faseeh_loaded: tuple[MockConfigEntry, str],
    fault_message: str,
    key: str,
) -> None:
    """Other provider errors become translated errors without reauth or issue."""
    _entry, entity_id = faseeh_loaded
    faseeh.faults.append(Fault.error_type(fault_message))
    with pytest.raises(HomeAssistantError) as err:
        await media_audio(hass, entity_id, "رسالة تفشل لسبب آخر تماما.")
    assert err.value.translation_key == key
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["provider"] == "Faseeh"
    if key == "unknown_voice":
        # The provider's refusal names the voice, like our own refusal does.
        assert err.value.translation_placeholders["voice"] == "ar-najdi-male-2"
        assert "ar-najdi-male-2" in str(err.value)
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert not ir.async_get(hass).issues


async def test_faseeh_unknown_voice_refused_before_any_call(
    hass: HomeAssistant, faseeh: FakeFaseeh, faseeh_loaded: tuple[MockConfigEntry, str]
) -> None:
    """A Faseeh voice in neither the live list nor the catalogue never reaches Faseeh."""
    _entry, entity_id = faseeh_loaded
    connections, rest = len(faseeh.connections), len(faseeh.rest_requests)
    with pytest.raises(HomeAssistantError) as err:
        await media_audio(hass, entity_id, "رسالة بصوت غير موجود.", {**WAV, "voice": "ar-nobody-9"})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "voice_not_found"
    assert err.value.translation_placeholders == {"provider": "Faseeh", "voice": "ar-nobody-9"}
    assert "ar-nobody-9" in str(err.value)

    stream = tts.async_create_stream(hass, entity_id, language="ar", options={"voice": "x-1"})

    async def gen() -> AsyncGenerator[str]:
        yield "جملة لن تُقال أبدا."

    stream.async_set_message_stream(gen())
    with pytest.raises(HomeAssistantError) as err:
        async for _chunk in stream.async_stream_result():
            pass
    assert err.value.translation_key == "voice_not_found"
    assert faseeh.generations == []
    assert all(  # every socket got its init message and nothing else
        [m["type"] for m in conn.messages] == ["initConnection"] for conn in faseeh.connections
    )
    assert (len(faseeh.connections), len(faseeh.rest_requests)) == (connections, rest)


async def test_faseeh_voice_from_the_live_list_is_spoken(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """A voice the account lists (not in our catalogue) is accepted and spoken."""
    faseeh.voices.append(
        {"voice_id": "ar-account-voice-7", "name": "Reem", "gender": "female", "dialect": "najdi"}
    )
    entity_id = await setup_entry(hass, faseeh_entry(hass, faseeh))
    _ext, data = await media_audio(
        hass, entity_id, "صوت من قائمة الحساب.", {**WAV, "voice": "ar-account-voice-7"}
    )
    assert [g.voice_id for g in faseeh.generations] == ["ar-account-voice-7"]
    assert parse_wav(data)[2] == faseeh_pcm(faseeh)


async def test_faseeh_voice_is_not_refused_when_the_live_list_could_not_be_read(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """Without the account's list at setup a voice we do not know may still be the
    account's own (an opaque id, a clone): Faseeh decides, not our partial list."""
    faseeh.voices.append(
        {"voice_id": "ar-account-voice-7", "name": "Reem", "gender": "female", "dialect": "najdi"}
    )
    faseeh.voices_status = 503
    entity_id = await setup_entry(hass, faseeh_entry(hass, faseeh))
    faseeh.voices_status = None
    _ext, data = await media_audio(
        hass, entity_id, "صوت من قائمة الحساب.", {**WAV, "voice": "ar-account-voice-7"}
    )
    assert [g.voice_id for g in faseeh.generations] == ["ar-account-voice-7"]
    assert parse_wav(data)[2] == faseeh_pcm(faseeh)


async def test_hamsa_unknown_speaker_passes_through_and_is_named(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Hamsa names are free-form: Hamsa decides, and its refusal names the voice."""
    _entry, entity_id = hamsa_loaded
    with pytest.raises(HomeAssistantError) as err:
        await media_audio(hass, entity_id, "هل تعرف هذا الصوت؟", {**WAV, "voice": "Zainab"})
    assert err.value.translation_key == "unknown_voice"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["voice"] == "Zainab"
    assert "Zainab" in str(err.value)
    assert any(r["speaker"] == "Zainab" for r in hamsa.requests)  # it did reach Hamsa

    hamsa.catalog.append(CatalogVoice("Zainab", "msa"))  # Hamsa has her; our catalogue lacks
    _ext, data = await media_audio(hass, entity_id, "الآن أعرفه.", {**WAV, "voice": "Zainab"})
    assert hamsa.requests[-1]["speaker"] == "Zainab"
    assert parse_wav(data)[2] == pcm_for_text("الآن أعرفه.", 16000)


async def test_hamsa_key_never_logged(
    hass: HomeAssistant,
    hamsa: FakeHamsa,
    hamsa_loaded: tuple[MockConfigEntry, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even at debug level the key does not reach the log."""
    caplog.set_level("DEBUG")
    _entry, entity_id = hamsa_loaded
    await hamsa.close_all_idle()
    await media_audio(hass, entity_id, "اختبار السجلات.")
    assert HAMSA_KEY not in caplog.text
