"""The fallback voice of an entry: who speaks when the provider is late or fails.

Each case plays one fault against the fakes and checks which voice spoke (the audio
bytes), what each fake was asked, the order of events in the log, and what the breakers
and the diagnostics say. Deadlines are short so the tests wait little; nothing asserts
how long anything took (waits only bound a hang).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Generator
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import tts
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.arabic_tts.const import (
    CONF_DIALECT,
    CONF_FALLBACK_VOICE,
    CONF_FIRST_AUDIO_DEADLINE,
    CONF_LEXICON,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_WS_URL,
    DOMAIN,
)
from custom_components.arabic_tts.core.breaker import BreakerState
from custom_components.arabic_tts.core.budget import DEFAULT_FIRST_AUDIO_DEADLINE
from custom_components.arabic_tts.core.hamsa import HamsaClient
from custom_components.arabic_tts.diagnostics import async_get_config_entry_diagnostics

from ..fakes.audio import pcm_for_text
from ..fakes.blackhole import BlackHole
from ..fakes.faseeh import FakeFaseeh
from ..fakes.faseeh import Fault as FaseehFault
from ..fakes.hamsa import RATE_LIMIT_MESSAGE, TTS_STREAM_PATH, WS_PATH, FakeHamsa, Fault
from .conftest import HAMSA_KEY, faseeh_entry, hamsa_entry, setup_entry
from .fallback_tts import BACKUP_ENTITY, BackupVoice, backup_pcm, setup_backup_voice
from .test_config_flow import check_translated
from .test_tts import entity_of, media_audio

DEADLINE = 0.3  # seconds: short, so the tests wait little
WAV16 = {tts.ATTR_PREFERRED_FORMAT: "wav", tts.ATTR_PREFERRED_SAMPLE_RATE: 16000}
FASEEH_ENTITY = "tts.faseeh_text_to_speech"
HAMSA_ENTITY = "tts.hamsa_text_to_speech"
PROJECT_PATH = "/v1/projects/by-api-key"
HANG_GUARD = 30  # seconds: only bounds a hang
DRY_KEY = "Zq81vTe0pW"  # a key whose wallet is empty


@pytest.fixture
async def backup(hass: HomeAssistant) -> AsyncGenerator[BackupVoice]:
    """A TTS entity of another integration, tts.backup_voice (WAV at 16 kHz)."""
    voice = BackupVoice()
    async for _ in setup_backup_voice(hass, voice):
        yield voice


@pytest.fixture(autouse=True)
def breaker_pause() -> Generator[None]:
    """A transport that failed stays skipped for the whole test (its first check would
    come ten minutes later) unless a test says otherwise."""
    with patch("custom_components.arabic_tts.provider.BREAKER_BACKOFF", 600):
        yield


@pytest.fixture(autouse=True)
def short_stall() -> Generator[None]:
    """The gap limit inside a reply, short so stall cases wait little."""
    with patch("custom_components.arabic_tts.tts.STALL_TIMEOUT", DEADLINE):
        yield


def with_fallback(fallback: str, **options: Any) -> dict[str, Any]:
    """Entry options naming a fallback voice and the short deadline."""
    return {CONF_FALLBACK_VOICE: fallback, CONF_FIRST_AUDIO_DEADLINE: DEADLINE, **options}


def pcm_of(wav: bytes) -> bytes:
    """The samples of a WAV file (after its data chunk header)."""
    return wav[wav.index(b"data") + 8 :]


async def hamsa_with_fallback(
    hass: HomeAssistant, hamsa: FakeHamsa, fallback: str, **data: Any
) -> tuple[MockConfigEntry, str]:
    """A loaded Hamsa entry falling back on ``fallback``, its warm socket ready."""
    entry = hamsa_entry(hass, hamsa, **with_fallback(fallback))
    if data:
        hass.config_entries.async_update_entry(entry, data={**entry.data, **data})
    entity_id = await setup_entry(hass, entry)
    if CONF_WS_URL not in data:
        await warm(entry)
    return entry, entity_id


async def warm(entry: MockConfigEntry) -> None:
    """Wait for a warm socket, so a request goes over the WebSocket."""
    pool = entry.runtime_data.client.pool
    async with asyncio.timeout(HANG_GUARD):
        while pool.idle_count < 1:  # noqa: ASYNC110 (the pool offers no event)
            await asyncio.sleep(0.01)


async def faseeh_fallback(hass: HomeAssistant, faseeh: FakeFaseeh, **options: Any) -> str:
    """A loaded Faseeh entry at Hamsa's rate (16 kHz): as a fallback, its PCM passes
    through unchanged."""
    faseeh.sample_rate = 16000
    entry = faseeh_entry(hass, faseeh, **{CONF_SAMPLE_RATE: "16000", **options})
    return await setup_entry(hass, entry)


def breaker_states(entry: MockConfigEntry) -> dict[str, BreakerState]:
    client = entry.runtime_data.client
    return {status.name: status.state for status in client.breakers.statuses()}


def lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    """Our log lines at ``level`` or above, in order."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.arabic_tts") and record.levelno >= level
    ]


