"""Hamsa's catalogue: every speaker, their dialects, voice ids that carry both, listings."""

from __future__ import annotations

import pytest

from custom_components.arabic_tts.core.hamsa import HamsaVoiceSettings
from custom_components.arabic_tts.core.hamsa_voices import (
    BCP47_DIALECTS,
    FUSHA_TAG,
    HAMSA_DEFAULT_DIALECT,
    HAMSA_DEFAULT_SPEAKER,
    HAMSA_SPEAKERS,
    builtin_hamsa_voices,
    dialect_for_tag,
    hamsa_custom_voice,
    hamsa_language_tags,
    hamsa_voice,
    make_voice_id,
    offered_voices,
    own_dialect,
    parse_voice_id,
    voices_for_language,
)
from custom_components.arabic_tts.core.voices import HAMSA_DIALECTS
from tests.fakes.hamsa_catalog import (
    RECOMMENDED,
    SEEN_LIVE,
    SPEAKERS_BY_DIALECT,
    TTS_STREAM_SPEAKERS,
)

CLONE = "0b8e8a4e-6f3c-4a8e-9a0e-2c1d3f4b5a69"
ARABIC_TAGS = [tag for tag in hamsa_language_tags() if tag.startswith("ar-")]


def test_catalogue_holds_every_documented_and_live_speaker() -> None:
    documented = set(TTS_STREAM_SPEAKERS) | set(SEEN_LIVE)
    documented |= {name for names in SPEAKERS_BY_DIALECT.values() for name in names}
    assert set(HAMSA_SPEAKERS) == documented
    assert len(HAMSA_SPEAKERS) == 55
    for speaker in HAMSA_SPEAKERS.values():
        assert speaker.name_ar and not speaker.name_ar.isascii()
        assert all(dialect in HAMSA_DIALECTS for dialect in speaker.dialects)


def test_recommended_dialects_come_from_the_docs() -> None:
    for dialect, names in {**SPEAKERS_BY_DIALECT, **RECOMMENDED}.items():
        for name in names:
            assert dialect in HAMSA_SPEAKERS[name].dialects, (name, dialect)
    own = {name: speaker.dialect for name, speaker in HAMSA_SPEAKERS.items()}
    assert (own["Mariam"], own["Hiba"], own["Ali"], own["Salem"]) == ("egy", "ksa", "pls", "msa")
    assert HAMSA_SPEAKERS["Ali"].dialects == ("pls", "egy")
    assert HAMSA_SPEAKERS["Jasem"].dialects == ("jor", "ksa")
    assert (own["Khalid"], own["Emma"], own["Rami"]) == ("ar-sa", "en", "msa")


def test_default_voice_is_ali_in_palestinian() -> None:
    assert (HAMSA_DEFAULT_SPEAKER, HAMSA_DEFAULT_DIALECT) == ("Ali", "pls")
    assert HamsaVoiceSettings() == HamsaVoiceSettings("Ali", "pls")


@pytest.mark.parametrize(
    ("tag", "dialect"),
    [
        ("ar-SA", "ksa"),
        ("ar-EG", "egy"),
        ("ar-PS", "pls"),
        ("ar-SY", "syr"),
        ("ar-IQ", "irq"),
        ("ar-JO", "jor"),
        ("ar-LB", "leb"),
        ("ar-AE", "uae"),
        ("ar-BH", "bah"),
        ("ar-QA", "qat"),
        ("ar-KW", "kuw"),
        ("ar-OM", "oma"),
        ("ar", "msa"),
        ("en", "en"),
        ("ar-sa", "ar-sa"),  # Hamsa's own Gulf code, not BCP-47 Saudi
        ("ar_EG", "egy"),
        ("AR-eg", "egy"),
        ("egy", "egy"),
        (FUSHA_TAG, "msa"),
        ("ar-MA", None),
        ("xx", None),
        ("", None),
        (None, None),
    ],
)
def test_catalogue_tags_map_to_dialect_codes(tag: str | None, dialect: str | None) -> None:
    assert dialect_for_tag(tag) == dialect


def test_the_issue_map_is_complete() -> None:
    assert {tag: BCP47_DIALECTS[tag] for tag in BCP47_DIALECTS if tag != FUSHA_TAG} == {
        "ar-SA": "ksa",
        "ar-EG": "egy",
        "ar-PS": "pls",
        "ar-SY": "syr",
        "ar-IQ": "irq",
        "ar-JO": "jor",
        "ar-LB": "leb",
        "ar-AE": "uae",
        "ar-BH": "bah",
        "ar-QA": "qat",
        "ar-KW": "kuw",
        "ar-OM": "oma",
        "ar": "msa",
        "en": "en",
    }


