"""The text front-end in the Home Assistant entity: what the fake providers received."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest
from homeassistant.components import tts
from homeassistant.components.tts.const import DATA_COMPONENT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.arabic_tts.const import (
    CONF_DIALECT,
    CONF_LEXICON,
    CONF_MODEL,
    CONF_TEXT_STEPS,
    CONF_VOICE,
)

from ..core.frontend_corpus import CORPUS
from ..fakes.audio import pcm_for_text
from ..fakes.faseeh import FakeFaseeh
from ..fakes.hamsa import FakeHamsa
from .conftest import entity_id_of, faseeh_entry, hamsa_entry, setup_entry
from .test_config_flow import check_translated
from .test_tts import WAV, media_audio, parse_wav

LLM_CASES = [case for case in CORPUS if case.origin == "llm" and "```" not in case.text][:4]


def words(text: str) -> list[str]:
    return text.split()


async def stream_text(hass: HomeAssistant, entity_id: str, text: str) -> bytes:
    """Send ``text`` three characters at a time, as an LLM would, and read the WAV."""

    async def message_gen() -> AsyncGenerator[str]:
        for start in range(0, len(text), 3):
            yield text[start : start + 3]

    stream = tts.async_create_stream(hass, entity_id, language="ar", options=WAV)
    stream.async_set_message_stream(message_gen())
    return b"".join([chunk async for chunk in stream.async_stream_result()])


async def test_hamsa_entity_sends_cleaned_text_plain_and_streamed(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    _entry, entity_id = hamsa_loaded
    for case in LLM_CASES:
        hamsa.requests.clear()
        await media_audio(hass, entity_id, case.text)
        assert words(" ".join(r["text"] for r in hamsa.requests)) == words(
            case.cloud or case.spoken
        )
        hamsa.requests.clear()
        await stream_text(hass, entity_id, case.text)
        assert words(" ".join(r["text"] for r in hamsa.requests)) == words(
            case.cloud or case.spoken
        )


async def test_numbers_option_and_ssml_pause_in_the_entity(
    hass: HomeAssistant, hamsa: FakeHamsa
) -> None:
    """The option adds numbers; a <break> in a message is silence between two requests."""
    entry = hamsa_entry(hass, hamsa, **{CONF_TEXT_STEPS: ["markup", "words", "numbers"]})
    entity_id = await setup_entry(hass, entry)
    case = next(c for c in CORPUS if c.text == "حالة حساس حرارة الصالة هي 23.5 °C")
    await media_audio(hass, entity_id, case.text)
    assert hamsa.requests[-1]["text"] == case.spoken

    hamsa.requests.clear()
    _ext, data = await media_audio(
        hass, entity_id, '<speak>انتبه من فضلك <break time="250ms"/> الباب مفتوح</speak>'
    )
    _rate, _frames, pcm = parse_wav(data)
    first, second = (r["text"] for r in hamsa.requests)
    assert (first.strip(), second.strip()) == ("انتبه من فضلك", "الباب مفتوح")
    silence = bytes(16000 * 250 // 1000 * 2)
    assert pcm == pcm_for_text(first, 16000) + silence + pcm_for_text(second, 16000)


async def test_faseeh_entity_streamed_markdown_and_break_tag(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    entity_id = await setup_entry(hass, faseeh_entry(hass, faseeh))
    case = LLM_CASES[1]
    await stream_text(hass, entity_id, case.text)
    sent = " ".join(g.text for g in faseeh.generations)
    assert words(sent) == words(case.cloud or case.spoken)
    faseeh.generations.clear()
    await media_audio(hass, entity_id, '<speak>مرحبا بكم <break time="1s"/> في بيتكم</speak>')
    assert words(faseeh.generations[-1].text) == words('مرحبا بكم <break time="1000ms"/> في بيتكم')


async def test_no_clean_up_when_switched_off(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    entity_id = await setup_entry(hass, hamsa_entry(hass, hamsa, **{CONF_TEXT_STEPS: []}))
    await media_audio(hass, entity_id, "حالة **الضوء** هي on")
    assert hamsa.requests[-1]["text"] == "حالة **الضوء** هي on"


async def test_message_of_only_markup_is_not_sent(
    hass: HomeAssistant, hamsa: FakeHamsa, hamsa_loaded: tuple[MockConfigEntry, str]
) -> None:
    """Nothing speakable is left: no request; the whole-text path says so, the stream is
    simply silent (Home Assistant streams even a whole message)."""
    _entry, entity_id = hamsa_loaded
    _ext, data = await media_audio(hass, entity_id, "```\nprint(1)\n```")
    assert parse_wav(data)[2] == b""
    assert hamsa.requests == []
    entity = hass.data[DATA_COMPONENT].get_entity(entity_id)
    with pytest.raises(HomeAssistantError):
        await entity.async_get_tts_audio("```\nprint(1)\n```", "ar", {})
    assert hamsa.requests == []


# --- the pronunciation lexicon (options flow → entity → provider) ---------------------------

LEXICON = "# people\nSalma = سلمى\nLiving Room = غرفة المعيشة\n"


async def test_lexicon_option_is_validated_and_reaches_hamsa(
    hass: HomeAssistant, hamsa: FakeHamsa
) -> None:
    """A bad line is a translated form error naming the line; a good lexicon is stored
    as typed, reloads the entry, and its spoken forms go upstream, plain and streamed."""
    entry = hamsa_entry(hass, hamsa)
    entity_id = await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert CONF_LEXICON in {str(key) for key in result["data_schema"].schema}
    base = {CONF_VOICE: "Salem", CONF_DIALECT: "auto"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, CONF_LEXICON: "Salma = سلمى\nSalma سلمى\n"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_LEXICON: "invalid_lexicon"}
    assert result["description_placeholders"]["line"] == "2"
    assert result["description_placeholders"]["lexicon_line"] == "Salma سلمى"
    check_translated(result, "options")
    assert CONF_LEXICON not in entry.options

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, CONF_LEXICON: LEXICON}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_LEXICON] == LEXICON

    hamsa.requests.clear()
    await media_audio(hass, entity_id, "هل هاتف Salma مشحون؟")
    assert hamsa.requests[-1]["text"] == "هل هاتف سلمى مشحون؟"
    hamsa.requests.clear()
    await stream_text(hass, entity_id, "أطفأت ضوء Living Room كما طلبت.")
    assert words(" ".join(r["text"] for r in hamsa.requests)) == words(
        "أطفأت ضوء غرفة المعيشة كما طلبت."
    )


async def test_lexicon_applies_with_every_text_step_off_and_reaches_faseeh(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """The user's own words are spoken their way even with no clean-up chosen."""
    entry = faseeh_entry(hass, faseeh, **{CONF_TEXT_STEPS: [], CONF_LEXICON: LEXICON})
    entity_id = await setup_entry(hass, entry)
    await media_audio(hass, entity_id, "أرسلت الرسالة إلى Salma الآن")
    assert faseeh.generations[-1].text == "أرسلت الرسالة إلى سلمى الآن"


async def test_faseeh_lexicon_error_and_an_emptied_lexicon(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    entry = faseeh_entry(hass, faseeh, **{CONF_LEXICON: LEXICON})
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    base = {CONF_VOICE: "ar-najdi-male-2", CONF_MODEL: "faseeh-v1-preview"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, CONF_LEXICON: "= سلمى"}
    )
    assert result["errors"] == {CONF_LEXICON: "invalid_lexicon"}
    assert result["description_placeholders"] == {"line": "1", "lexicon_line": "= سلمى"}
    check_translated(result, "options")

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, CONF_LEXICON: "  \n"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert CONF_LEXICON not in entry.options
    await media_audio(hass, entity_id_of(hass, entry), "أرسلت الرسالة إلى Salma الآن")
    assert faseeh.generations[-1].text == "أرسلت الرسالة إلى Salma الآن"
