"""The 640-byte reply without bursts, and requests that never wait for a paced connection:
warm sockets, background growth at a pace, the REST stream when no warm socket is free,
retries at once on another way, breakers that remember a failed transport, and a
plausibility check that holds back at most one provider frame.

No test here measures time: they assert which transport and connection served each
request, what the fake was asked and what the listener got. A pace of 30 s stands for
"a request must not wait for it": a request that did would hit the hang guard instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from custom_components.arabic_tts.core.breaker import BreakerState
from custom_components.arabic_tts.core.errors import (
    AuthFailed,
    ProviderTimeout,
    ProviderUnavailable,
)
from custom_components.arabic_tts.core.hamsa import (
    DEFAULT_CONNECT_INTERVAL,
    DEFAULT_POOL_SIZE,
    TRANSPORT_REST,
    TRANSPORT_WEBSOCKET,
    HamsaClient,
    HamsaVoiceSettings,
)
from tests.core.helpers import collect, wait_for
from tests.fakes.audio import pcm_for_text
from tests.fakes.hamsa import TTS_STREAM_PATH, WS_PATH, FakeHamsa, Fault

TEXT = "الباب الأمامي مفتوح"
SETTINGS = HamsaVoiceSettings("Mariam", "egy")
NEVER = 30.0  # a pace no request may wait for
HANG_GUARD = 20.0  # bounds a hang only; every test here finishes far sooner


@pytest.fixture
async def fake() -> AsyncIterator[FakeHamsa]:
    async with FakeHamsa() as server:
        yield server


@contextlib.asynccontextmanager
async def hamsa(
    fake: FakeHamsa, key: str = "hamsa-key", **options: Any
) -> AsyncIterator[HamsaClient]:
    options.setdefault("provider_timeout", 3.0)
    client = HamsaClient(key, ws_url=fake.ws_url, api_url=fake.api_url, **options)
    try:
        yield client
    finally:
        await client.close()


async def speak(client: HamsaClient, text: str = TEXT) -> bytes:
    async with asyncio.timeout(HANG_GUARD):
        _, pcm, _ = await collect(client.synthesize(text, SETTINGS))
    return pcm


async def wait_idle(client: HamsaClient, count: int) -> None:
    await wait_for(lambda: client.pool.idle_count >= count, HANG_GUARD)


def opening_gaps(fake: FakeHamsa) -> list[float]:
    times = [conn.opened_at for conn in fake.connections]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def transports(fake: FakeHamsa) -> list[str]:
    return [request["transport"] for request in fake.requests]


def test_defaults_suit_a_household() -> None:
    client = HamsaClient("hamsa-key")
    assert (client.pool_size, client.connect_interval) == (2, 7.0)
    assert (DEFAULT_POOL_SIZE, DEFAULT_CONNECT_INTERVAL) == (2, 7.0)


async def test_background_growth_keeps_its_pace_and_never_trips_the_rate_limit(
    fake: FakeHamsa,
) -> None:
    """The fake cuts short the first reply of a connection opened less than 1 s after
    the previous one (its default). The pool warms up at its own, slower pace."""
    async with hamsa(fake, pool_size=3, connect_interval=1.1) as client:
        client.start_warming()
        await wait_idle(client, 3)
        texts = [f"{TEXT} رقم {n}" for n in range(3)]
        for text in texts:
            assert await speak(client, text) == pcm_for_text(text)
    assert len(fake.connections) == 3
    assert min(opening_gaps(fake)) >= 1.1 - 0.01  # never sooner than the pace
    assert not any(conn.throttled for conn in fake.connections)
    assert fake.short_replies == []


async def test_a_request_with_no_warm_socket_free_goes_over_rest_at_once(
    fake: FakeHamsa,
) -> None:
    """One warm socket is busy and the next connection is 30 s away: the second request
    is spoken over the REST stream, in the same voice, with no second connection."""
    fake.frame_interval = 0.05  # the first reply lasts a while
    async with hamsa(fake, pool_size=1, connect_interval=NEVER) as client:
        client.start_warming()
        await wait_idle(client, 1)
        first, second = await asyncio.gather(speak(client, TEXT), speak(client, TEXT + " ثانية"))
        assert client.transport_state.rest_requests == 1
    assert first == pcm_for_text(TEXT)
    assert second == pcm_for_text(TEXT + " ثانية")
    assert len(fake.connections) == 1
    by_text = {request["text"]: request for request in fake.requests}
    assert by_text[TEXT]["transport"] == "websocket"
    assert by_text[TEXT + " ثانية"]["transport"] == "rest"
    assert by_text[TEXT + " ثانية"]["voice_name"] == "Mariam"


async def test_a_new_connection_is_opened_now_when_the_pace_allows(fake: FakeHamsa) -> None:
    """No warm socket, but the last connection opened long enough ago: a new one now
    (the WebSocket stays the first choice), never the REST stream."""
    async with hamsa(fake, pool_size=1, connect_interval=0.01) as client:
        assert await speak(client) == pcm_for_text(TEXT)  # no warm-up: opened for it
    assert transports(fake) == ["websocket"]
    assert len(fake.connections) == 1


async def test_twenty_at_once_all_speak_in_the_voice_asked_for_without_a_glitch(
    fake: FakeHamsa,
) -> None:
    """Item 7 of issue 18: twenty simultaneous requests on a healthy account. The warm
    sockets take what they can; the rest go over the REST stream at once. No connection
    is opened in a burst, so the fake's rate limit never cuts a reply short."""
    fake.frame_interval = 0.01
    texts = [f"{TEXT} رقم {n}" for n in range(20)]
    async with hamsa(fake, pool_size=2, connect_interval=1.1) as client:
        client.start_warming()
        await wait_idle(client, 2)
        replies = await asyncio.gather(*(speak(client, text) for text in texts))
    for text, pcm in zip(texts, replies, strict=True):
        assert pcm == pcm_for_text(text)
    assert fake.short_replies == []
    assert not any(conn.throttled for conn in fake.connections)
    assert len(fake.requests) == len(texts)  # nothing retried
    assert {request["voice_name"] for request in fake.requests} == {"Mariam"}
    assert transports(fake).count("rest") >= len(texts) - len(fake.connections)


