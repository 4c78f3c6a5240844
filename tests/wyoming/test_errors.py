"""Every error code the fakes can provoke: an error event, no audio-stop, a closed socket,
and a server that keeps serving the next client.

These run with ``--fallback none``: the offline fallback (test_fallback.py) would otherwise
speak instead of failing. bad_request and unknown_voice fail the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.fakes import faseeh as faseeh_fake
from tests.fakes import hamsa as hamsa_fake
from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa

from .conftest import FASEEH_KEY, ServerProcess, StartServer, eventually
from .helpers import (
    assert_failed,
    assert_plain_success,
    describe,
    synthesize,
    synthesize_streaming,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

TEXT = "مرحبا بكم في البيت الذكي. كيف يمكنني مساعدتكم اليوم في المطبخ؟"
LONG_TEXT = TEXT * 4
NO_FALLBACK = ("--fallback", "none")


@pytest.fixture
async def server(start_server: StartServer) -> ServerProcess:
    """Both providers, no fallback: failures surface as error events."""
    return await start_server(*NO_FALLBACK)


@dataclass(frozen=True)
class Case:
    """How to provoke one failure through the fakes."""

    code: str
    voice: str
    text: str = TEXT
    arrange: Callable[[FakeHamsa, FakeFaseeh], None] = lambda hamsa, faseeh: None
    partial_audio: bool = False  # audio started before the failure


def _faseeh_wallet_empty(_: FakeHamsa, faseeh: FakeFaseeh) -> None:
    faseeh.balances[FASEEH_KEY] = 0.0


CASES = {
    "hamsa-4001-auth": Case(
        "auth_failed",
        "hamsa-Samir",
        arrange=lambda hamsa, _: hamsa.faults.append(hamsa_fake.Fault.close(4001)),
    ),
    "hamsa-4003-wallet": Case(
        "insufficient_funds",
        "hamsa-Samir",
        arrange=lambda hamsa, _: hamsa.faults.append(hamsa_fake.Fault.close(4003)),
    ),
    "faseeh-40201-wallet": Case(
        "insufficient_funds", "faseeh-ar-najdi-male-2", arrange=_faseeh_wallet_empty
    ),
    "faseeh-42901-rate": Case(
        "rate_limited",
        "faseeh-ar-najdi-male-2",
        arrange=lambda _, faseeh: faseeh.faults.append(
            faseeh_fake.Fault.error_code(42901, "Concurrency limit exceeded")
        ),
    ),
    "faseeh-40001-short-text": Case("bad_request", "faseeh-ar-najdi-male-2", text="مرحبا"),
    "empty-text": Case("bad_request", "hamsa-Samir", text="   "),
    "unknown-voice-name": Case("unknown_voice", "Nobody"),
    # Typed Hamsa names are sent as they are. "Aborted" for a name nobody knows (not in our
    # catalogue nor in Hamsa's lists) is the request's mistake; for a speaker Hamsa has it
    # may be a passing fault (provider error, below).
    "hamsa-unknown-speaker": Case("unknown_voice", "hamsa-Nobody"),
    "hamsa-aborted": Case(
        "provider_error",
        "hamsa-Samir-ksa",  # a name on the wire (no catalogue id: that would retry by name)
        arrange=lambda hamsa, _: hamsa.faults.append(hamsa_fake.Fault.error()),
    ),
    "hamsa-usage-limit": Case(
        "insufficient_funds",
        "hamsa-Samir",
        arrange=lambda hamsa, _: hamsa.faults.append(
            hamsa_fake.Fault.error(hamsa_fake.USAGE_LIMIT_MESSAGE)
        ),
    ),
    "hamsa-rate-limit": Case(
        "rate_limited",
        "hamsa-Samir",
        arrange=lambda hamsa, _: hamsa.faults.append(
            hamsa_fake.Fault.error(hamsa_fake.RATE_LIMIT_MESSAGE)
        ),
    ),
    "hamsa-not-owned": Case(
        "unknown_voice",
        "hamsa-Samir",
        arrange=lambda hamsa, _: hamsa.faults.append(
            hamsa_fake.Fault.error(hamsa_fake.NOT_OWNED_MESSAGE)
        ),
    ),
    "hamsa-stall-timeout": Case(
        "timeout",
        "hamsa-Samir",
        text=LONG_TEXT,
        arrange=lambda hamsa, _: hamsa.faults.append(hamsa_fake.Fault.stall_after_bytes(8000)),
        partial_audio=True,
    ),
    "faseeh-stall-timeout": Case(
        "timeout",
        "faseeh-ar-najdi-male-2",
        text=LONG_TEXT,
        arrange=lambda _, faseeh: faseeh.faults.append(faseeh_fake.Fault.stall_after_bytes(9600)),
        partial_audio=True,
    ),
    "hamsa-drop-mid-reply": Case(
        "provider_unavailable",
        "hamsa-Samir",
        text=LONG_TEXT,
        arrange=lambda hamsa, _: hamsa.faults.append(hamsa_fake.Fault.drop_after_bytes(8000)),
        partial_audio=True,
    ),
    "faseeh-50001": Case(
        "provider_error",
        "faseeh-ar-najdi-male-2",
        arrange=lambda _, faseeh: faseeh.faults.append(
            faseeh_fake.Fault.error_code(50001, "Internal server error")
        ),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_error_event_then_closed_and_server_keeps_serving(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, case: Case
) -> None:
    server = await start_server("--provider-timeout", "1", *NO_FALLBACK)
    case.arrange(fake_hamsa, fake_faseeh)

    reply = await synthesize(server.port, case.text, case.voice)

    assert_failed(reply, case.code)
    if case.partial_audio:
        assert reply.types[0] == "audio-start"
        assert reply.pcm, "the failure came after audio had started"
    # The next client is served normally (the fault was one-shot, the wallet refilled).
    fake_faseeh.balances[FASEEH_KEY] = 100.0
    next_voice = "hamsa-Samir" if "Nobody" in case.voice else case.voice
    next_reply = await synthesize(server.port, TEXT, next_voice)
    assert_plain_success(next_reply)
    rate = 24000 if case.voice.startswith("faseeh-") else 16000
    assert next_reply.pcm == pcm_for_text(TEXT, rate)


async def test_empty_text_never_reaches_the_provider(
    server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    assert_failed(await synthesize(server.port, "", "hamsa-Samir"), "bad_request")
    assert fake_hamsa.requests == []


@pytest.mark.parametrize("provider", ["hamsa", "faseeh"])
async def test_wrong_api_key_is_auth_failed_and_describe_still_works(
    start_server: StartServer, provider: str
) -> None:
    server = await start_server(*NO_FALLBACK, hamsa_key="wrong-key", faseeh_key="wrong-key")
    name = "hamsa-Samir" if provider == "hamsa" else "faseeh-ar-najdi-male-2"

    assert_failed(await synthesize(server.port, TEXT, name), "auth_failed")

    info = await describe(server.port)
    assert info.tts[0].voices
    assert "wrong-key" not in server.output


async def test_stream_with_unknown_voice_fails_at_once(
    server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    reply = await synthesize_streaming(server.port, ["مرحبا بكم. ", "كيف الحال؟"], "faseeh-nope")
    assert_failed(reply, "unknown_voice")
    assert fake_hamsa.requests == []


async def test_stream_without_text_is_bad_request(server: ServerProcess) -> None:
    assert_failed(
        await synthesize_streaming(server.port, ["  ", "\n"], "hamsa-Samir"), "bad_request"
    )


async def test_stream_failing_on_a_later_sentence_has_no_audio_stop(
    server: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    await eventually(lambda: fake_hamsa.open_connections >= 1, "a connection is warmed")
    fake_hamsa.faults = [None, hamsa_fake.Fault.close(4003)]  # type: ignore[list-item]
    reply = await synthesize_streaming(
        server.port, ["الجملة الأولى في هذا الاختبار. ", "والجملة الثانية تفشل هنا."], "hamsa-Samir"
    )
    assert_failed(reply, "insufficient_funds")
    assert reply.pcm == pcm_for_text("الجملة الأولى في هذا الاختبار.", 16000)[: len(reply.pcm)]
