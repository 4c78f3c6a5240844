"""The time budget through the real server: a late provider is abandoned for the next
voice, remembered, and twenty requests at once all speak in the voice asked for.

Nothing here measures time (script/bench does: "first audio under faults"). The
deadlines are set far above what a healthy fake needs even on a busy machine, and a
faulty fake never answers at all, so a deadline can only decide one way: the tests
assert which voice spoke each reply and over which transport the fakes were asked.
"""

from __future__ import annotations

import asyncio

import pytest
from arabic_tts_core.offline import ESPEAK_RATE, espeak_available

from tests.core.helpers import wait_for
from tests.fakes import hamsa as hamsa_fake
from tests.fakes.audio import pcm_for_text
from tests.fakes.blackhole import BlackHole
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa

from .conftest import StartServer
from .helpers import assert_plain_success, synthesize

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is installed by script/setup"),
]

TEXT = "مرحبا بكم في البيت الذكي هذا المساء"
# Far above a healthy fake's first audio on any machine; a stalled one never answers.
GENEROUS = ("--first-audio-deadline", "8", "--provider-timeout", "60")


async def test_a_hamsa_that_acks_then_stays_silent_costs_one_reply_its_deadline(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """The first reply is spoken by the offline voice at the deadline (not after the
    provider timeout); the WebSocket's breaker opens, so the next replies go over
    Hamsa's REST stream at once, in the voice asked for.

    Once the stalled request is in, no new socket opens either: the breaker's background
    check (2 s after it opened) then fails however slow this machine is. A check that
    passed would rightly let the next request try the socket again, and this test would
    depend on the replies below finishing within 2 s."""
    fake_hamsa.faults.extend([hamsa_fake.Fault.stall_after_bytes(0)] * 20)
    server = await start_server(*GENEROUS, "--hamsa-pool", "1", faseeh=False)

    stalled = asyncio.create_task(synthesize(server.port, TEXT, "hamsa-Samir"))
    await wait_for(lambda: bool(fake_hamsa.requests))
    fake_hamsa.rest_status_override[hamsa_fake.WS_PATH] = 503
    first = await stalled
    later = [await synthesize(server.port, f"{TEXT} رقم {n}", "hamsa-Samir") for n in range(2)]

    assert_plain_success(first)
    assert first.start.rate == ESPEAK_RATE  # the offline voice spoke it
    for n, reply in enumerate(later):
        assert_plain_success(reply)
        assert reply.start.rate == 16000
        assert reply.pcm == pcm_for_text(f"{TEXT} رقم {n}", 16000)
    assert [r["transport"] for r in fake_hamsa.requests] == ["websocket", "rest", "rest"]
    output = server.output
    assert "hamsa-Samir gave no audio within 8 s" in output
    assert output.count("Hamsa WebSocket is skipped for now") == 1


async def test_a_faseeh_socket_that_never_answers_its_handshake_lets_rest_speak(
    start_server: StartServer, fake_faseeh: FakeFaseeh
) -> None:
    """The socket's address accepts TCP and never answers (REST works): the reply is in
    the Faseeh voice asked for, over REST, and the socket's breaker opens once.

    That the next request does not try the socket again is counted in the core's test
    (tests/core/test_faseeh_transport.py, the black-hole case), where the breaker's own
    check is moved out of the way: here it may reach the hole too, 2 s after it opened,
    however slow the machine."""
    async with BlackHole() as hole:
        server = await start_server(*GENEROUS, "--faseeh-url", hole.ws_url("/ws"), hamsa=False)
        replies = [
            await synthesize(server.port, f"{TEXT} رقم {n}", "faseeh-ar-najdi-male-2")
            for n in range(2)
        ]
    for n, reply in enumerate(replies):
        assert_plain_success(reply)
        assert reply.pcm == pcm_for_text(f"{TEXT} رقم {n}", 24000)
    assert [g.transport for g in fake_faseeh.generations] == ["rest", "rest"]
    assert server.output.count("Faseeh WebSocket is skipped for now") == 1
    assert "Fallback offline-ar spoke" not in server.output


async def test_twenty_at_once_speak_in_the_voice_asked_for_without_a_640_byte_reply(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """Issue 18, item 7, with the server's default pool and pace and the fake's default
    rate limit (a connection opened less than 1 s after the previous one answers its
    first request with 640 bytes): the warm sockets take what they can, the rest go over
    the REST stream; nobody waits for a paced connection, no burst trips the limit."""
    server = await start_server(*GENEROUS, faseeh=False)
    # Each reply lasts about 5 s, so all twenty overlap, on a slow machine too.
    fake_hamsa.frame_interval = 1.0
    texts = [f"{TEXT} رقم {n}" for n in range(20)]
    replies = await asyncio.gather(*(synthesize(server.port, t, "hamsa-Samir") for t in texts))
    for text, reply in zip(texts, replies, strict=True):
        assert_plain_success(reply)
        assert reply.pcm == pcm_for_text(text, 16000)
    assert fake_hamsa.short_replies == []
    assert not any(conn.throttled for conn in fake_hamsa.connections)
    assert len(fake_hamsa.requests) == 20  # nothing retried
    assert {r["voice_name"] for r in fake_hamsa.requests} == {"Samir"}
    # Nobody queued behind a busy socket: each socket served one request, REST the rest.
    on_sockets = [r["connection_index"] for r in fake_hamsa.socket_requests()]
    assert len(on_sockets) == len(set(on_sockets))
    assert len(fake_hamsa.rest_tts_requests()) == 20 - len(on_sockets)
    assert "Fallback" not in server.output