@pytest.mark.parametrize(
    ("voice_id", "parsed"),
    [
        ("Mariam", ("Mariam", None)),
        ("mariam", ("Mariam", None)),
        ("Mariam-ksa", ("Mariam", "ksa")),
        ("mariam-EGY", ("Mariam", "egy")),
        ("Khalid-ar-sa", ("Khalid", "ar-sa")),
        ("Hiba-ar-sa", ("Hiba", "ar-sa")),
        ("Ali-en", ("Ali", "en")),
        ("Zaid", ("Zaid", None)),
        ("Zaid-egy", ("Zaid", "egy")),
        ("Abd-Allah", ("Abd-Allah", None)),
        ("-egy", ("-egy", None)),
        (CLONE, (CLONE, None)),
        (f"{CLONE}-egy", (CLONE, "egy")),
        (f"{CLONE}-nope", (f"{CLONE}-nope", None)),
    ],
)
def test_parse_voice_id(voice_id: str, parsed: tuple[str, str | None]) -> None:
    assert parse_voice_id(voice_id) == parsed


@pytest.mark.parametrize(
    ("speaker", "dialect", "voice_id"),
    [
        ("Mariam", "egy", "Mariam"),
        ("Mariam", "ksa", "Mariam-ksa"),
        ("Khalid", "ar-sa", "Khalid"),
        ("Hiba", "ar-sa", "Hiba-ar-sa"),
        ("Zaid", "msa", "Zaid"),
        ("Zaid", "egy", "Zaid-egy"),
        (CLONE, "msa", CLONE),
        (CLONE, "egy", f"{CLONE}-egy"),
    ],
)
def test_voice_ids_round_trip(speaker: str, dialect: str, voice_id: str) -> None:
    assert make_voice_id(speaker, dialect) == voice_id
    parsed_speaker, parsed_dialect = parse_voice_id(voice_id)
    assert parsed_speaker == speaker
    assert (parsed_dialect or own_dialect(speaker)) == dialect


def test_voice_descriptions_in_both_scripts() -> None:
    voice = hamsa_voice("Mariam", "ksa")
    assert (voice.voice_id, voice.dialect, voice.language) == ("Mariam-ksa", "ksa", "ar-SA")
    assert voice.description_en == "Hamsa Mariam (Saudi, female)"
    assert voice.description_ar == "همسة مريم (سعودي، أنثى)"
    clone = hamsa_custom_voice(CLONE, "Grandma", "egy")
    assert (clone.voice_id, clone.custom) == (f"{CLONE}-egy", True)
    assert "Egyptian" in clone.description_en


def test_every_speaker_is_offered_in_every_dialect_once_per_language() -> None:
    voices = [*builtin_hamsa_voices(), hamsa_custom_voice(CLONE, "Grandma")]
    everyone = {voice.voice_id for voice in voices}
    # Plain Arabic: each Arabic speaker (and the clone) once, in its own dialect.
    plain = voices_for_language(voices, "ar")
    assert len(plain) == len(voices) - 2  # all but the English speakers Emma and James
    assert {voice.voice_id for voice in plain} <= everyone
    # A regional tag: every speaker in that dialect, once.
    egyptian = voices_for_language(voices, "ar-EG")
    assert len(egyptian) == len(voices)
    assert {voice.dialect for voice in egyptian} == {"egy"}
    assert {"Mariam", "Hiba-egy", "Ali-egy", f"{CLONE}-egy"} <= {v.voice_id for v in egyptian}
    fusha = voices_for_language(voices, FUSHA_TAG)
    assert len(fusha) == len(voices)
    assert {voice.dialect for voice in fusha} == {"msa"}
    assert {"Salem", "Mariam-msa", CLONE} <= {v.voice_id for v in fusha}
    english = voices_for_language(voices, "en")
    assert len(english) == len(voices)
    # Gulf shares ar-SA with Saudi: every speaker in Saudi, plus the two Gulf speakers.
    saudi = voices_for_language(voices, "ar-SA")
    assert len(saudi) == len(voices) + 2
    assert {"Khalid", "Rahma", "Khalid-ksa", "Hiba"} <= {v.voice_id for v in saudi}
    for tag in ARABIC_TAGS:
        ids = [voice.voice_id for voice in voices_for_language(voices, tag)]
        assert len(ids) == len(set(ids)), tag


def test_offered_voices_count() -> None:
    offered = list(offered_voices(builtin_hamsa_voices()))
    # Each speaker in its own dialect, then in every other dialect but Gulf: 13 more for
    # 53 speakers, 14 more for the two Gulf speakers (Khalid, Rahma).
    assert len(offered) == 55 + 53 * 13 + 2 * 14
