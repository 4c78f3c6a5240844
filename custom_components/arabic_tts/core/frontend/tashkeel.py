"""Tashkeel (vowel marks) for the offline voice, so espeak-ng reads words, not letters.

espeak-ng reads unvowelled Arabic poorly ("مرحبا" → ``mRHb'a:``; vowelled, ``m'aRHaban``).
The model is ``text2tashkeel`` (Apache-2.0; ONNX models shipped inside the wheel, no
download, numpy + onnxruntime only; a few milliseconds a sentence on one core). It is an
optional dependency of the Wyoming server only (``pip install 'wyoming-arabic-tts[tashkeel]'``,
installed by the Dockerfile and script/setup); Home Assistant never imports it.

What the model gets wrong must not make speech worse, so:

- **Letters are never changed.** The model also "restores" hamza and madda (المرآب →
  المراب); a word whose letters changed keeps the original spelling, unvowelled.
- **A word the writer vowelled stays as written** (a name from the user's lexicon, سَلْمى):
  one with a vowel mark on at least half its letters. A tanween alone (مرحباً) is not that.
- **No case ending before a pause.** Spoken Arabic drops the final short vowel at a pause
  (waqf): the last word of a sentence or clause loses its final haraka or tanween (except
  the tanween of ـًا, said -an). Elsewhere the model's ending is kept; measured with
  espeak-ng on the test corpus (tests/core/test_frontend_espeak.py, docs/text-frontend.md).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from typing import Any

import regex as re

from ..native_imports import NATIVE_IMPORT_LOCK
from ..text import split_sentences
from .lexicon import bare

_LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL = "rawi-v2-int8"  # 2.5 MB, the smallest and fastest model the wheel ships
_WORD_RE = re.compile(r"(?:(?=\p{Arabic})\p{L}\p{M}*)+")
_MARK_RE = re.compile(r"[\u064B-\u0652]")  # tanween, short vowels, shadda, sukun
_LETTER_RE = re.compile(r"\p{L}")
_FINAL_VOWEL_RE = re.compile(r"[\u064C\u064D\u064E\u064F\u0650\u0652]+$")  # ٌ ٍ َ ُ ِ ْ
_PAUSE_AFTER_RE = re.compile(r"[\s\"'»)\]]*(?:[.!?؟…،,:؛;\n]|$)")


def tashkeel_available() -> bool:
    """True when the text2tashkeel package is installed."""
    return importlib.util.find_spec("text2tashkeel") is not None


class Vowelizer:
    """One diacritization model, loaded once and shared; ``vowelize`` blocks (use a thread)."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        self._diacritizer: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Build the ONNX session (about 0.1 s); later calls return at once."""
        with self._lock:
            if self._diacritizer is not None:
                return
            # One inference thread: the server runs on small machines beside other work,
            # and a sentence is too short to gain from more.
            os.environ.setdefault("TT_ORT_THREADS", "1")
            with NATIVE_IMPORT_LOCK:  # the Piper voice may be importing numpy meanwhile
                from text2tashkeel import Diacritizer  # noqa: PLC0415 (optional, server only)

                diacritizer = Diacritizer(self.model)
                diacritizer("تجربة")  # build the session now, not on the first request
            self._diacritizer = diacritizer
            _LOGGER.debug("Tashkeel model %s loaded", self.model)

    def vowelize(self, text: str) -> str:
        """``text`` with vowel marks, sentence by sentence (blocking)."""
        self.load()
        return "".join(self._sentence(sentence) for sentence in split_sentences(text))

    def _sentence(self, sentence: str) -> str:
        if not _WORD_RE.search(sentence):
            return sentence
        vowelled: str = self._diacritizer(sentence)
        return pausal_form(keep_letters(sentence, vowelled))


def keep_letters(original: str, vowelled: str) -> str:
    """The model's vowels on the original letters: a word whose letters changed stays as
    written. Arabic words are matched in order; everything between them is the original's."""
    new_words = [match.group(0) for match in _WORD_RE.finditer(vowelled)]
    old_words = list(_WORD_RE.finditer(original))
    if len(new_words) != len(old_words):
        return original
    out: list[str] = []
    position = 0
    for old, new in zip(old_words, new_words, strict=True):
        out.append(original[position : old.start()])
        written = old.group(0)
        keep = bare(new) != bare(written) or writer_vowelled(written)
        out.append(written if keep else new)
        position = old.end()
    out.append(original[position:])
    return "".join(out)


def writer_vowelled(word: str) -> bool:
    """The word already carries vowel marks on at least half its letters."""
    return 2 * len(_MARK_RE.findall(word)) >= len(_LETTER_RE.findall(word))


def pausal_form(text: str) -> str:
    """Drop the final short vowel of every word said before a pause (waqf)."""

    def drop(match: re.Match[str]) -> str:
        word: str = match.group(0)
        if not _PAUSE_AFTER_RE.match(text, match.end()):
            return word
        if word.endswith(("ًا", "اً")):  # مرحبًا: the -an stays
            return word
        return str(_FINAL_VOWEL_RE.sub("", word))

    return str(_WORD_RE.sub(drop, text))
