"""``script/bench piper [VOICE.onnx] [--quick] [--out DIR]``: the Piper voice's figures.

For a first sentence and for a 500-character reply, through the real server (``offline-ar``
with its default text steps: numbers in words, tashkeel) and through the engine alone:
time to first audio and real-time factor (seconds spent per second of audio). Then the
server's idle memory with the voice loaded, beside the same server without a Piper voice.

Without VOICE.onnx the tests' tiny voice stands in (tests/fakes/piper_voice.py): it makes
no speech and almost no work, so its figures are those of our pipeline around the model
(espeak-ng phonemes, text steps, worker thread, relay), not of a neural voice. Give a
real voice (e.g. ``ar_JO-kareem-medium.onnx`` from ``wyoming-arabic-tts download``) for
the model's own cost; the report names the voice every figure comes from.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
from arabic_tts_core.frontend import EngineText, TextPolicy, Vowelizer, tashkeel_available
from arabic_tts_core.piper import PiperVoice
from wyoming.info import Describe, Info

from .analysis import summary
from .report import machine
from .server import READY_GUARD, REPO_ROOT, free_port
from .trace import Trace
from .wyoming_client import HOST, describe_rtt, synthesize

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
VOICE = "offline-ar"
FIRST_SENTENCE = "الساعة الآن 2:05 مساءا ودرجة الحرارة في الصالة 23 درجة."
# An LLM's answer of 500 characters (8 sentences, a time, numbers, a percentage).
REPLY_500 = (
    "صباح الخير! الساعة الآن السابعة والنصف، والجو في الخارج مشمس ودرجة الحرارة 24 درجة. "
    "أطفأت أضواء غرفة النوم وشغلت آلة القهوة في المطبخ كما طلبت. "
    "تذكير: لديك اجتماع مع فريق العمل في الساعة العاشرة صباحا، ثم موعد عند طبيب الأسنان "
    "بعد الظهر. "
    "بطارية السيارة مشحونة بنسبة 80 بالمئة، وتكفي لرحلة اليوم إلى المكتب والعودة. "
    "الباب الأمامي مقفل، ونظام الإنذار يعمل، وكاميرا الحديقة لم تسجل أي حركة الليلة. "
    "هل تريد أن أشغل لك نشرة الأخبار أو قائمة الموسيقى المفضلة أثناء الإفطار؟ "
    "يمكنني أيضا ضبط مؤقت للبيض لمدة 7 دقائق."
)
SETTLE = 2.0  # seconds of idle before memory is read


async def _start(args: list[str], log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wyoming_server",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
        )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


async def _installed(port: int, name: str) -> bool:
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 24)
    try:
        from wyoming.event import async_read_event, async_write_event  # noqa: PLC0415

        await async_write_event(Describe().event(), writer)
        while (event := await async_read_event(reader)) is not None:
            if Info.is_type(event.type):
                voices = Info.from_event(event).tts[0].voices
                return any(voice.name == name and voice.installed for voice in voices)
        return False
    finally:
        writer.close()


async def _wait(port: int, piper_name: str | None) -> None:
    deadline = time.monotonic() + READY_GUARD
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(10):  # one try; a busy machine may take seconds
                await describe_rtt(port)
                if piper_name is None or await _installed(port, piper_name):
                    return
        await asyncio.sleep(0.05)
    raise RuntimeError("the server did not become ready")


async def _idle_rss(args: list[str], log: Path, piper_name: str | None) -> int:
    port = free_port()
    process = await _start(["--uri", f"tcp://{HOST}:{port}", *args], log)
    try:
        await _wait(port, piper_name)
        await synthesize(port, "مرحبا.", VOICE)  # every lazy part of a first reply is made
        await asyncio.sleep(SETTLE)
        return int(psutil.Process(process.pid).memory_info().rss)
    finally:
        await _stop(process)


def _figures(traces: list[Trace]) -> dict[str, Any]:
    good = [trace for trace in traces if trace.ok]
    if errors := [trace.error for trace in traces if not trace.ok]:
        raise RuntimeError(f"failed replies: {errors[:3]}")
    return {
        "first_audio_ms": summary(trace.first_audio for trace in good),
        "whole_reply_ms": summary(trace.t_end - trace.t0 for trace in good),
        "rtf": summary(((t.t_end - t.t0) / t.audio_seconds for t in good), scale=1.0),
        "audio_s": round(good[0].audio_seconds, 3),
    }


async def _through_server(voice: Path, runs: int, log: Path) -> dict[str, Any]:
    port = free_port()
    piper_name = _wyoming_name(voice)
    process = await _start(["--uri", f"tcp://{HOST}:{port}", "--piper-voice", str(voice)], log)
    try:
        await _wait(port, piper_name)
        for _ in range(2):  # warm-up: tashkeel, the model's first run
            await synthesize(port, FIRST_SENTENCE, VOICE)
        first = [await synthesize(port, FIRST_SENTENCE, VOICE) for _ in range(runs)]
        long = [await synthesize(port, REPLY_500, VOICE) for _ in range(runs)]
    finally:
        await _stop(process)
    return {"first_sentence": _figures(first), "reply_500": _figures(long)}


async def _engine_only(voice: Path, runs: int) -> dict[str, Any]:
    """The engine on text already prepared (espeak-ng phonemes and inference only)."""
    vowelizer = Vowelizer() if tashkeel_available() else None
    text = EngineText(TextPolicy.default_for("offline"), name="bench", vowelizer=vowelizer)
    prepared = {t: await text.prepare_async(t) for t in (FIRST_SENTENCE, REPLY_500)}
    piper = PiperVoice(voice)
    results: dict[str, Any] = {}
    try:
        await piper.load()
        rate = piper.format.rate * 2
        for key, source in (("first_sentence", FIRST_SENTENCE), ("reply_500", REPLY_500)):
            firsts, wholes, factors = [], [], []
            for _ in range(runs):
                start = time.monotonic()
                first, size = 0.0, 0
                async for chunk in piper.synthesize(prepared[source]):
                    first = first or time.monotonic() - start
                    size += len(chunk.pcm)
                firsts.append(first)
                wholes.append(time.monotonic() - start)
                factors.append(wholes[-1] / (size / rate))
            results[key] = {
                "first_audio_ms": summary(firsts),
                "whole_reply_ms": summary(wholes),
                "rtf": summary(factors, scale=1.0),
                "audio_s": round(size / rate, 3),
            }
    finally:
        await piper.close()
    return results


def _wyoming_name(voice: Path) -> str:
    from wyoming_server.piper_voice import PiperSource  # noqa: PLC0415

    return PiperSource(voice).wyoming_name


async def measure(voice: Path, label: str, quick: bool, out: Path) -> dict[str, Any]:
    """Every figure, as JSON."""
    runs = 3 if quick else 20
    size_mb = round((await asyncio.to_thread(voice.stat)).st_size / 1e6, 1)
    server = await _through_server(voice, runs, out / "piper-server.log")
    engine = await _engine_only(voice, runs)
    idle_without = await _idle_rss(["--piper-voice", "none"], out / "piper-idle-none.log", None)
    idle_with = await _idle_rss(
        ["--piper-voice", str(voice)], out / "piper-idle.log", _wyoming_name(voice)
    )
    return {
        "voice": {"path": str(voice), "label": label, "size_mb": size_mb},
        "through_server": server,
        "engine_only": engine,
        "idle_rss_mb": {
            "with_voice": round(idle_with / 1e6, 1),
            "without_piper": round(idle_without / 1e6, 1),
        },
        "texts": {"first_sentence_chars": len(FIRST_SENTENCE), "reply_chars": len(REPLY_500)},
        "meta": {
            "machine": machine(),
            "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "runs": runs,
        },
    }


def table(results: dict[str, Any]) -> str:
    """A markdown table of the figures, naming the voice."""
    voice = results["voice"]
    lines = [
        f"Voice: {voice['label']} ({voice['size_mb']} MB)",
        "",
        "| Figure | First sentence | 500-character reply |",
        "|---|---|---|",
    ]
    names = {
        "first_audio_ms": ("first audio p50", " ms"),
        "whole_reply_ms": ("whole reply p50", " ms"),
        "rtf": ("real-time factor p50", ""),
    }
    for where in ("through_server", "engine_only"):
        for figure, (name, unit) in names.items():
            cells = [
                f"{results[where][key][figure]['p50']}{unit}"
                for key in ("first_sentence", "reply_500")
            ]
            lines.append(f"| {name} ({where.replace('_', ' ')}) | {cells[0]} | {cells[1]} |")
    audio = [results["through_server"][k]["audio_s"] for k in ("first_sentence", "reply_500")]
    lines.append(f"| audio made | {audio[0]} s | {audio[1]} s |")
    rss = results["idle_rss_mb"]
    lines += [
        "",
        f"Idle server memory (RSS): {rss['with_voice']} MB with the voice loaded, "
        f"{rss['without_piper']} MB with --piper-voice none.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    """Run, print the table, write piper.json and piper.md."""
    parser = argparse.ArgumentParser(prog="script/bench piper", description=__doc__)
    parser.add_argument("voice", nargs="?", type=Path, help="a Piper .onnx (its .json beside)")
    parser.add_argument("--quick", action="store_true", help="few samples (a smoke run)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        if args.voice is None:
            from tests.fakes.piper_voice import write_voice  # noqa: PLC0415

            voice = write_voice(Path(scratch))
            label = "the tests' tiny voice (no speech: our pipeline without a neural model)"
        else:
            voice = args.voice.expanduser().resolve()
            if not voice.is_file():
                parser.error(f"{voice} does not exist")
            label = voice.name
        results = asyncio.run(measure(voice, label, args.quick, args.out))
    text = table(results)
    (args.out / "piper.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (args.out / "piper.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\nWrote {args.out / 'piper.json'} and {args.out / 'piper.md'}", file=sys.stderr)