async def test_short_reply_is_retried_at_once_on_another_warm_socket(fake: FakeHamsa) -> None:
    fake.connect_min_interval = None
    async with hamsa(fake, pool_size=2, connect_interval=0) as client:
        client.start_warming()
        await wait_idle(client, 2)
        fake.faults.append(Fault.short_reply())
        assert await speak(client) == pcm_for_text(TEXT)
        assert client.pool.idle_count == 2  # the socket that gave the short reply is kept
    first, retry = fake.requests
    assert first["connection_index"] != retry["connection_index"]
    assert transports(fake) == ["websocket", "websocket"]
    assert len(fake.connections) == 2


async def test_short_reply_with_no_other_socket_goes_over_rest_at_once(fake: FakeHamsa) -> None:
    async with hamsa(fake, pool_size=1, connect_interval=NEVER) as client:
        client.start_warming()
        await wait_idle(client, 1)
        fake.faults.append(Fault.short_reply())
        assert await speak(client) == pcm_for_text(TEXT)
        assert client.pool.idle_count == 1  # kept: a short reply breaks no socket
    assert transports(fake) == ["websocket", "rest"]
    assert [request["text"] for request in fake.requests] == [TEXT, TEXT]
    assert len(fake.connections) == 1


@pytest.mark.parametrize(
    ("interval", "retry_transport"), [(NEVER, "rest"), (0.0, "websocket")], ids=["paced", "free"]
)
async def test_restart_retry_never_takes_another_stale_pooled_socket(
    fake: FakeHamsa, interval: float, retry_transport: str
) -> None:
    """After a provider restart every pooled socket answers 1001: the retry goes over
    REST, or to a socket opened now if the pace allows it, never to another pooled one."""
    fake.connect_min_interval = None
    async with hamsa(fake, pool_size=3, connect_interval=interval) as client:
        client.start_warming()
        if interval:
            await wait_idle(client, 1)
        else:
            await wait_idle(client, 3)
        stale = fake.restart_instance()
        assert await speak(client) == pcm_for_text(TEXT)
    (retry,) = fake.requests  # a stale socket closes (1001) before it reads the request
    assert [conn.close_code for conn in fake.connections[:stale]].count(1001) == 1
    assert retry["transport"] == retry_transport
    if retry_transport == "websocket":
        assert retry["connection_index"] >= stale


