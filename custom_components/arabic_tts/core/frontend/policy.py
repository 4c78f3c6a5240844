"""Which front-end steps run for which engine, and their defaults (with the reasons).

Steps:

- ``markup``: SSML → text and pauses; markdown, emoji, URLs and code out of LLM text.
  Applied once per reply, before the text is split into sentences, for the voice that
  was asked for (a fallback voice speaks the same cleaned text).
- ``words``: Latin state words and unit symbols → Arabic (``on`` → قيد التشغيل, ``°C`` →
  درجة مئوية); the digits are left to the engine.
- ``numbers``: digits, times, dates, percentages, units, money, fractions, phone numbers
  → Modern Standard Arabic words.
- ``latin``: Latin words left in an Arabic sentence → Arabic letters (latin.py), so an
  espeak-ng voice does not switch to English rules mid-sentence.
- ``tashkeel``: vowel marks (Wyoming server only: it needs the optional model).

Defaults:

- Hamsa and Faseeh: ``markup,words``. Their voices are dialectal (Egyptian, Najdi…) and read
  digits in their own dialect; spelling numbers out in Fusha would force Fusha numerals on
  an Egyptian voice, and we cannot hear the engines from here to prove they read digits
  worse. Markup and Latin words are read aloud as symbols or in English by any engine, so
  removing them cannot be worse. ``numbers`` is one flag away for those who prefer it.
- Offline (espeak-ng, and the Piper voices, phonemized by espeak-ng): everything. espeak
  reads "2:05" as "two zero five", drops "%", reads "°C", "on" and any Latin word with
  English phonemes (which a Piper Arabic voice never heard) and reads unvowelled Arabic
  letter by letter; each step is measured on the corpus (docs/text-frontend.md).
  ``latin`` is not a cloud default: those voices were not shown to misread a brand name
  written in Latin letters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MARKUP = "markup"
WORDS = "words"
NUMBERS = "numbers"
LATIN = "latin"
TASHKEEL = "tashkeel"
STEPS = (MARKUP, WORDS, NUMBERS, LATIN, TASHKEEL)
# What Home Assistant's entity can run (tashkeel needs the server's optional model).
HA_STEPS = (MARKUP, WORDS, NUMBERS)
NONE = "none"

ENGINE_DEFAULTS: dict[str, tuple[str, ...]] = {
    "hamsa": (MARKUP, WORDS),
    "faseeh": (MARKUP, WORDS),
    "offline": (MARKUP, WORDS, NUMBERS, LATIN, TASHKEEL),
}


@dataclass(frozen=True, slots=True)
class TextPolicy:
    """The steps one engine's text goes through."""

    steps: frozenset[str] = frozenset()

    @classmethod
    def of(cls, steps: Iterable[str]) -> TextPolicy:
        """A policy from step names (unknown names raise ValueError)."""
        chosen = frozenset(steps)
        if unknown := chosen - set(STEPS):
            raise ValueError(f"unknown text step(s): {', '.join(sorted(unknown))}")
        return cls(chosen)

    @classmethod
    def default_for(cls, engine: str) -> TextPolicy:
        """The default policy of ``hamsa``, ``faseeh`` or ``offline``."""
        return cls.of(ENGINE_DEFAULTS[engine])

    @property
    def markup(self) -> bool:
        """Clean SSML and markdown."""
        return MARKUP in self.steps

    @property
    def words(self) -> bool:
        """Latin words and unit symbols → Arabic."""
        return WORDS in self.steps

    @property
    def numbers(self) -> bool:
        """Digits → Arabic words."""
        return NUMBERS in self.steps

    @property
    def latin(self) -> bool:
        """Latin words → Arabic letters."""
        return LATIN in self.steps

    @property
    def tashkeel(self) -> bool:
        """Add vowel marks."""
        return TASHKEEL in self.steps

    def describe(self) -> str:
        """The steps in their canonical order, for logs and flags."""
        return ",".join(step for step in STEPS if step in self.steps) or NONE


def parse_steps(value: str) -> TextPolicy:
    """``markup,words,numbers,latin,tashkeel`` (any subset, any order) or ``none``."""
    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    if names == [NONE]:
        return TextPolicy()
    if not names or NONE in names:
        raise ValueError(f"expected a comma-separated list of {', '.join(STEPS)}, or {NONE}")
    return TextPolicy.of(names)
