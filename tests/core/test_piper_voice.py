"""The Piper engine with the tests' tiny voice: the ids, scales and rate the model gets,
sentence-by-sentence audio with bounded look-ahead, and clean stops and failures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the piper extra (script/setup installs it)")

from arabic_tts_core.audio import PcmChunk
from arabic_tts_core.errors import BadRequest, ProviderError, ProviderUnavailable
from arabic_tts_core.offline import espeak_available
from arabic_tts_core.piper import PiperVoice
from arabic_tts_core.piper_config import VoiceFileError
from arabic_tts_core.piper_model import PiperModel, to_pcm16
from arabic_tts_core.piper_phonemes import EspeakPhonemizer, phoneme_ids

from tests.fakes.piper_voice import (
    PIPER_ID_MAP,
    decode,
    decode_all,
    sentence_pcm_length,
    voice_json,
    write_voice,
)

pytestmark = pytest.mark.skipif(not espeak_available(), reason="script/setup installs espeak-ng")

REPO_ROOT = Path(__file__).resolve().parents[2]
# The same sentence as Piper's own test (tests/test_piper.py), in an English voice: the
# ids the model receives are Piper's, end to end.
PIPER_TEST_IDS = [
    [1, 0, 32, 0, 120, 0, 61, 0, 31, 0, 32, 0, 3, 0, 35, 0, 120, 0, 102, 0, 26, 0, 10, 0, 2],
    [1, 0, 32, 0, 120, 0, 61, 0, 31, 0, 32, 0, 3, 0, 32, 0, 120, 0, 33, 0, 122, 0, 10, 0, 2],
]
VOWELLED = "مَرْحَبًا بِكُمْ فِي البَيْتِ. كَيْفَ حَالُكُمْ اليَوْمَ؟ الجَوُّ جَمِيلٌ."
SENTENCES = [f"الجُمْلَةُ رَقْمُ {word}." for word in ("وَاحِد", "اِثْنَان", "ثَلَاثَة", "أَرْبَعَة", "خَمْسَة")]


async def speak(voice: PiperVoice, text: str) -> list[PcmChunk]:
    async with contextlib.aclosing(voice.synthesize(text)) as audio:
        return [chunk async for chunk in audio]


@pytest.fixture
async def voice(tmp_path: Path) -> AsyncIterator[PiperVoice]:
    piper = PiperVoice(write_voice(tmp_path))
    yield piper
    await piper.close()


async def test_the_model_gets_pipers_ids_for_pipers_test_sentence(tmp_path: Path) -> None:
    voice = PiperVoice(write_voice(tmp_path, espeak_voice="en-us"))
    try:
        chunks = await speak(voice, "Test 1. Test 2.")
    finally:
        await voice.close()

    assert [decode(chunk.pcm).ids for chunk in chunks] == PIPER_TEST_IDS


async def test_arabic_ids_match_the_phonemes_sentence_by_sentence(voice: PiperVoice) -> None:
    chunks = await speak(voice, VOWELLED)

    expected = await EspeakPhonemizer().phonemize(VOWELLED, "ar")
    assert len(chunks) == len(expected) == 3  # one inference per sentence
    assert [decode(chunk.pcm).ids for chunk in chunks] == [
        phoneme_ids(sentence, PIPER_ID_MAP) for sentence in expected
    ]
    assert ["".join(sentence)[-1] for sentence in expected] == [".", "?", "."]


async def test_scales_and_rate_come_from_the_voices_json(tmp_path: Path) -> None:
    voice = PiperVoice(
        write_voice(tmp_path, sample_rate=16000, noise_scale=0.5, length_scale=1.5, noise_w=0.6)
    )
    try:
        [chunk] = await speak(voice, "مَرْحَبًا.")
    finally:
        await voice.close()

    decoded = decode(chunk.pcm)
    assert chunk.format.rate == 16000
    assert (chunk.format.width, chunk.format.channels) == (2, 1)
    assert decoded.noise_scale == pytest.approx(0.5, abs=1e-3)
    assert decoded.noise_w == pytest.approx(0.6, abs=1e-3)
    assert decoded.samples_per_id == 48  # floor(32 * length_scale)
    assert decoded.input_length == len(decoded.ids)  # input_lengths is the id count
    assert len(chunk.pcm) == sentence_pcm_length(decoded.ids, length_scale=1.5)


async def test_multi_speaker_voices_get_speaker_zero(tmp_path: Path) -> None:
    voice = PiperVoice(write_voice(tmp_path, speakers=True))
    try:
        [chunk] = await speak(voice, "نَعَمْ.")
    finally:
        await voice.close()

    assert decode(chunk.pcm, speakers=True).speaker == 0


async def test_output_of_rank_three_is_accepted_too(tmp_path: Path) -> None:
    voice = PiperVoice(write_voice(tmp_path, output_rank=3))
    try:
        chunks = await speak(voice, VOWELLED)
    finally:
        await voice.close()

    assert len(decode_all(b"".join(chunk.pcm for chunk in chunks))) == 3


async def test_first_sentence_arrives_before_the_rest_are_made_and_lookahead_is_bounded(
    voice: PiperVoice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listener hears sentence one while later ones are made; a listener who does not
    read on holds back the work: at most two sentences are made ahead of the one heard."""
    made: list[int] = []
    real_audio = PiperModel.audio

    def counting_audio(model: PiperModel, ids: Sequence[int]) -> bytes:
        made.append(len(ids))
        return real_audio(model, ids)

    monkeypatch.setattr(PiperModel, "audio", counting_audio)
    text = " ".join(SENTENCES)
    async with contextlib.aclosing(voice.synthesize(text)) as audio:
        first = await anext(audio)
        made_at_first_audio = len(made)
        # Hold the first sentence; let the producer run as far as it can (up to 30 s on a
        # busy machine: a bound on a hang, not a time the test expects), then a little more
        # in case it would go further.
        for _ in range(3000):
            if len(made) >= 3:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        made_while_held = len(made)
        rest = [chunk async for chunk in audio]

    assert made_at_first_audio <= 2
    assert made_while_held == 3  # the one heard, one queued, one running
    assert len(made) == len(SENTENCES)
    assert [decode(chunk.pcm).input_length for chunk in [first, *rest]] == made


