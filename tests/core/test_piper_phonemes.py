"""Piper's phonemes and ids from text: Piper's own test vectors, then Arabic.

The vectors marked "Piper's" are copied from Piper's test suites (OHF-Voice/piper1-gpl
tests/test_piper.py and rhasspy/piper-phonemize src/python_test.py), where the library
call to espeak-ng made them; here the espeak-ng program must give the same.
"""

from __future__ import annotations

import pytest
from arabic_tts_core.errors import ProviderError, ProviderUnavailable
from arabic_tts_core.offline import espeak_available
from arabic_tts_core.piper_phonemes import (
    Clause,
    EspeakPhonemizer,
    phoneme_ids,
    split_clauses,
    split_long,
    text_phonemes,
)

from tests.fakes.piper_voice import PIPER_ID_MAP

needs_espeak = pytest.mark.skipif(not espeak_available(), reason="script/setup installs espeak-ng")


def joined(sentences: list[list[str]]) -> list[str]:
    return ["".join(sentence) for sentence in sentences]


@needs_espeak
async def test_piper_test_vector_english_sentences_and_ids() -> None:
    """Piper's: "Test 1. Test 2." → two sentences, each framed ^ _ … _ $."""
    sentences = await EspeakPhonemizer().phonemize("Test 1. Test 2.", "en-us")

    assert sentences == [
        ["t", "ˈ", "ɛ", "s", "t", " ", "w", "ˈ", "ʌ", "n", "."],
        ["t", "ˈ", "ɛ", "s", "t", " ", "t", "ˈ", "u", "ː", "."],
    ]
    # fmt: off
    assert phoneme_ids(sentences[0], PIPER_ID_MAP) == [
        1, 0, 32, 0, 120, 0, 61, 0, 31, 0, 32, 0, 3, 0, 35, 0, 120, 0, 102, 0, 26, 0, 10, 0, 2
    ]
    assert phoneme_ids(sentences[1], PIPER_ID_MAP) == [
        1, 0, 32, 0, 120, 0, 61, 0, 31, 0, 32, 0, 3, 0, 32, 0, 120, 0, 33, 0, 122, 0, 10, 0, 2
    ]
    # fmt: on


@needs_espeak
async def test_piper_test_vector_decomposed_codepoints() -> None:
    """Piper's: "licht!" in German; ç is split into c + combining cedilla (NFD)."""
    sentences = await EspeakPhonemizer().phonemize("licht!", "de")

    assert sentences == [["l", "ˈ", "ɪ", "c", "\u0327", "t", "!"]]
    assert phoneme_ids(sentences[0], PIPER_ID_MAP) == [
        *(1, 0, 24, 0, 120, 0, 74, 0, 16, 0, 140, 0, 32, 0, 4, 0, 2)
    ]


@needs_espeak
async def test_piper_test_vectors_arabic_voice() -> None:
    """Piper's, with espeak voice ``ar`` (as ar_JO-kareem): language flags are dropped,
    and unvowelled Arabic gives Piper's phonemes (Piper's test_ar_tashkeel)."""
    phonemizer = EspeakPhonemizer()

    assert await phonemizer.phonemize("test", "ar") == [["t", "ˈ", "ɛ", "s", "t"]]
    assert joined(await phonemizer.phonemize("بسم الله الرحمن الرحيم", "ar")) == [
        "bˈismillˌaːh ʔˈarɹaħmˌaːn ʔarrˈaħiːm"
    ]


@needs_espeak
async def test_arabic_punctuation_becomes_pipers_marks_and_sentences() -> None:
    """، is a comma (plus a space), ؟ a question mark that ends a sentence, as espeak-ng
    classifies them for Piper."""
    sentences = await EspeakPhonemizer().phonemize("مَرْحَبًا، كَيْفَ حَالُكَ؟ أَنَا بِخَيْرٍ.", "ar")

    assert joined(sentences) == ["mˈarħabˌan, kaˌifa ħˈaːlukˌa?", "ʔˈanaː biχˌairˌin."]


@needs_espeak
async def test_clause_marks_colon_semicolon_dash_and_ellipsis() -> None:
    """: ; and a dash end clauses with their mark and a space; an ellipsis ends one with
    nothing (its masked clause type matches none of Piper's six)."""
    sentences = await EspeakPhonemizer().phonemize("أولا: نعم; لا — بعد… ثم!", "ar")

    assert joined(sentences) == ["ʔˈuːlaː: nˈaʕam; lˈaː; bˈaʕdθˈumma!"]


@needs_espeak
async def test_empty_clause_still_gets_its_mark() -> None:
    """espeak-ng prints nothing for the empty clause between two commas, so its lines and
    our clauses disagree: each clause is then phonemized alone, marks intact."""
    sentences = await EspeakPhonemizer().phonemize("مرحبا، ، كيف", "ar")

    assert joined(sentences) == ["mrħbˈaː, , kˈajfa"]


def test_clauses_end_only_where_espeak_ends_them() -> None:
    assert split_clauses("السعر 2.5 دينار. الساعة 2:05 الآن") == [
        Clause("السعر 2.5 دينار.", ".", True),
        Clause("الساعة 2:05 الآن"),
    ]
    assert split_clauses("نعم،لا و(مرحبا.) ثم.. بعد... قبل") == [
        Clause("نعم،لا و(مرحبا.)", ".", True),
        Clause("ثم..", ".", True),
        Clause("بعد...", "", False),
        Clause("قبل"),
    ]
    assert split_clauses("قال: «مرحبا». ثم؟! لا\n\nنعم") == [
        Clause("قال:", ":", False),
        Clause("«مرحبا».", ".", True),
        Clause("ثم؟!", "!", True),
        Clause("لا نعم"),
    ]
    assert split_clauses("  ") == []


def test_ids_skip_unknown_phonemes_and_report_them() -> None:
    missing: set[str] = set()
    ids = phoneme_ids(["a", "☃", "b"], PIPER_ID_MAP, missing)

    assert ids == [1, 0, 14, 0, 15, 0, 2]
    assert missing == {"☃"}


def test_ids_follow_the_voices_own_map() -> None:
    id_map = {"_": [7], "^": [8], "$": [9], "a": [4, 5]}
    assert phoneme_ids(["a", "a"], id_map) == [8, 7, 4, 5, 7, 4, 5, 7, 9]


def test_text_voices_read_codepoints() -> None:
    assert text_phonemes("مَ") == [["م", "\u064e"]]


def test_long_sentences_are_cut_after_a_clause_mark_else_at_a_space() -> None:
    phonemes = list("aaaa, bbbb cccc dddd")
    assert ["".join(piece) for piece in split_long(phonemes, 12)] == [
        "aaaa, ",
        "bbbb cccc ",
        "dddd",
    ]
    assert ["".join(piece) for piece in split_long(list("abcdefgh"), 3)] == ["abc", "def", "gh"]
    assert split_long(list("short"), 12) == [list("short")]


async def test_missing_espeak_is_unavailable() -> None:
    phonemizer = EspeakPhonemizer(executable="/nonexistent/espeak-ng")
    with pytest.raises(ProviderUnavailable, match="espeak-ng cannot be started"):
        await phonemizer.phonemize("مرحبا", "ar")


@needs_espeak
async def test_unknown_espeak_voice_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="voice 'xx-nope'"):
        await EspeakPhonemizer().phonemize("مرحبا", "xx-nope")
