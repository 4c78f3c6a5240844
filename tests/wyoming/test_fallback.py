"""The offline voice (espeak-ng) as the fallback when the cloud fails, and as the only voice
of a server without keys: the real server process against the fake providers.

"Covers the whole text" is checked as exactly as the audio allows: the cloud part is the
fake's exact bytes up to the failure, the offline part is espeak-ng's audio for the text
that was not yet spoken (byte for byte when nothing had been sent and no resampling was
needed; by duration, after resampling to the reply's rate, when the cloud had started).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from arabic_tts_core.frontend import EngineText, TextPolicy, Vowelizer, tashkeel_available
from arabic_tts_core.offline import ESPEAK_RATE, OfflineClient, espeak_available

from tests.fakes import faseeh as faseeh_fake
from tests.fakes import hamsa as hamsa_fake
from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa

from .conftest import FASEEH_KEY, StartServer
from .helpers import (
    Reply,
    assert_chunking,
    assert_failed,
    assert_plain_success,
    assert_stream_success,
    describe,
    synthesize,
    synthesize_streaming,
)

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is installed by script/setup"),
]

TEXT = "مرحبا بكم في البيت الذكي. كيف يمكنني مساعدتكم اليوم في المطبخ؟"
LONG_TEXT = " ".join([TEXT] * 3)
SENTENCES = [
    "الجملة الأولى في هذا الاختبار الطويل. ",
    "والجملة الثانية تنقطع في منتصفها هنا. ",
    "أما الجملة الثالثة فتأتي بعد الانقطاع.",
]
HAMSA = ("hamsa-Samir", 16000)
FASEEH = ("faseeh-ar-najdi-male-2", 24000)
# Audio the fakes send before they stall or drop: more than Hamsa's first frame.
CUT_BYTES = 8000

_offline_cache: dict[str, bytes] = {}


_OFFLINE_TEXT = EngineText(
    TextPolicy.default_for("offline"),
    name="offline-ar",
    vowelizer=Vowelizer() if tashkeel_available() else None,
)


async def offline_pcm(*pieces: str) -> bytes:
    """espeak-ng's PCM (22050 Hz) for each piece in turn, as the server's offline voice says
    it: after its default text steps (numbers, words, tashkeel)."""
    pcm = b""
    for piece in pieces:
        if piece not in _offline_cache:
            stream = OfflineClient().synthesize(await _OFFLINE_TEXT.prepare_async(piece))
            async with contextlib.aclosing(stream):
                _offline_cache[piece] = b"".join([chunk.pcm async for chunk in stream])
        pcm += _offline_cache[piece]
    return pcm


def assert_speech(pcm: bytes) -> None:
    """Real speech, not silence or a click."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    assert len(samples) > 0
    assert np.abs(samples).max() > 1000
    assert np.sqrt(np.mean(samples**2)) > 200


def assert_same_duration(pcm: bytes, rate: int, reference: bytes, reference_rate: int) -> None:
    """``pcm`` lasts as long as ``reference`` (resampling rounds per piece: a few samples)."""
    seconds = len(pcm) / 2 / rate
    expected = len(reference) / 2 / reference_rate
    assert abs(seconds - expected) <= 0.01 * expected + 0.02, (seconds, expected)


async def assert_offline_after_cloud(
    reply: Reply, cloud: bytes, rate: int, offline_text: list[str]
) -> None:
    """One format (the cloud's); the cloud's exact bytes, then the offline voice, resampled."""
    assert (reply.start.rate, reply.start.width, reply.start.channels) == (rate, 2, 1)
    assert_chunking(reply, 1024)
    assert reply.pcm.startswith(cloud)
    rest = reply.pcm[len(cloud) :]
    assert_speech(rest)
    assert_same_duration(rest, rate, await offline_pcm(*offline_text), ESPEAK_RATE)


async def assert_all_offline(reply: Reply, offline_text: list[str]) -> None:
    """Nothing came from the cloud: the reply is espeak-ng's own audio in its own format."""
    assert (reply.start.rate, reply.start.width, reply.start.channels) == (ESPEAK_RATE, 2, 1)
    assert_chunking(reply, 1024)
    assert reply.pcm == await offline_pcm(*offline_text)
    assert_speech(reply.pcm)


Arrange = Callable[[FakeHamsa, FakeFaseeh], None]