async def test_stopping_early_leaves_nothing_running(
    voice: PiperVoice, caplog: pytest.LogCaptureFixture
) -> None:
    async with contextlib.aclosing(voice.synthesize(" ".join(SENTENCES))) as audio:
        await anext(audio)
    await asyncio.sleep(0.05)

    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    assert not [task for task in tasks if task.get_name() == "piper sentences"]
    assert "never retrieved" not in caplog.text
    assert len(await speak(voice, SENTENCES[0])) == 1  # the voice still works


async def test_a_sentence_that_cannot_be_prepared_is_an_error_not_a_wait(
    voice: PiperVoice,
) -> None:
    """A lone surrogate cannot be sent to espeak-ng (UnicodeEncodeError): the reply fails
    with a provider error, so the fallback speaks; before, the producer task died and the
    reply waited for a sentence that would never come."""
    async with asyncio.timeout(30):  # a hang guard only
        with pytest.raises(ProviderError, match="UnicodeEncodeError"):
            await speak(voice, "مَرْحَبًا \ud800 بِكُمْ.")
    assert len(await speak(voice, SENTENCES[0])) == 1  # the voice still works


async def test_closing_the_voice_mid_reply_ends_the_reply_with_an_error(
    voice: PiperVoice,
) -> None:
    """The voice closed while a reply is being spoken (the server stopping): the reply
    ends with ProviderUnavailable, not a wait without end or a stray CancelledError."""
    async with asyncio.timeout(30):  # a hang guard only
        async with contextlib.aclosing(voice.synthesize(" ".join(SENTENCES))) as audio:
            await anext(audio)
            await voice.close()
            with pytest.raises(ProviderUnavailable, match="closed"):
                async for _chunk in audio:
                    pass


async def test_two_replies_share_one_inference_thread(voice: PiperVoice) -> None:
    threads: set[str] = set()
    real_audio = PiperModel.audio

    def recording(model: PiperModel, ids: Sequence[int]) -> bytes:
        threads.add(threading.current_thread().name)
        return real_audio(model, ids)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PiperModel, "audio", recording)
        first, second = await asyncio.gather(speak(voice, VOWELLED), speak(voice, VOWELLED))

    assert len(threads) == 1
    assert [decode(c.pcm).ids for c in first] == [decode(c.pcm).ids for c in second]