def index_of(found: list[str], *words: str) -> int:
    """The index of the first line holding every word."""
    return next(i for i, line in enumerate(found) if all(word in line for word in words))


# --- a stalled provider ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "rate"),
    [("wav", 16000), ("mp3", 22050)],
    ids=["piper-like wav", "google-translate-like mp3"],
)
async def test_stalled_hamsa_speaks_through_another_integration(
    hass: HomeAssistant,
    hamsa: FakeHamsa,
    backup: BackupVoice,
    caplog: pytest.LogCaptureFixture,
    *,
    extension: str,
    rate: int,
) -> None:
    """Hamsa acks, then sends nothing: by the deadline the other integration's voice
    speaks the message (converted by Home Assistant to the reply's format); the
    WebSocket is skipped by the next request, which Hamsa speaks over its REST stream."""
    backup.extension, backup.rate = extension, rate
    entry, entity_id = await hamsa_with_fallback(hass, hamsa, BACKUP_ENTITY)
    hamsa.faults.append(Fault.stall_after_bytes(0))
    message = "الباب الأمامي مفتوح"

    _ext, data = await media_audio(hass, entity_id, message, WAV16)

    assert [(r["text"], r["transport"]) for r in hamsa.requests] == [(message, "websocket")]
    assert [(h.message, h.language) for h in backup.heard] == [(message, "ar")]
    spoken = pcm_of(data)
    expected = backup_pcm(message, rate)
    if (extension, rate) == ("wav", 16000):
        assert spoken == expected  # passed through, byte for byte
    else:  # converted: the same length of speech (MP3 adds a frame of padding at most)
        seconds = len(spoken) / 2 / 16000
        assert abs(seconds - len(expected) / 2 / rate) < 0.1
        assert spoken != pcm_for_text(message, 16000)  # not Hamsa's voice
    found = lines(caplog)
    skipped = index_of(found, "Hamsa WebSocket is skipped", f"no audio within {DEADLINE:g} s")
    failed = index_of(found, entity_id, "failed (timeout)", BACKUP_ENTITY)
    spoke = index_of(found, f"Fallback {BACKUP_ENTITY} spoke", "(timeout)")
    assert skipped < failed < spoke
    assert breaker_states(entry)["Hamsa WebSocket"] is BreakerState.OPEN

    # The next request does not wait on the WebSocket again: Hamsa's REST stream speaks.
    second = "أغلق الباب"
    _ext, data = await media_audio(hass, entity_id, second, WAV16)
    assert [(r["text"], r["transport"]) for r in hamsa.requests[1:]] == [(second, "rest")]
    assert pcm_of(data) == pcm_for_text(second, 16000)
    assert len(backup.heard) == 1