async def test_five_under_a_stricter_rate_limit_never_let_a_short_reply_through(
    fake: FakeHamsa,
) -> None:
    """A limit stricter than our pace: 640-byte replies happen and are retried (on
    another socket or over REST), never heard."""
    # Far stricter than our pace: every connection after the first is cut short on its
    # first reply, however slowly this machine opens them (with 0.6 s, a busy machine
    # could open them slower than that and the fake would cut nothing short).
    fake.connect_min_interval = 30.0
    fake.frame_sizes = [2048]
    fake.frame_interval = 0.05  # about 0.3 s per reply: five at once need several ways
    texts = [f"{TEXT} رقم {n}" for n in range(5)]
    async with hamsa(fake, pool_size=3, connect_interval=0.1) as client:
        client.start_warming()
        await wait_idle(client, 3)
        replies = await asyncio.gather(*(speak(client, text) for text in texts))
    for text, pcm in zip(texts, replies, strict=True):
        assert pcm == pcm_for_text(text)
    assert fake.short_replies  # the fake did cut some first replies short
    assert len(fake.requests) == len(texts) + len(fake.short_replies)  # each retried once


@pytest.mark.parametrize(
    ("frame_sizes", "first_chunk"),
    [
        ([640], 1280),  # 20 ms frames: the first is held until the second arrives
        ([4096], 4096),  # 128 ms: more than a glitch could be, sent on at once
        ([7398, 32000], 7398),  # what the real service sends first
        ([333, 1001], 1334),  # odd sizes: the first sample-aligned piece waits for the next
    ],
)
async def test_plausibility_check_holds_at_most_one_frame(
    fake: FakeHamsa, frame_sizes: list[int], first_chunk: int
) -> None:
    fake.frame_sizes = frame_sizes
    text = TEXT * 8  # 152 characters: a floor of 3 s of audio
    async with hamsa(fake, connect_interval=0) as client:
        _, pcm, sizes = await collect(client.synthesize(text, SETTINGS))
    assert pcm == pcm_for_text(text)
    assert sizes[0] == first_chunk


async def test_a_short_text_in_one_frame_is_not_mistaken_for_the_glitch(fake: FakeHamsa) -> None:
    fake.frame_sizes = [4096]
    async with hamsa(fake, connect_interval=0) as client:
        _, pcm, sizes = await collect(client.synthesize("نعم", SETTINGS))
    assert pcm == pcm_for_text("نعم")  # 3 characters, 60 ms: one 1920-byte frame, then end
    assert sizes == [1920]
    assert len(fake.requests) == 1


async def test_a_refused_key_stops_the_warm_up_and_is_reported_without_a_wait(
    fake: FakeHamsa,
) -> None:
    """4001 on every new socket: the warm-up stops at the first (it would be refused in
    turn forever), and a request learns it from its own connection, not after a turn."""
    async with hamsa(fake, "wrong-key", pool_size=3, connect_interval=NEVER) as client:
        client.start_warming()
        await wait_for(lambda: bool(fake.connections) and not fake.connections[0].open)
        await wait_for(lambda: client.pool.idle_count == 0)
        with pytest.raises(AuthFailed):
            await speak(client)
    assert [conn.close_code for conn in fake.connections] == [4001, 4001]
    assert fake.rest_tts_requests() == []