@dataclass(frozen=True)
class Case:
    """One cloud failure, and how much audio the cloud had sent before it."""

    code: str
    voice: tuple[str, int]
    arrange: Arrange  # make the next cloud request fail
    cut_bytes: int = 0  # audio the cloud sent before failing (0: none)
    hamsa_key: str | None = None  # start the server with this (wrong) key


def _hamsa(fault: hamsa_fake.Fault) -> Arrange:
    return lambda hamsa, _: hamsa.faults.append(fault)


def _faseeh(fault: faseeh_fake.Fault) -> Arrange:
    return lambda _, faseeh: faseeh.faults.append(fault)


def _faseeh_wallet_empty(_: FakeHamsa, faseeh: FakeFaseeh) -> None:
    faseeh.balances[FASEEH_KEY] = 0.0


def _nothing(_: FakeHamsa, __: FakeFaseeh) -> None:
    pass


CASES = {
    "hamsa-4001-auth": Case("auth_failed", HAMSA, _hamsa(hamsa_fake.Fault.close(4001))),
    "hamsa-bad-key": Case("auth_failed", HAMSA, _nothing, hamsa_key="bad-hamsa-key"),
    "hamsa-4003-funds": Case("insufficient_funds", HAMSA, _hamsa(hamsa_fake.Fault.close(4003))),
    # "Aborted" on a built-in speaker may be a passing fault: the announcement is still heard.
    "hamsa-aborted": Case(
        "provider_error",
        ("hamsa-Samir-ksa", 16000),  # a name on the wire (an id would be retried by name)
        _hamsa(hamsa_fake.Fault.error()),
    ),
    "hamsa-usage-limit": Case(
        "insufficient_funds",
        HAMSA,
        _hamsa(hamsa_fake.Fault.error(hamsa_fake.USAGE_LIMIT_MESSAGE)),
    ),
    "faseeh-40201-funds": Case("insufficient_funds", FASEEH, _faseeh_wallet_empty),
    "faseeh-42901-concurrency": Case(
        "rate_limited",
        FASEEH,
        _faseeh(faseeh_fake.Fault.error_code(42901, "Concurrency limit exceeded")),
    ),
    "faseeh-50001": Case(
        "provider_error",
        FASEEH,
        _faseeh(faseeh_fake.Fault.error_code(50001, "Internal server error")),
    ),
    "hamsa-stall-mid-reply": Case(
        "timeout", HAMSA, _hamsa(hamsa_fake.Fault.stall_after_bytes(CUT_BYTES)), CUT_BYTES
    ),
    "faseeh-stall-mid-reply": Case(
        "timeout", FASEEH, _faseeh(faseeh_fake.Fault.stall_after_bytes(CUT_BYTES)), CUT_BYTES
    ),
    "hamsa-drop-mid-reply": Case(
        "provider_unavailable",
        HAMSA,
        _hamsa(hamsa_fake.Fault.drop_after_bytes(CUT_BYTES)),
        CUT_BYTES,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_plain_reply_is_finished_by_the_offline_voice(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, case: Case
) -> None:
    if case.hamsa_key:
        server = await start_server("--provider-timeout", "1", hamsa_key=case.hamsa_key)
    else:
        server = await start_server("--provider-timeout", "1")
    case.arrange(fake_hamsa, fake_faseeh)
    voice_name, rate = case.voice
    text = LONG_TEXT if case.cut_bytes else TEXT

    reply = await synthesize(server.port, text, voice_name)

    assert_plain_success(reply)
    if case.cut_bytes:
        # One upstream request for the whole text: all of it is said again, offline.
        cloud = pcm_for_text(text, rate)[: case.cut_bytes]
        await assert_offline_after_cloud(reply, cloud, rate, [text])
    else:
        await assert_all_offline(reply, [text])
    output = server.output
    assert f"{voice_name} failed ({case.code})" in output
    assert f"Fallback offline-ar spoke “{text[:20]}" in output
    if not case.hamsa_key:
        # The next request asks the cloud again (the fault was one-shot, wallet refilled).
        fake_faseeh.balances[FASEEH_KEY] = 100.0
        again = await synthesize(server.port, TEXT, voice_name)
        assert_plain_success(again)
        assert again.pcm == pcm_for_text(TEXT, rate)


def _second_request_fails(case: Case, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh) -> None:
    """Queue ``case``'s failure behind one good reply (the first sentence's)."""
    if case.arrange is _faseeh_wallet_empty:
        # Enough for the first sentence only (it is billed when it completes).
        first = SENTENCES[0].strip()
        fake_faseeh.balances[FASEEH_KEY] = len(first) * fake_faseeh.cost_per_char * 1.5
        return
    case.arrange(fake_hamsa, fake_faseeh)
    for faults in (fake_hamsa.faults, fake_faseeh.faults):
        if faults:
            faults.insert(0, None)  # type: ignore[arg-type]  # the fakes: None = no fault


STREAM_CASES = {
    name: CASES[name]
    for name in (
        "hamsa-4001-auth",
        "faseeh-40201-funds",
        "faseeh-42901-concurrency",
        "hamsa-stall-mid-reply",
        "faseeh-stall-mid-reply",
        "hamsa-drop-mid-reply",
    )
}


@pytest.mark.parametrize("case", STREAM_CASES.values(), ids=STREAM_CASES.keys())
async def test_stream_failing_on_the_second_sentence_is_finished_offline(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, case: Case
) -> None:
    """The first sentence is the cloud's; the failing one and every one after it offline."""
    server = await start_server("--provider-timeout", "1")
    voice_name, rate = case.voice
    _second_request_fails(case, fake_hamsa, fake_faseeh)

    reply = await synthesize_streaming(server.port, SENTENCES, voice_name)

    assert_stream_success(reply)
    first, second, third = (sentence.strip() for sentence in SENTENCES)
    if rate == HAMSA[1]:
        asked = [request["text"] for request in fake_hamsa.requests]
    else:
        asked = [generation.text for generation in fake_faseeh.generations]
    # After the failure the rest of the reply went straight to the offline voice.
    assert asked[0] == first
    assert third not in asked
    cloud = pcm_for_text(first, rate) + pcm_for_text(second, rate)[: case.cut_bytes]
    await assert_offline_after_cloud(reply, cloud, rate, SENTENCES[1:])
    assert f"{voice_name} failed ({case.code}) on “{second[:20]}" in server.output


async def test_stream_failing_before_any_audio_is_all_offline(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    server = await start_server()
    fake_hamsa.faults.append(hamsa_fake.Fault.close(4003))

    reply = await synthesize_streaming(server.port, SENTENCES, "hamsa-Samir")

    assert_stream_success(reply)
    await assert_all_offline(reply, SENTENCES)
    assert [request["text"] for request in fake_hamsa.requests] == [SENTENCES[0].strip()]


async def test_fallback_voice_speaks_before_the_offline_one(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server("--fallback-voice", "faseeh-ar-najdi-male-2")
    fake_hamsa.faults.append(hamsa_fake.Fault.close(4003))

    reply = await synthesize(server.port, TEXT, "hamsa-Samir")

    # Nothing had been sent: the reply is Faseeh's own audio in Faseeh's own format.
    assert_plain_success(reply)
    assert reply.start.rate == 24000
    assert_chunking(reply, 1024)
    assert reply.pcm == pcm_for_text(TEXT, 24000)
    assert [request["text"] for request in fake_hamsa.requests] == [TEXT]
    assert [(g.text, g.voice_id) for g in fake_faseeh.generations] == [(TEXT, "ar-najdi-male-2")]
    assert "Fallback faseeh-ar-najdi-male-2 spoke" in server.output


async def test_fallback_voice_mid_reply_is_resampled_to_the_reply_format(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server(
        "--provider-timeout", "1", "--fallback-voice", "faseeh-ar-najdi-male-2"
    )
    fake_hamsa.faults.append(hamsa_fake.Fault.drop_after_bytes(CUT_BYTES))

    reply = await synthesize(server.port, LONG_TEXT, "hamsa-Samir")

    assert_plain_success(reply)
    assert reply.start.rate == 16000
    assert_chunking(reply, 1024)
    cloud = pcm_for_text(LONG_TEXT, 16000)[:CUT_BYTES]
    assert reply.pcm.startswith(cloud)
    faseeh_pcm = pcm_for_text(LONG_TEXT, 24000)
    assert_same_duration(reply.pcm[len(cloud) :], 16000, faseeh_pcm, 24000)
    assert [g.text for g in fake_faseeh.generations] == [LONG_TEXT]


async def test_fallback_voice_failing_too_leaves_it_to_the_offline_voice(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server("--fallback-voice", "faseeh-ar-najdi-male-2")
    fake_hamsa.faults.append(hamsa_fake.Fault.close(4001))
    fake_faseeh.balances[FASEEH_KEY] = 0.0

    reply = await synthesize(server.port, TEXT, "hamsa-Samir")

    assert_plain_success(reply)
    await assert_all_offline(reply, [TEXT])
    assert "hamsa-Samir failed (auth_failed)" in server.output
    assert "faseeh-ar-najdi-male-2 failed (insufficient_funds)" in server.output


async def test_error_event_only_when_the_fallback_fails_too(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server("--fallback", "none", "--fallback-voice", "faseeh-ar-najdi-male-2")
    fake_hamsa.faults.append(hamsa_fake.Fault.close(4003))
    fake_faseeh.balances[FASEEH_KEY] = 0.0

    reply = await synthesize(server.port, TEXT, "hamsa-Samir")

    # The code is the requested voice's (the cause to act on); the text says both.
    assert_failed(reply, "insufficient_funds")
    assert reply.error is not None
    assert "fallback could not speak either" in reply.error.text
    assert [g.text for g in fake_faseeh.generations] == []  # refused before generating


@pytest.mark.parametrize(
    ("voice_name", "text", "code"),
    [("Nobody", TEXT, "unknown_voice"), ("faseeh-ar-najdi-male-2", "مرحبا", "bad_request")],
    ids=["unknown-voice", "faseeh-too-short"],
)
async def test_the_requests_own_mistakes_are_not_fallen_back(
    server_with_defaults: int, voice_name: str, text: str, code: str
) -> None:
    assert_failed(await synthesize(server_with_defaults, text, voice_name), code)


@pytest.fixture
async def server_with_defaults(start_server: StartServer) -> int:
    """Default flags: espeak-ng is installed, so the fallback is on."""
    return (await start_server()).port


async def test_without_any_key_the_offline_voice_is_the_only_one(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server(hamsa=False, faseeh=False)

    info = await describe(server.port)
    # offline-ar (the default: the best offline voice there is) and espeak-ng by name.
    offline, espeak = info.tts[0].voices
    assert (offline.name, espeak.name) == ("offline-ar", "espeak-ar")
    assert espeak.attribution.name == "espeak-ng"
    assert offline.languages == ["ar"]
    assert offline.attribution.name == "espeak-ng"
    assert offline.description is not None
    assert "Offline" in offline.description
    assert "دون اتصال" in offline.description
    assert "No API key given: serving only the offline voice offline-ar" in server.output

    plain = await synthesize(server.port, TEXT)  # no voice: the default
    streamed = await synthesize_streaming(server.port, SENTENCES, "offline-ar")

    assert_plain_success(plain)
    await assert_all_offline(plain, [TEXT])
    seconds = len(plain.pcm) / 2 / ESPEAK_RATE
    assert 0.03 * len(TEXT) < seconds < 0.2 * len(TEXT)  # plausible speech for the text
    assert_stream_success(streamed)
    await assert_all_offline(streamed, SENTENCES)
    assert fake_hamsa.connections == []
    assert fake_faseeh.connections == []


async def test_provider_restart_is_invisible_not_a_fallback(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """A provider instance restart makes every pooled socket answer 1001: the one retry
    goes to a new connection, so the cloud voice speaks (issue 12, item 5). Unpaced, so
    the three replies below hold three pooled sockets (pacing: tests/core)."""
    fake_hamsa.connect_min_interval = None  # unpaced on purpose: no rate limit either
    server_with_defaults = (await start_server("--hamsa-connect-interval", "0")).port
    fake_hamsa.frame_interval = 0.005
    warm_texts = [f"{TEXT} رقم {number}" for number in range(3)]
    replies = [synthesize(server_with_defaults, text, HAMSA[0]) for text in warm_texts]
    for warm in await asyncio.gather(*replies):
        assert_plain_success(warm)
    stale = fake_hamsa.restart_instance()
    assert stale >= 2  # several pooled sockets, all stale

    reply = await synthesize(server_with_defaults, TEXT, HAMSA[0])

    assert_plain_success(reply)
    assert reply.start.rate == HAMSA[1]
    assert reply.pcm == pcm_for_text(TEXT, HAMSA[1])
    assert fake_hamsa.requests[-1]["connection_index"] >= stale
