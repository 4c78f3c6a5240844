"""What the text front-end adds to the first sentence, per engine's default steps.

Measured in this process on one core (the front-end is pure Python; tashkeel is ONNX
inference in a worker thread in the server, timed here without the thread hop). The
server's end-to-end TTFA figures already include the cloud engines' default steps.
"""

from __future__ import annotations

import time
from typing import Any

from arabic_tts_core.frontend import (
    EngineText,
    TextPolicy,
    Vowelizer,
    clean_markup,
    tashkeel_available,
)

from .analysis import summary

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