async def test_handshake_that_never_completes_speaks_through_the_other_entry(
    hass: HomeAssistant,
    hamsa: FakeHamsa,
    faseeh: FakeFaseeh,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hamsa's address takes the TCP connection and never answers the handshake, and its
    REST stream is down (503): the Faseeh entry speaks by the deadline; once both ways
    to Hamsa failed, a request goes to Faseeh at once, without asking Hamsa."""
    await faseeh_fallback(hass, faseeh)
    hamsa.rest_status_override[TTS_STREAM_PATH] = 503
    async with BlackHole() as hole:
        entry, entity_id = await hamsa_with_fallback(
            hass, hamsa, FASEEH_ENTITY, **{CONF_WS_URL: hole.ws_url(WS_PATH)}
        )
        messages = ["تم تشغيل المكيف الآن", "تم إطفاء الأنوار كلها", "الباب الخلفي مغلق الآن"]
        for message in messages[:2]:
            _ext, data = await media_audio(hass, entity_id, message, WAV16)
            assert pcm_of(data) == pcm_for_text(message, 16000)  # Faseeh's voice
        assert hole.accepted >= 1 and hamsa.requests == []
        assert [g.text for g in faseeh.generations] == messages[:2]
        assert set(breaker_states(entry).values()) == {BreakerState.OPEN}

        caplog.clear()
        asked = len(hamsa.rest_requests)
        _ext, data = await media_audio(hass, entity_id, messages[2], WAV16)
        assert pcm_of(data) == pcm_for_text(messages[2], 16000)
        assert [g.text for g in faseeh.generations] == messages
        assert [r.path for r in hamsa.rest_requests[asked:] if r.path == TTS_STREAM_PATH] == []
        # Skipping a provider known to be down is news, not a warning.
        assert any(
            f"Fallback {FASEEH_ENTITY} spoke" in line and "(provider_unavailable)" in line
            for line in lines(caplog, logging.INFO)
        )
        assert not any("Fallback" in line for line in lines(caplog, logging.WARNING))
        await hass.config_entries.async_unload(entry.entry_id)


async def test_wallet_error_speaks_through_the_other_entry(
    hass: HomeAssistant, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    """An empty wallet: Faseeh speaks at once, and the repair issue still tells the user
    (a wallet error costs no wait, so it opens no breaker)."""
    hamsa.empty_wallet_keys = {DRY_KEY}
    await faseeh_fallback(hass, faseeh)
    entry, entity_id = await hamsa_with_fallback(hass, hamsa, FASEEH_ENTITY, **{"api_key": DRY_KEY})
    message = "درجة الحرارة في الخارج عشرون"
    _ext, data = await media_audio(hass, entity_id, message, WAV16)
    assert pcm_of(data) == pcm_for_text(message, 16000)
    assert [g.text for g in faseeh.generations] == [message]
    issue_id = f"insufficient_funds_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert set(breaker_states(entry).values()) == {BreakerState.CLOSED}
    reply = entry.runtime_data.replies.as_list()[-1]
    assert reply["spoken_by"] == [FASEEH_ENTITY]
    assert [(g["voice"], g["code"]) for g in reply["given_up"]] == [
        (f"{entity_id} (Ali)", "insufficient_funds")
    ]


async def test_stalled_faseeh_speaks_through_the_hamsa_entry(
    hass: HomeAssistant, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    """Faseeh takes the text and never speaks, on its socket and over REST: the Hamsa
    entry speaks by the deadline, resampled by Home Assistant to Faseeh's 24 kHz."""
    await setup_entry(hass, hamsa_entry(hass, hamsa))
    entry = faseeh_entry(hass, faseeh, **with_fallback(HAMSA_ENTITY))
    entity_id = await setup_entry(hass, entry)
    faseeh.faults += [FaseehFault.stall_after_bytes(0), FaseehFault.stall_after_bytes(0)]
    message = "تم تشغيل الغسالة في الحمام"
    _ext, data = await media_audio(hass, entity_id, message, {tts.ATTR_PREFERRED_FORMAT: "wav"})
    assert [r["text"] for r in hamsa.requests] == [message]
    assert {g.text for g in faseeh.generations} == {message}
    rate = int.from_bytes(data[24:28], "little")
    assert rate == 24000
    expected = len(pcm_for_text(message, 16000)) / 2 / 16000
    assert abs(len(pcm_of(data)) / 2 / rate - expected) < 0.01
    reply = entry.runtime_data.replies.as_list()[-1]
    assert reply["spoken_by"] == [HAMSA_ENTITY]
    assert reply["given_up"][0]["code"] == "timeout"


async def test_the_fallback_says_names_as_the_lexicon_says(
    hass: HomeAssistant, hamsa: FakeHamsa, backup: BackupVoice
) -> None:
    """The entry's pronunciations reach the fallback voice too (the user wants them from
    every voice); the provider's own text steps do not (they were chosen for it)."""
    entry = hamsa_entry(
        hass,
        hamsa,
        **with_fallback(BACKUP_ENTITY, **{CONF_LEXICON: "Salma = سلمى\n"}),
    )
    entity_id = await setup_entry(hass, entry)
    await warm(entry)
    hamsa.faults.append(Fault.stall_after_bytes(0))
    _ext, data = await media_audio(hass, entity_id, "وصلت Salma إلى البيت الساعة 5", WAV16)
    assert [h.message for h in backup.heard] == ["وصلت سلمى إلى البيت الساعة 5"]
    assert pcm_of(data) == backup_pcm("وصلت سلمى إلى البيت الساعة 5", 16000)


# --- stalls in the middle of a reply -------------------------------------------------------------


async def test_stall_mid_message_is_spoken_once_by_the_fallback(
    hass: HomeAssistant, hamsa: FakeHamsa, backup: BackupVoice
) -> None:
    """A whole message (async_get_tts_audio) whose audio stops half way: the fallback
    says the message, and the half Hamsa said is not kept (nothing is heard twice)."""
    _entry, entity_id = await hamsa_with_fallback(hass, hamsa, BACKUP_ENTITY)
    message = "هذه رسالة طويلة نوعا ما تتوقف في منتصفها"
    hamsa.faults.append(Fault.stall_after_bytes(len(pcm_for_text(message, 16000)) // 2))
    entity = entity_of(hass, entity_id)
    extension, data = await entity.async_get_tts_audio(message, "ar", {})
    assert extension == "wav" and data is not None
    assert [r["text"] for r in hamsa.requests] == [message]
    assert [h.message for h in backup.heard] == [message]
    assert pcm_of(data) == backup_pcm(message, 16000)


async def test_streamed_reply_moves_to_the_fallback_for_the_rest(
    hass: HomeAssistant, hamsa: FakeHamsa, backup: BackupVoice
) -> None:
    """An answer streamed sentence by sentence: Hamsa speaks the first, stalls on the
    second; the fallback speaks the second from its start and every later one, in order,
    one voice at a time."""
    entry, entity_id = await hamsa_with_fallback(hass, hamsa, BACKUP_ENTITY)
    sentences = ["الجو اليوم مشمس.", "الحرارة خمس وعشرون درجة.", "لا أمطار متوقعة."]
    entity = entity_of(hass, entity_id)

    async def text() -> AsyncGenerator[str]:
        for sentence in sentences:
            yield sentence + " "

    # Egyptian Arabic asked for: the fallback speaks its closest language, plain Arabic.
    response = await entity.async_stream_tts_audio(tts.TTSAudioRequest("ar-EG", {}, text()))
    chunks: list[bytes] = []
    async for chunk in response.data_gen:
        if len(chunks) == 1:
            # The first sentence's audio is here; the second is not asked for yet.
            hamsa.faults.append(Fault.stall_after_bytes(0))
        chunks.append(chunk)
    assert [r["text"] for r in hamsa.requests] == sentences[:2]
    assert [(h.message, h.language) for h in backup.heard] == [(s, "ar") for s in sentences[1:]]
    assert pcm_of(b"".join(chunks)) == pcm_for_text(sentences[0], 16000) + b"".join(
        backup_pcm(sentence, 16000) for sentence in sentences[1:]
    )
    reply = entry.runtime_data.replies.as_list()[-1]
    assert reply["kind"] == "stream"
    assert reply["spoken_by"] == [f"{entity_id} (Ali)", BACKUP_ENTITY]
    assert reply["given_up"][0]["code"] == "timeout"
    assert "in the middle of the reply" in reply["given_up"][0]["message"]


# --- the breaker: skipped while down, tried again once back --------------------------------------


async def test_provider_skipped_while_down_and_used_again_once_back(
    hass: HomeAssistant,
    hamsa: FakeHamsa,
    backup: BackupVoice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hamsa goes down (sockets gone, every address answers 503): the fallback speaks,
    the next request does not reach Hamsa at all; once Hamsa answers again, the
    background checks notice and the next request is Hamsa's."""
    with patch("custom_components.arabic_tts.provider.BREAKER_BACKOFF", 0.05):
        entry, entity_id = await hamsa_with_fallback(hass, hamsa, BACKUP_ENTITY)
    client = entry.runtime_data.client
    assert isinstance(client, HamsaClient)
    for path in (WS_PATH, TTS_STREAM_PATH, PROJECT_PATH):
        hamsa.rest_status_override[path] = 503
    await hamsa.close_all_idle()

    down = ["المطبخ مضاء", "غرفة النوم مظلمة"]
    for message in down:  # the first waits on the WebSocket, the second tries REST once
        _ext, data = await media_audio(hass, entity_id, message, WAV16)
        assert pcm_of(data) == backup_pcm(message, 16000)
    assert set(breaker_states(entry).values()) == {BreakerState.OPEN}

    asked = len(hamsa.rest_requests)
    skipped = "الممر مضاء"
    _ext, data = await media_audio(hass, entity_id, skipped, WAV16)
    assert pcm_of(data) == backup_pcm(skipped, 16000)
    # Nothing of this request reached Hamsa (the checks fail meanwhile: still down).
    assert [r for r in hamsa.rest_requests[asked:] if r.path == TTS_STREAM_PATH] == []
    assert [h.message for h in backup.heard] == [*down, skipped]

    hamsa.rest_status_override.clear()
    async with asyncio.timeout(HANG_GUARD):
        for breaker in client.breakers.all:
            await breaker.wait_for(BreakerState.HALF_OPEN)
    third = "عاد الاتصال"
    _ext, data = await media_audio(hass, entity_id, third, WAV16)
    assert pcm_of(data) == pcm_for_text(third, 16000)  # Hamsa's voice again
    assert [r["text"] for r in hamsa.requests] == [third]
    assert len(backup.heard) == 3
    found = lines(caplog)
    assert index_of(found, "Hamsa WebSocket is skipped") < index_of(
        found, "Hamsa WebSocket answers again"
    )
    assert any("works again" in line for line in found)
    assert BreakerState.CLOSED in breaker_states(entry).values()


# --- no endless loops, no fallback ---------------------------------------------------------------


async def test_entries_that_fall_back_on_each_other_do_not_loop(
    hass: HomeAssistant, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    """Hamsa falls back on Faseeh and Faseeh on Hamsa, and both fail: one request to
    each, then the user sees Hamsa's error, which says the fallback failed too."""
    hamsa.empty_wallet_keys = {DRY_KEY}
    faseeh.faults.append(FaseehFault.error_type("Internal error"))
    await faseeh_fallback(hass, faseeh, **with_fallback(HAMSA_ENTITY))
    _entry, entity_id = await hamsa_with_fallback(
        hass, hamsa, FASEEH_ENTITY, **{"api_key": DRY_KEY}
    )
    with pytest.raises(HomeAssistantError) as raised:
        await media_audio(hass, entity_id, "افتح الستائر في غرفة الجلوس", WAV16)
    assert raised.value.translation_key == "insufficient_funds"
    assert FASEEH_ENTITY in str(raised.value.translation_placeholders)
    assert len(faseeh.generations) == 1
    assert sum(len(c.requests) for c in hamsa.connections) == 1


async def test_without_a_fallback_the_provider_error_is_shown(
    hass: HomeAssistant, hamsa: FakeHamsa, backup: BackupVoice
) -> None:
    """No fallback chosen: today's behaviour, the provider's error (and nobody else
    is asked)."""
    hamsa.empty_wallet_keys = {DRY_KEY}
    entry = hamsa_entry(hass, hamsa)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "api_key": DRY_KEY})
    entity_id = await setup_entry(hass, entry)
    with pytest.raises(HomeAssistantError) as raised:
        await media_audio(hass, entity_id, "افتح الستائر", WAV16)
    assert raised.value.translation_key == "insufficient_funds"
    assert backup.heard == []
    assert entry.runtime_data.replies.as_list()[-1]["outcome"] == "insufficient_funds"


async def test_a_fallback_that_cannot_speak_does_not_cut_the_provider_off(
    hass: HomeAssistant,
    hamsa: FakeHamsa,
    backup: BackupVoice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The chosen fallback was removed or is unavailable: replies wait for the provider
    as without a fallback (a late reply beats none), and the log says so once."""
    entry, entity_id = await hamsa_with_fallback(hass, hamsa, "tts.removed_voice")
    hamsa.first_audio_delay = DEADLINE * 3
    for message in ("افتح الستائر", "أغلق الستائر"):
        _ext, data = await media_audio(hass, entity_id, message, WAV16)
        assert pcm_of(data) == pcm_for_text(message, 16000)  # Hamsa, late
    hamsa.first_audio_delay = 0
    hamsa.faults.append(Fault.error(RATE_LIMIT_MESSAGE))
    with pytest.raises(HomeAssistantError) as raised:
        await media_audio(hass, entity_id, "أطفئ الأنوار", WAV16)
    assert raised.value.translation_key == "rate_limited"
    assert "fallback" not in str(raised.value.translation_placeholders)
    warnings = [line for line in lines(caplog, logging.WARNING) if "tts.removed_voice" in line]
    assert len(warnings) == 1 and "does not exist or is unavailable" in warnings[0]

    hass.states.async_set(BACKUP_ENTITY, "unavailable")
    options = {**entry.options, CONF_FALLBACK_VOICE: BACKUP_ENTITY}
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await warm(entry)
    hamsa.first_audio_delay = DEADLINE * 3
    _ext, data = await media_audio(hass, entity_id, "افتح الباب", WAV16)
    assert pcm_of(data) == pcm_for_text("افتح الباب", 16000)
    assert backup.heard == []


# --- options and diagnostics ---------------------------------------------------------------------


async def test_options_offer_any_other_tts_entity(
    hass: HomeAssistant, hamsa: FakeHamsa, backup: BackupVoice
) -> None:
    """The options form offers every TTS entity but the entry's own, and a deadline;
    the chosen fallback speaks after the reload; clearing it restores the error."""
    entry = hamsa_entry(hass, hamsa)
    entity_id = await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    check_translated(result, "options")
    schema = {str(key): value for key, value in result["data_schema"].schema.items()}
    selector = schema[CONF_FALLBACK_VOICE]
    assert selector.config["domain"] == ["tts"]
    assert selector.config["exclude_entities"] == [entity_id]
    deadline = schema[CONF_FIRST_AUDIO_DEADLINE]
    assert deadline.config["unit_of_measurement"] == "s"
    deadline_key = next(k for k in result["data_schema"].schema if str(k) == "first_audio_deadline")
    assert deadline_key.default() == DEFAULT_FIRST_AUDIO_DEADLINE

    base = {CONF_VOICE: "Ali", CONF_DIALECT: "auto"}
    with pytest.raises(InvalidData):  # never its own fallback
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**base, CONF_FALLBACK_VOICE: entity_id}
        )

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**base, CONF_FALLBACK_VOICE: BACKUP_ENTITY, CONF_FIRST_AUDIO_DEADLINE: DEADLINE},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.options[CONF_FALLBACK_VOICE] == BACKUP_ENTITY
    assert entry.options[CONF_FIRST_AUDIO_DEADLINE] == DEADLINE
    await warm(entry)
    hamsa.faults.append(Fault.stall_after_bytes(0))
    _ext, data = await media_audio(hass, entity_id, "صباح الخير", WAV16)
    assert pcm_of(data) == backup_pcm("صباح الخير", 16000)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, CONF_FIRST_AUDIO_DEADLINE: DEADLINE}
    )
    await hass.async_block_till_done()
    assert CONF_FALLBACK_VOICE not in entry.options
    hamsa.empty_wallet_keys = {HAMSA_KEY}
    with pytest.raises(HomeAssistantError):
        await media_audio(hass, entity_id, "مساء الخير", WAV16)
    assert len(backup.heard) == 1


async def test_unchanged_form_keeps_the_default_deadline_unstored(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """Saving the form unchanged stores no deadline (an older entry is not reloaded)."""
    entry = faseeh_entry(hass, faseeh)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    before = dict(entry.options)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {key: value for key, value in before.items()}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_FIRST_AUDIO_DEADLINE not in entry.options
    assert CONF_FALLBACK_VOICE not in entry.options


async def test_diagnostics_say_which_voice_spoke_and_why(
    hass: HomeAssistant, hamsa: FakeHamsa, backup: BackupVoice
) -> None:
    """The last replies (voices heard, voices given up on and why) and every breaker
    (state, since, why, next check); the key appears nowhere."""
    entry, entity_id = await hamsa_with_fallback(hass, hamsa, BACKUP_ENTITY)
    _ext, _data = await media_audio(hass, entity_id, "مرحبا", WAV16)
    hamsa.faults.append(Fault.stall_after_bytes(0))
    _ext, _data = await media_audio(hass, entity_id, "وداعا", WAV16)

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert HAMSA_KEY not in json.dumps(diagnostics)
    runtime = diagnostics["runtime"]
    healthy, late = runtime["recent_replies"][-2:]
    requested = f"{entity_id} (Ali)"
    assert (healthy["requested"], healthy["spoken_by"], healthy["given_up"]) == (
        requested,
        [requested],
        [],
    )
    assert late["spoken_by"] == [BACKUP_ENTITY]
    assert late["outcome"] == "spoken"
    assert late["given_up"] == [
        {
            "voice": requested,
            "code": "timeout",
            "message": f"{requested} gave no audio within {DEADLINE:g} s.",
        }
    ]
    breakers = {b["name"]: b for b in runtime["breakers"]}
    assert set(breakers) == {"Hamsa WebSocket", "Hamsa REST stream"}
    websocket = breakers["Hamsa WebSocket"]
    assert websocket["state"] == "open"
    assert websocket["reason"] == f"no audio within {DEADLINE:g} s"
    assert websocket["since"] and websocket["next_check"]
    assert breakers["Hamsa REST stream"]["state"] == "closed"
    assert runtime["recent_failures"][-1]["code"] == "timeout"


async def test_home_assistant_caches_a_message_the_fallback_spoke(
    hass: HomeAssistant, hamsa: FakeHamsa, backup: BackupVoice
) -> None:
    """What docs/fallback.md says about Home Assistant's TTS cache, checked: a whole
    message (tts.speak with its default ``cache: true``) that the fallback spoke is kept
    under this entity's cache key, so asking again replays the fallback's audio without
    asking anyone; an entity cannot keep it out."""
    _entry, entity_id = await hamsa_with_fallback(hass, hamsa, BACKUP_ENTITY)
    hamsa.faults.append(Fault.stall_after_bytes(0))
    message = "تذكير بموعد الطبيب غدا"

    async def speak_cached() -> bytes:
        _ext, data = await tts.async_get_media_source_audio(
            hass,
            tts.generate_media_source_id(
                hass, message, engine=entity_id, language="ar", options=WAV16, cache=True
            ),
        )
        return data

    first = await speak_cached()
    again = await speak_cached()
    assert pcm_of(first) == pcm_of(again) == backup_pcm(message, 16000)
    assert len(hamsa.requests) == 1 and len(backup.heard) == 1
