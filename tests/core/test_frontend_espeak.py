"""The offline voice before and after the front-end, measured with espeak-ng's phonemes.

For every reply of the corpus, the text espeak-ng used to get (as written) and the text
it gets now (the offline voice's default steps: markup, Latin words, numbers, tashkeel)
go through ``espeak-ng -v ar -q -x``. Reported (README, "What is spoken"): replies with
digits or Latin letters left, replies where espeak-ng switches to English (it writes
``(en)`` in its phonemes), and the share of Arabic words that carry vowel marks.

Run with ``-s`` to see the table: ``script/test tests/core/test_frontend_espeak.py -s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil

import pytest
import regex as re
from arabic_tts_core.frontend import (
    EngineText,
    TextPolicy,
    Vowelizer,
    clean_markup,
    tashkeel_available,
)
from arabic_tts_core.frontend.pauses import strip_pauses

from .frontend_corpus import CORPUS

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is installed by script/setup"
)

ARABIC_WORD_RE = re.compile(r"(?:(?=\p{Arabic})\p{L}\p{M}*)+")
VOWEL_MARK_RE = re.compile(r"[\u064B-\u0650\u0670]")
DIGIT_OR_LATIN_RE = re.compile(r"[0-9\u0660-\u0669A-Za-z]")


async def phonemes(text: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "espeak-ng",
        "-v",
        "ar",
        "-q",
        "-x",
        "--stdin",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate(text.encode("utf-8"))
    return out.decode("utf-8", "replace")


def vowelled_share(texts: list[str]) -> tuple[int, int]:
    words = [w for text in texts for w in ARABIC_WORD_RE.findall(text)]
    return sum(1 for w in words if VOWEL_MARK_RE.search(w)), len(words)


async def test_offline_voice_before_and_after() -> None:
    if not tashkeel_available():
        pytest.skip("the tashkeel extra is installed by script/setup")
    engine = EngineText(TextPolicy.default_for("offline"), name="offline-ar", vowelizer=Vowelizer())
    before = [case.text for case in CORPUS]
    after = [strip_pauses(await engine.prepare_async(clean_markup(t))) for t in before]
    before_ph = [await phonemes(t) for t in before]
    after_ph = [await phonemes(t) for t in after]

    rows = {
        "digits or Latin letters left": (
            sum(1 for t in before if DIGIT_OR_LATIN_RE.search(t)),
            sum(1 for t in after if DIGIT_OR_LATIN_RE.search(t)),
        ),
        "switches to English (en)": (
            sum(1 for p in before_ph if "(en)" in p),
            sum(1 for p in after_ph if "(en)" in p),
        ),
    }
    vowelled_before, total_before = vowelled_share(before)
    vowelled_after, total_after = vowelled_share(after)
    with contextlib.suppress(Exception):
        print(f"\nOffline voice, {len(CORPUS)} replies: before → after")
        for name, (was, now) in rows.items():
            print(f"  {name}: {was} → {now}")
        print(
            f"  Arabic words with vowel marks: {vowelled_before}/{total_before} "
            f"({100 * vowelled_before / total_before:.0f}%) → {vowelled_after}/{total_after} "
            f"({100 * vowelled_after / total_after:.0f}%)"
        )
        left = [t for t in after if DIGIT_OR_LATIN_RE.search(t)]
        print("  left with digits/Latin:", *left, sep="\n    ")

    was, now = rows["digits or Latin letters left"]
    assert now < was / 3
    was, now = rows["switches to English (en)"]
    assert now < was / 3
    assert vowelled_after / total_after > 0.8 > vowelled_before / total_before
