"""The Piper voice in the Wyoming server, with the tests' tiny voice (no download).

The real server process speaks with it for ``offline-ar`` and ``piper-<name>``, after the
offline text steps (numbers in words, vowels), and as the cloud's fallback. When its file
is missing, fails its checksum, cannot be fetched or finds the disk full, one clear log
line says so and espeak-ng speaks. The download's state shows in Describe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("onnxruntime", reason="the piper extra (script/setup installs it)")

from arabic_tts_core import piper_download
from arabic_tts_core.errors import ProviderUnavailable
from arabic_tts_core.offline import ESPEAK_RATE, OfflineClient, espeak_available
from arabic_tts_core.piper import PiperVoice
from arabic_tts_core.piper_catalog import CATALOG, CatalogVoice, Digest, RemoteFile
from arabic_tts_core.piper_phonemes import EspeakPhonemizer, phoneme_ids

from tests.fakes.piper_mirror import FakeVoiceMirror, sha256
from tests.fakes.piper_voice import PIPER_ID_MAP, decode_all, write_voice
from wyoming_server.info import build_info, piper_status
from wyoming_server.piper_voice import PiperService, PiperSource, PiperState
from wyoming_server.voices import build_catalog

from .conftest import StartServer, eventually, free_port
from .helpers import (
    assert_plain_success,
    assert_stream_success,
    describe,
    synthesize,
    synthesize_streaming,
)
from .test_fallback import offline_pcm

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is installed by script/setup"),
]

HARAKAT = re.compile(r"[\u064B-\u0652]")
TEXT = "الساعة 2:05 مساءا. مرحبا بكم في البيت!"
STREAM = ["أهلا بك. ", "درجة الحرارة 23 درجة ", "الآن."]
PLAIN = "مرحبا بكم في البيت الذكي. كيف يمكنني مساعدتكم اليوم في المطبخ؟"


@pytest.fixture
def tiny_voice(tmp_path: Path) -> Path:
    """``ar_JO-tiny-medium.onnx`` (22050 Hz) and its JSON, as a user would give them."""
    return write_voice(tmp_path / "voices")


async def piper_ready(port: int, name: str) -> None:
    """Wait (bounded) until Describe lists the Piper voice as installed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        voices = {voice.name: voice for voice in (await describe(port)).tts[0].voices}
        if name in voices and voices[name].installed:
            return
        if loop.time() > deadline:
            pytest.fail(f"{name} never became ready: {voices.get(name)}")
        await asyncio.sleep(0.05)


def sent_texts(output: str, voice: str) -> list[str]:
    """What ``--debug`` says each voice sent upstream, in order."""
    return [match.group(1) for match in re.finditer(rf"{re.escape(voice)}: sending '(.*)'", output)]


async def expected_ids(text: str) -> list[list[int]]:
    """The ids Piper would give the model for ``text`` (espeak voice ``ar``)."""
    sentences = await EspeakPhonemizer().phonemize(text, "ar")
    return [phoneme_ids(sentence, PIPER_ID_MAP) for sentence in sentences]


async def test_a_fresh_server_without_key_speaks_with_the_piper_voice(
    start_server: StartServer, tiny_voice: Path
) -> None:
    server = await start_server(
        "--piper-voice", str(tiny_voice), "--debug", hamsa=False, faseeh=False
    )
    await piper_ready(server.port, "piper-tiny")

    info = await describe(server.port)
    voices = {voice.name: voice for voice in info.tts[0].voices}
    plain = await synthesize(server.port, TEXT)  # no voice named: offline-ar
    streamed = await synthesize_streaming(server.port, STREAM, "piper-tiny")

    assert list(voices) == ["offline-ar", "espeak-ar", "piper-tiny"]
    assert voices["offline-ar"].attribution.name == "Piper"
    assert "now piper-tiny" in (voices["offline-ar"].description or "")
    assert voices["piper-tiny"].languages == ["ar", "ar-JO"]
    assert_plain_success(plain)
    assert plain.start.rate == 22050  # the voice's JSON (the 16 kHz voice below differs)
    [sent] = sent_texts(server.output, "offline-ar")
    assert not re.search(r"\d", sent)  # numbers in words…
    assert "الثَّانِيَةُ" in sent  # …2:05 as "the second (hour)"…
    assert len(HARAKAT.findall(sent)) > 20  # …and vowelled
    assert [d.ids for d in decode_all(plain.pcm)] == await expected_ids(sent)

    assert_stream_success(streamed)
    pieces = sent_texts(server.output, "piper-tiny")
    assert len(pieces) == 2  # one request per streamed sentence
    assert not any(re.search(r"\d", piece) for piece in pieces)
    expected = [ids for piece in pieces for ids in await expected_ids(piece)]
    assert [d.ids for d in decode_all(streamed.pcm)] == expected
    assert "Piper voice" in server.output and "licence: not stated" in server.output


