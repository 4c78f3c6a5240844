"""Arabic text front-end: what the listener hears is what the text means.

Between a client's text and an engine: SSML and LLM markdown out (markup.py), the user's
own pronunciations (user_lexicon.py), Latin words, numbers, times, money, phone numbers
and units into Arabic (verbalize.py), Latin letters into Arabic ones for the offline
voices (latin.py), vowel marks for the offline voice (tashkeel.py), pauses rendered the
way each engine can (engine.py), each step chosen per engine (policy.py). No Home
Assistant imports; both front doors use it.
"""

from __future__ import annotations

from .engine import EngineText, Respeller, silence
from .markup import (
    MarkupCleaner,
    clean_markup,
    clean_markup_async,
    clean_markup_stream,
    is_ssml_format,
)
from .policy import ENGINE_DEFAULTS, HA_STEPS, STEPS, TextPolicy, parse_steps
from .tashkeel import Vowelizer, tashkeel_available
from .user_lexicon import LexiconProblem, UserLexicon
from .verbalize import verbalize

__all__ = [
    "ENGINE_DEFAULTS",
    "HA_STEPS",
    "STEPS",
    "EngineText",
    "LexiconProblem",
    "MarkupCleaner",
    "Respeller",
    "TextPolicy",
    "UserLexicon",
    "Vowelizer",
    "clean_markup",
    "clean_markup_async",
    "clean_markup_stream",
    "is_ssml_format",
    "parse_steps",
    "silence",
    "tashkeel_available",
    "verbalize",
]
