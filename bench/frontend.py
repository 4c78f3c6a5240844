"""The text front-end: its time on a first sentence, and what it gives the offline voice.

``measure``: what the front-end adds to the first sentence, per engine's default steps,
measured in this process on one core (the front-end is pure Python; tashkeel is ONNX
inference in a worker thread in the server, timed here without the thread hop). The
server's end-to-end TTFA figures already include the cloud engines' default steps.

``corpus_figures`` (``python -m bench.frontend``): the replies of
tests/core/frontend_corpus.py as written and after the offline voice's default steps, read
by ``espeak-ng -v ar -q -x``: replies with digits or Latin letters left, replies where
espeak-ng switches to English (it writes ``(en)``), Arabic words with vowel marks
(docs/text-frontend.md).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from typing import Any

import regex as re
from arabic_tts_core.frontend import (
    EngineText,
    TextPolicy,
    Vowelizer,
    clean_markup,
    tashkeel_available,
)
from arabic_tts_core.frontend.pauses import strip_pauses

from .analysis import summary

ARABIC_WORD_RE = re.compile(r"(?:(?=\p{Arabic})\p{L}\p{M}*)+")
VOWEL_MARK_RE = re.compile(r"[\u064B-\u0650\u0670]")
DIGIT_OR_LATIN_RE = re.compile(r"[0-9\u0660-\u0669A-Za-z]")
ESPEAK_TIMEOUT = 30

# A first sentence as Home Assistant and an LLM write them: markup, a Latin state word,
# a time and a temperature.
FIRST_SENTENCES = (
    "حالة حساس حرارة الصالة هي 23.5 °C والمروحة on.",
    "**مرحباً!** 😊 الساعة الآن 2:05 مساءا ودرجة الحرارة 24 °C.",
    "تم ضبط المؤقت لمدة 5 دقائق و30 ثانية، والباب الأمامي closed.",
)


def measure(quick: bool) -> dict[str, Any]:
    """p50/p99 in ms of markup + engine preparation on a first sentence."""
    samples = 30 if quick else 300
    engines: dict[str, Any] = {}
    vowelizer = Vowelizer() if tashkeel_available() else None
    if vowelizer is not None:
        vowelizer.load()
    for engine in ("hamsa", "offline"):
        text = EngineText(TextPolicy.default_for(engine), name=engine, vowelizer=vowelizer)
        durations: list[float] = []
        for index in range(samples):
            sentence = FIRST_SENTENCES[index % len(FIRST_SENTENCES)]
            started = time.perf_counter()
            text.prepare_blocking(clean_markup(sentence))
            durations.append(time.perf_counter() - started)
        engines[engine] = {"added": summary(durations), "steps": text.policy.describe()}
    engines["tashkeel_installed"] = vowelizer is not None
    return engines


def espeak_phonemes(text: str) -> str:
    """espeak-ng's phoneme mnemonics for ``text`` with the Arabic voice."""
    result = subprocess.run(
        ["espeak-ng", "-v", "ar", "-q", "-x", "--stdin"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=ESPEAK_TIMEOUT,
        check=True,
    )
    return result.stdout.decode("utf-8", "replace")


def offline_text(texts: list[str]) -> list[str]:
    """What the offline voice is given for each text (its default steps)."""
    vowelizer = Vowelizer() if tashkeel_available() else None
    engine = EngineText(TextPolicy.default_for("offline"), name="offline-ar", vowelizer=vowelizer)
    return [strip_pauses(engine.prepare_blocking(clean_markup(text))) for text in texts]


def corpus_figures(texts: list[str]) -> dict[str, Any]:
    """Before (as written) and after (the offline voice's steps), read by espeak-ng."""
    after = offline_text(texts)
    figures: dict[str, Any] = {"replies": len(texts), "prepared": after}
    for name, prepared in (("before", texts), ("after", after)):
        words = [word for text in prepared for word in ARABIC_WORD_RE.findall(text)]
        figures[name] = {
            "digits_or_latin": sum(1 for text in prepared if DIGIT_OR_LATIN_RE.search(text)),
            "english": sum(1 for text in prepared if "(en)" in espeak_phonemes(text)),
            "vowelled": sum(1 for word in words if VOWEL_MARK_RE.search(word)),
            "words": len(words),
        }
    return figures


def main() -> None:
    """Print the corpus figures (docs/text-frontend.md)."""
    from tests.core.frontend_corpus import CORPUS  # noqa: PLC0415 (the tests' corpus)

    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed (script/setup installs it)")
    figures = corpus_figures([case.text for case in CORPUS])
    before, after = figures["before"], figures["after"]
    print(f"Offline voice, {figures['replies']} replies: before → after")
    print(
        f"  digits or Latin letters left: {before['digits_or_latin']} → {after['digits_or_latin']}"
    )
    print(f"  espeak-ng switches to English: {before['english']} → {after['english']}")
    print(
        f"  Arabic words with vowel marks: {before['vowelled']}/{before['words']} "
        f"({100 * before['vowelled'] / before['words']:.0f}%) → "
        f"{after['vowelled']}/{after['words']} ({100 * after['vowelled'] / after['words']:.0f}%)"
    )
    left = [text for text in figures["prepared"] if DIGIT_OR_LATIN_RE.search(text)]
    print("  left with digits or Latin letters:", *left, sep="\n    ")


if __name__ == "__main__":
    main()