async def test_a_voice_at_sixteen_kilohertz_speaks_at_its_own_rate(
    start_server: StartServer, tmp_path: Path
) -> None:
    voice = write_voice(tmp_path / "low", "ar_JO-tiny-low", sample_rate=16000)
    server = await start_server("--piper-voice", str(voice), hamsa=False, faseeh=False)
    await piper_ready(server.port, "piper-tiny")

    reply = await synthesize(server.port, PLAIN, "offline-ar")

    assert_plain_success(reply)
    assert reply.start.rate == 16000
    assert len(decode_all(reply.pcm)) == 2


async def test_the_cloud_fallback_speaks_with_the_piper_voice(
    start_server: StartServer, tiny_voice: Path
) -> None:
    server = await start_server(
        "--piper-voice", str(tiny_voice), "--provider-timeout", "1", hamsa_key="bad-key"
    )
    await piper_ready(server.port, "piper-tiny")

    reply = await synthesize(server.port, PLAIN, "hamsa-Samir")

    assert_plain_success(reply)
    assert reply.start.rate == 22050
    assert len(decode_all(reply.pcm)) == 2  # the neural voice's two sentences
    assert "hamsa-Samir failed (auth_failed)" in server.output
    assert f"Fallback offline-ar spoke “{PLAIN[:20]}" in server.output