async def test_with_rest_down_the_retry_takes_the_socket_that_gave_the_short_reply(
    fake: FakeHamsa,
) -> None:
    """No other socket, no new connection (the upgrade is refused) and the REST stream
    answers 503: the socket that gave the 640-byte reply is not broken, and speaks."""
    async with hamsa(fake, pool_size=1, connect_interval=0) as client:
        client.start_warming()
        await wait_idle(client, 1)
        fake.faults.append(Fault.short_reply())
        fake.rest_status_override[WS_PATH] = 503  # no new connection can be opened
        fake.rest_errors[TTS_STREAM_PATH] = (503, {"code": 503, "message": "unavailable"})
        assert await speak(client) == pcm_for_text(TEXT)
        assert client.pool.idle_count == 1
    assert [(r["transport"], r["connection_index"]) for r in fake.requests] == [
        ("websocket", 0),
        ("websocket", 0),
    ]
    assert len(fake.connections) == 1


async def test_with_rest_resting_the_retry_takes_the_socket_that_gave_the_short_reply(
    fake: FakeHamsa,
) -> None:
    """The REST stream's breaker is open (it failed a moment ago) and the only warm socket
    gives a 640-byte reply: the retry takes that socket again at once. It must not wait
    for a paced new connection (30 s away) while it holds the one socket that can speak:
    with a voice to fall back on, that wait would miss the deadline and blame the
    WebSocket, which works."""
    async with hamsa(
        fake, pool_size=1, connect_interval=NEVER, breaker_backoff=NEVER * 20
    ) as client:
        client.start_warming()
        await wait_idle(client, 1)
        client.breakers[TRANSPORT_REST].failed("a stall a moment ago")
        fake.faults.append(Fault.short_reply())
        assert await speak(client) == pcm_for_text(TEXT)
        assert client.breakers[TRANSPORT_WEBSOCKET].state is BreakerState.CLOSED
    assert [(r["transport"], r["connection_index"]) for r in fake.requests] == [
        ("websocket", 0),
        ("websocket", 0),
    ]
    assert len(fake.connections) == 1


async def test_an_unreachable_provider_is_reported_without_waiting_for_a_turn() -> None:
    """Only connections that opened count against the pace: with the network down a
    request learns it from its own attempts (so the offline voice speaks), not after a
    30 s turn."""
    async with FakeHamsa() as gone:
        ws_url, api_url = gone.ws_url, gone.api_url  # a port nobody listens on any more
    client = HamsaClient(
        "hamsa-key", ws_url=ws_url, api_url=api_url, provider_timeout=3.0, connect_interval=NEVER
    )
    try:
        client.start_warming()
        for _ in range(2):
            with pytest.raises(ProviderUnavailable):
                await speak(client)
    finally:
        await client.close()


async def test_a_stalled_socket_sends_the_next_requests_over_rest_until_it_recovers(
    fake: FakeHamsa,
) -> None:
    """Hamsa acks and then sends nothing: that reply times out, the WebSocket's breaker
    opens, the next request goes over REST at once; the background check (a socket that
    opens and greets) half-opens it and the next request tries the socket again."""
    fake.connect_min_interval = None
    async with hamsa(
        fake, pool_size=1, connect_interval=0, provider_timeout=0.5, breaker_backoff=0.05
    ) as client:
        client.start_warming()
        await wait_idle(client, 1)
        breaker = client.breakers[TRANSPORT_WEBSOCKET]
        fake.faults.append(Fault.stall_after_bytes(0))  # ack, then silence
        with pytest.raises(ProviderTimeout):
            await speak(client)
        assert breaker.state is BreakerState.OPEN
        assert await speak(client, TEXT + " ثانية") == pcm_for_text(TEXT + " ثانية")
        async with asyncio.timeout(HANG_GUARD):
            await breaker.wait_for(BreakerState.HALF_OPEN)
        assert await speak(client, TEXT + " ثالثة") == pcm_for_text(TEXT + " ثالثة")
        assert breaker.state is BreakerState.CLOSED
    assert transports(fake) == ["websocket", "rest", "websocket"]
