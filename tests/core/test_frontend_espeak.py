"""The offline voice before and after the front-end, measured with espeak-ng's phonemes.

For every reply of the corpus, the text espeak-ng used to get (as written) and the text
it gets now (the offline voice's default steps: markup, Latin words, numbers, Latin
letters, tashkeel) go through ``espeak-ng -v ar -q -x`` (bench/frontend.py). Reported
(docs/text-frontend.md; ``python -m bench.frontend`` prints the table): replies with
digits or Latin letters left, replies where espeak-ng switches to English (it writes
``(en)`` in its phonemes), and the share of Arabic words that carry vowel marks.
"""

from __future__ import annotations

import shutil

import pytest
from arabic_tts_core.frontend import tashkeel_available

from bench.frontend import corpus_figures, espeak_phonemes, offline_text

from .frontend_corpus import CORPUS

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is installed by script/setup"
)


def test_offline_voice_before_and_after() -> None:
    if not tashkeel_available():
        pytest.skip("the tashkeel extra is installed by script/setup")
    figures = corpus_figures([case.text for case in CORPUS])
    before, after = figures["before"], figures["after"]
    # Only the English sentence keeps its Latin letters, and only it is read in English.
    english = [case.text for case in CORPUS if case.spoken.isascii()]
    assert after["digits_or_latin"] == len(english) < before["digits_or_latin"] / 10
    assert after["english"] == len(english) < before["english"] / 10
    assert after["vowelled"] / after["words"] > 0.95
    assert before["vowelled"] / before["words"] < 0.05


@pytest.mark.parametrize(
    ("text", "written_switch"),
    [
        ("شغل Netflix على تلفاز Samsung", "(en)n'EtflIks(ar)"),
        ("وصل كابل HDMI بالتلفاز", "(en),eItSd,i:;,Em'aI(ar)"),
        ("ضوء Living Room مطفأ", "(en)l'IvIN r'u:m(ar)"),
    ],
)
def test_a_latin_word_no_longer_switches_espeak_to_english(text: str, written_switch: str) -> None:
    """As written, espeak-ng reads the Latin word with English phonemes; after the offline
    voice's steps it is Arabic letters, read with the Arabic voice's own phonemes."""
    assert written_switch in espeak_phonemes(text)
    prepared = offline_text([text])[0]
    assert prepared.isascii() is False
    phonemes = espeak_phonemes(prepared)
    assert "(en)" not in phonemes
    assert phonemes.strip()