async def test_a_missing_voice_file_is_one_log_line_and_espeak_speaks(
    start_server: StartServer, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "ar_JO-gone-medium.onnx"
    server = await start_server("--piper-voice", str(missing), hamsa=False, faseeh=False)
    await eventually(lambda: "cannot be used" in server.output, "the missing file is logged")

    reply = await synthesize(server.port, PLAIN, "offline-ar")
    info = await describe(server.port)

    assert_plain_success(reply)
    assert reply.start.rate == ESPEAK_RATE
    assert reply.pcm == await offline_pcm(PLAIN)  # espeak-ng, after the same text steps
    [line] = [line for line in server.output.splitlines() if str(missing) in line]
    assert f"{missing} does not exist" in line
    assert "espeak-ng speaks for offline-ar" in line
    gone = {voice.name: voice for voice in info.tts[0].voices}["piper-gone"]
    assert not gone.installed
    assert "not available" in (gone.description or "")


@pytest.fixture
async def kareem_mirror() -> AsyncIterator[FakeVoiceMirror]:
    """A mirror serving Kareem low's JSON with the wrong bytes (its size, not its md5)."""
    config = CATALOG["ar_JO-kareem-low"].config
    async with FakeVoiceMirror({config.path: b"{" + b" " * (config.size - 2) + b"}"}) as fake:
        yield fake


async def test_a_bad_checksum_is_one_log_line_keeps_nothing_and_espeak_speaks(
    start_server: StartServer, kareem_mirror: FakeVoiceMirror, tmp_path: Path
) -> None:
    server = await start_server(
        "--piper-voice",
        "ar_JO-kareem-low",
        "--piper-voices-url",
        kareem_mirror.base_url,
        hamsa=False,
        faseeh=False,
    )
    await eventually(lambda: "could not be downloaded" in server.output, "the failure is logged")

    reply = await synthesize(server.port, PLAIN, "offline-ar")

    assert_plain_success(reply)
    assert reply.pcm == await offline_pcm(PLAIN)
    [line] = [line for line in server.output.splitlines() if "could not be downloaded" in line]
    assert "WARNING" in line
    assert "does not match its pinned md5 checksum and size; the file was deleted" in line
    assert "espeak-ng speaks for offline-ar; trying again in 1 min" in line
    data = tmp_path / "data"  # ARABIC_TTS_DATA_DIR of the server (conftest)
    assert sorted(path.name for path in data.iterdir()) == []


async def test_no_network_is_one_log_line_and_espeak_speaks(
    start_server: StartServer,
) -> None:
    base = f"http://127.0.0.1:{free_port()}/rhasspy/piper-voices/resolve/v1.0.0"
    server = await start_server(
        "--piper-voice",
        "ar_JO-kareem-medium",
        "--piper-voices-url",
        base,
        hamsa=False,
        faseeh=False,
    )
    await eventually(lambda: "could not be downloaded" in server.output, "the failure is logged")

    reply = await synthesize(server.port, PLAIN)

    assert_plain_success(reply)
    assert reply.pcm == await offline_pcm(PLAIN)
    [line] = [line for line in server.output.splitlines() if "could not be downloaded" in line]
    assert (
        "Piper voice ar_JO-kareem-medium could not be downloaded: cannot reach 127.0.0.1:" in line
    )


# --- the voice's state, in process ----------------------------------------------------


@pytest.fixture
def tiny_published(tiny_voice: Path) -> tuple[CatalogVoice, dict[str, bytes]]:
    """A catalogue entry pinning the tiny voice's files (as Kareem's pin the real ones),
    and what a mirror serves for it."""
    model, config = tiny_voice.read_bytes(), tiny_voice.with_name(tiny_voice.name + ".json")
    config_bytes = config.read_bytes()
    path = "ar/ar_JO/tiny/medium/ar_JO-tiny-medium"
    voice = CatalogVoice(
        key="ar_JO-tiny-medium",
        quality="medium",
        sample_rate=22050,
        model=RemoteFile(f"{path}.onnx", len(model), Digest("sha256", sha256(model))),
        config=RemoteFile(
            f"{path}.onnx.json", len(config_bytes), Digest("sha256", sha256(config_bytes))
        ),
        licence="a licence for tests",
    )
    return voice, {voice.model.path: model, voice.config.path: config_bytes}


async def speak_offline(service: PiperService, text: str) -> bytes:
    catalog = build_catalog(hamsa=None, faseeh=None, offline=OfflineClient(), piper=service)
    async with contextlib.aclosing(catalog.default.speak(text)) as audio:
        return b"".join([chunk.pcm async for chunk in audio])


async def espeak_pcm(text: str) -> bytes:
    async with contextlib.aclosing(OfflineClient().synthesize(text)) as audio:
        return b"".join([chunk.pcm async for chunk in audio])


async def test_describe_shows_the_download_and_the_voice_takes_over_when_ready(
    tmp_path: Path,
    tiny_published: tuple[CatalogVoice, dict[str, bytes]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    voice, files = tiny_published
    data = tmp_path / "data"
    async with FakeVoiceMirror(files) as mirror:
        mirror.stall_after[voice.model.path] = voice.model.size // 2
        service = PiperService(PiperSource(voice.model_path(data), voice), base_url=mirror.base_url)
        changes: list[str] = []
        service.on_change = lambda: changes.append(service.status())
        catalog = build_catalog(hamsa=None, faseeh=None, offline=OfflineClient(), piper=service)
        try:
            with caplog.at_level(logging.INFO):
                service.start()
                await eventually(
                    lambda: service.status() == "downloading 50 %", "half the model arrived"
                )
                during = {
                    v.name: v for v in build_info(catalog, piper_status(service)).tts[0].voices
                }
                meanwhile = await speak_offline(service, "مَرْحَبًا.")
                mirror.release()
                await service.wait_until_settled(30)
                after = {
                    v.name: v for v in build_info(catalog, piper_status(service)).tts[0].voices
                }
                spoken = await speak_offline(service, "مَرْحَبًا.")
        finally:
            await service.close()

    assert not during["piper-tiny"].installed
    assert "downloading 50 %" in (during["piper-tiny"].description or "")
    assert "قيد التنزيل 50 %" in (during["piper-tiny"].description or "")
    assert "now espeak-ng (piper-tiny downloading 50 %)" in (during["offline-ar"].description or "")
    assert during["offline-ar"].attribution.name == "espeak-ng"
    assert meanwhile == await espeak_pcm("مَرْحَبًا.")  # espeak-ng spoke while it downloaded
    assert after["piper-tiny"].installed
    assert after["offline-ar"].attribution.name == "Piper"
    assert [d.ids for d in decode_all(spoken)] == await expected_ids("مَرْحَبًا.")
    assert changes == [
        "downloading 0 %",
        "downloading 50 %",
        "downloading 100 %",
        "loading",
        "ready",
    ]
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("Downloading Piper voice ar_JO-tiny-medium into") for m in messages)
    assert "Piper voice ar_JO-tiny-medium licence: a licence for tests" in messages


async def test_a_full_disk_is_one_log_line_and_espeak_speaks(
    tmp_path: Path,
    tiny_published: tuple[CatalogVoice, dict[str, bytes]],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    voice, files = tiny_published
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(piper_download.shutil, "disk_usage", lambda _: usage._replace(free=100))
    data = tmp_path / "data"
    async with FakeVoiceMirror(files) as mirror:
        service = PiperService(PiperSource(voice.model_path(data), voice), base_url=mirror.base_url)
        try:
            with caplog.at_level(logging.INFO):
                service.start()
                await eventually(lambda: service.state is PiperState.FAILED, "it gave up")
                spoken = await speak_offline(service, PLAIN)
        finally:
            await service.close()

    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "is full" in warnings[0] and "espeak-ng speaks for offline-ar" in warnings[0]
    assert spoken == await espeak_pcm(PLAIN)
    assert mirror.requests == []  # nothing was fetched into a full disk
    assert sorted(path.name for path in data.iterdir()) == []


async def test_a_piper_failure_before_any_audio_leaves_offline_ar_to_espeak(
    tmp_path: Path, tiny_voice: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = PiperService(PiperSource(tiny_voice), base_url="http://127.0.0.1:9")
    try:
        service.start()
        await service.wait_until_settled(30)
        assert service.state is PiperState.READY
        service.voice._phonemizer._executable = str(tmp_path / "no-espeak")  # phonemes fail
        with caplog.at_level(logging.WARNING):
            spoken = await speak_offline(service, PLAIN)
    finally:
        await service.close()

    assert spoken == await espeak_pcm(PLAIN)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.startswith("piper-tiny failed (provider_unavailable)")
    assert "espeak-ng speaks for offline-ar" in warning


async def test_no_request_waits_for_the_voice_to_load(
    tiny_voice: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Loading is background work: meanwhile espeak-ng speaks for offline-ar at once, and
    the Piper voice asked for by name is unavailable (so its fallback speaks)."""
    release = asyncio.Event()
    real_load = PiperVoice.load

    async def held_load(self: PiperVoice) -> Any:
        await release.wait()
        return await real_load(self)

    monkeypatch.setattr(PiperVoice, "load", held_load)
    service = PiperService(PiperSource(tiny_voice), base_url="http://127.0.0.1:9")
    try:
        service.start()
        await eventually(lambda: service.state is PiperState.LOADING, "it is loading")
        with caplog.at_level(logging.WARNING):
            meanwhile = await speak_offline(service, PLAIN)
        with pytest.raises(ProviderUnavailable, match=r"ar_JO-tiny-medium\.onnx is loading"):
            async with contextlib.aclosing(service.speak(PLAIN)) as audio:
                await anext(audio)
        release.set()
        await service.wait_until_settled(30)
        after = await speak_offline(service, PLAIN)
    finally:
        await service.close()

    assert meanwhile == await espeak_pcm(PLAIN)
    # offline-ar did not try (and wait for) the voice that was still loading
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(decode_all(after)) == 2  # Piper, once loaded


async def test_an_unexpected_failure_while_loading_is_logged_and_espeak_speaks(
    tiny_voice: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Not only a bad file: whatever stops the load (here numpy failing to import, as when
    two threads import it at once) ends in "not available" and a log line, never in a
    voice that says "loading" for good while nobody is told."""

    def broken_load(self: object) -> None:
        raise ImportError("import numpy failed")

    monkeypatch.setattr("arabic_tts_core.piper_model.PiperModel.load", broken_load)
    service = PiperService(PiperSource(tiny_voice), base_url="http://127.0.0.1:9")
    try:
        with caplog.at_level(logging.WARNING):
            service.start()
            await service.wait_until_settled(30)
            spoken = await speak_offline(service, PLAIN)
    finally:
        await service.close()

    assert service.state is PiperState.FAILED
    assert "import numpy failed" in service.status()
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "ar_JO-tiny-medium.onnx cannot be used" in line and "import numpy failed" in line
    assert "espeak-ng speaks for offline-ar" in line
    assert spoken == await espeak_pcm(PLAIN)