async def test_unknown_phonemes_are_skipped_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    id_map = {k: v for k, v in PIPER_ID_MAP.items() if k != "ħ"}
    voice = PiperVoice(write_voice(tmp_path, phoneme_id_map=id_map))
    try:
        with caplog.at_level(logging.WARNING):
            chunks = await speak(voice, "مَرْحَبًا. مَرْحَبًا.")
    finally:
        await voice.close()

    assert all(PIPER_ID_MAP["ħ"][0] not in decode(chunk.pcm).ids for chunk in chunks)
    warnings = [r.getMessage() for r in caplog.records if "has no id for" in r.getMessage()]
    assert len(warnings) == 1
    assert "'ħ' (U+0127)" in warnings[0]


async def test_text_without_words_is_a_bad_request(voice: PiperVoice) -> None:
    with pytest.raises(BadRequest):
        await speak(voice, " ... ")


async def test_a_file_that_is_not_a_piper_voice_is_refused(tmp_path: Path) -> None:
    model = write_voice(tmp_path)
    model.write_bytes(b"not onnx at all")
    with pytest.raises(VoiceFileError, match="not a model onnxruntime can load"):
        await PiperVoice(model).load()


async def test_a_json_without_its_phoneme_map_is_refused(tmp_path: Path) -> None:
    model = write_voice(tmp_path)
    data = voice_json()
    del data["phoneme_id_map"]
    model.with_name(model.name + ".json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(VoiceFileError, match="has no phoneme_id_map"):
        await PiperVoice(model).load()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (
            lambda text: text.replace('"sample_rate": 22050', '"sample_rate": 1' + "0" * 5000),
            "not valid JSON",
        ),
        (lambda text: "[" * 100_000 + "]" * 100_000, "not valid JSON"),
        (
            lambda text: text.replace('"length_scale": 1.0', '"length_scale": Infinity'),
            "inference.length_scale inf is not a number",
        ),
    ],
    ids=["a 5000-digit number", "nested 100000 deep", "an infinite scale"],
)
async def test_a_corrupt_json_is_refused_with_a_reason(
    tmp_path: Path, damage: Any, reason: str
) -> None:
    """Python's json reads these without a JSONDecodeError (a ValueError for too many
    digits, a RecursionError, Infinity as a float): each is a bad file, said in one line."""
    model = write_voice(tmp_path)
    config = model.with_name(model.name + ".json")
    text = json.dumps(voice_json())
    assert '"sample_rate": 22050' in text and '"length_scale": 1.0' in text
    config.write_text(damage(text), "utf-8")
    voice = PiperVoice(model)
    try:
        with pytest.raises(VoiceFileError, match=reason):
            await voice.load()
    finally:
        await voice.close()


async def test_a_missing_json_is_refused(tmp_path: Path) -> None:
    model = write_voice(tmp_path)
    model.with_name(model.name + ".json").unlink()
    with pytest.raises(VoiceFileError, match=r"\.onnx\.json does not exist"):
        await PiperVoice(model).load()


def test_pcm_is_scaled_like_pipers() -> None:
    """Full range at the peak, never more than ×100, truncated like a C cast."""
    loud = np.frombuffer(to_pcm16([0.5, -0.25, 0.1]), dtype="<i2").tolist()
    quiet = np.frombuffer(to_pcm16([0.001, -0.002]), dtype="<i2").tolist()
    assert loud == [32767, -16383, 6553]
    assert quiet == [3276, -6553]  # ×100 at most: 0.002 → 0.2 of full range
    assert to_pcm16([float("nan"), 0.5]) == to_pcm16([0.0, 0.5])


def test_the_core_imports_without_onnxruntime() -> None:
    """Home Assistant OS has no onnxruntime wheels: the core and the integration must
    import with it absent, and only a voice being loaded may need it."""
    code = (
        "import sys; sys.modules['onnxruntime'] = None\n"
        "import custom_components.arabic_tts\n"
        "import arabic_tts_core.piper, arabic_tts_core.piper_download\n"
        "from arabic_tts_core.piper_model import onnxruntime_available\n"
        "assert 'onnxruntime' not in [m for m in sys.modules if sys.modules[m]]\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
