"""Faseeh's transports against every behaviour of the strict fake: which transport speaks,
what the fake received, that the audio is byte-exact, and that the key never leaks.

No test measures time: each asserts which transport spoke, in which order, and what the
fake received. The time budget's share for the socket is checked against the fallback
chain's own deadline (a switch too late would let the fallback voice speak instead)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import pytest

from custom_components.arabic_tts.core import faseeh_api, faseeh_ws
from custom_components.arabic_tts.core.audio import AudioFormat, PcmChunk
from custom_components.arabic_tts.core.breaker import BreakerState
from custom_components.arabic_tts.core.budget import Budget
from custom_components.arabic_tts.core.errors import (
    AuthFailed,
    CircuitOpen,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from custom_components.arabic_tts.core.fallback import FallbackPolicy, FallbackVoice
from custom_components.arabic_tts.core.faseeh import (
    FaseehClient,
    FaseehRegion,
    FaseehVoiceSettings,
    WrongRegion,
)
from tests.core.helpers import collect, wait_for
from tests.fakes.audio import pcm_for_text
from tests.fakes.blackhole import BlackHole
from tests.fakes.faseeh import CLONE_VOICE, OPAQUE_VOICE, FakeFaseeh, Fault

KEY = "faseeh-secret-key-9a7e"
TEXT = "مرحبا بك في فصيح كيف يمكنني مساعدتك اليوم"
OTHER = "الغداء جاهز على الطاولة يا أهل البيت"
SETTINGS = FaseehVoiceSettings(voice_id="ar-egyptian-male-1")
Make = Callable[..., FaseehClient]


@pytest.fixture
async def fake() -> AsyncIterator[FakeFaseeh]:
    async with FakeFaseeh(valid_keys={KEY}) as server:
        yield server


@pytest.fixture
async def make(fake: FakeFaseeh) -> AsyncIterator[Callable[..., FaseehClient]]:
    """Clients against the fake; every one is closed at teardown."""
    clients: list[FaseehClient] = []

    def factory(**options: Any) -> FaseehClient:
        options.setdefault("provider_timeout", 3.0)
        client = FaseehClient(KEY, ws_url=fake.ws_url, api_url=fake.api_url, **options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


async def silence(text: str) -> AsyncGenerator[PcmChunk]:
    """A fallback voice that must never be needed."""
    raise AssertionError(f"the fallback spoke {text!r}")
    yield PcmChunk(AudioFormat(24000), b"")  # pragma: no cover


def warnings_about_rest(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "now speaks over REST" in r.getMessage()
    ]


# --------------------------------------------------------------------------- socket auth


async def test_auto_speaks_over_the_socket_with_the_key_in_init(
    fake: FakeFaseeh, make: Make
) -> None:
    client = make()
    client.start_warming(SETTINGS)
    await wait_for(lambda: "accepted" in client.transport_state.reason)
    fake.frame_sizes = [4801, 333, 7]
    formats, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert (formats, pcm) == ({AudioFormat(24000)}, pcm_for_text(TEXT, 24000))
    [record] = fake.connections
    assert record.key_via == "init"
    assert "x-api-key" not in record.headers
    assert record.query == {}
    assert fake.rest_tts_requests == []
    state = client.transport_state
    assert (state.mode, state.transport, state.socket_auth) == ("auto", "websocket", "init")
    assert state.reason == "the WebSocket accepted the key (in initConnection)"
    assert state.as_dict()["since"].endswith("+00:00")


async def test_init_auth_refused_falls_back_to_the_url_form_never_logged(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.init_key_auth = False
    client = make()
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert [c.key_via for c in fake.connections] == [None, "query"]
    assert fake.connections[1].query == {"x-api-key": KEY}
    assert client.transport_state.socket_auth == "query"
    _, pcm, _ = await collect(client.synthesize(OTHER, SETTINGS))  # reuses the socket
    assert pcm == pcm_for_text(OTHER, 24000)
    assert len(fake.connections) == 2
    assert KEY not in caplog.text
    assert f"{fake.ws_url}?" not in caplog.text  # the URL that holds the key is never logged


async def test_socket_refusing_every_auth_form_moves_auto_to_rest_at_start_up(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.init_key_auth = False
    fake.query_key_auth = False
    client = make()
    client.start_warming(SETTINGS)
    await wait_for(lambda: client.transport_state.transport == "rest")
    # Decided before any request, for free: two refused handshakes and one /models.
    assert fake.generations == [] and fake.silent_texts == []
    assert [r.path for r in fake.rest_requests] == ["/api/v1/models"]
    state = client.transport_state
    assert "refused the key" in state.reason and "40101" in state.reason
    assert "REST accepted it" in state.reason
    fake.frame_sizes = [999, 1]
    for text in (TEXT, OTHER):
        formats, pcm, _ = await collect(client.synthesize(text, SETTINGS))
        assert (formats, pcm) == ({AudioFormat(24000)}, pcm_for_text(text, 24000))
    assert [g.transport for g in fake.generations] == ["rest", "rest"]
    assert len(fake.connections) == 2  # never tried again
    assert len(warnings_about_rest(caplog)) == 1
    assert KEY not in caplog.text


async def test_socket_refusal_found_by_a_request_finishes_it_over_rest(
    fake: FakeFaseeh, make: Make
) -> None:
    fake.init_key_auth = False
    fake.query_key_auth = False
    client = make()  # no start-up probe: the first request finds out
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert client.transport_state.transport == "rest"
    assert [g.transport for g in fake.generations] == ["rest"]


async def test_websocket_mode_never_uses_rest(fake: FakeFaseeh, make: Make) -> None:
    fake.init_key_auth = False
    fake.query_key_auth = False
    client = make(transport="websocket")
    with pytest.raises(AuthFailed) as caught:
        await collect(client.synthesize(TEXT, SETTINGS))
    assert KEY not in str(caught.value)
    assert fake.rest_tts_requests == []
    assert client.transport_state.transport == "websocket"


# --------------------------------------------------------------------------- silent socket


async def test_silent_socket_first_request_finishes_over_rest_later_ones_start_there(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.silent_socket = True
    client = make(provider_timeout=3.0, first_audio_limit=0.5)
    client.start_warming(SETTINGS)
    await client.socket.pool.wait_warm(5)
    assert client.transport_state.transport == "websocket"  # initConnection was fine

    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert fake.silent_texts == [TEXT]
    assert [g.transport for g in fake.generations] == ["rest"]
    state = client.transport_state
    assert state.transport == "rest"
    assert "no audio within 0.5 s" in state.reason
    assert client.breakers["websocket"].state is BreakerState.OPEN
    assert client.breakers["websocket"].status.next_check is None  # for good: no check

    _, pcm, _ = await collect(client.synthesize(OTHER, SETTINGS))
    assert pcm == pcm_for_text(OTHER, 24000)
    assert fake.silent_texts == [TEXT]  # nobody asked the silent socket again
    assert [g.transport for g in fake.generations] == ["rest", "rest"]
    assert len(fake.connections) == 1
    assert len(warnings_about_rest(caplog)) == 1
    await wait_for(lambda: fake.open_connections == 0)  # the silent socket was let go


async def test_a_silent_socket_switches_within_the_budget_so_rest_speaks_not_the_fallback(
    fake: FakeFaseeh, make: Make
) -> None:
    """With a voice waiting behind it, the socket gets half of the first-audio deadline
    (not its own 3 s limit), so REST still speaks the reply in the voice asked for. Were
    the switch later than the deadline, the fallback voice would speak it."""
    fake.silent_socket = True
    # Its own limit alone (10 s) is past the deadline (5 s): only the share saves REST's turn.
    client = make(provider_timeout=30.0, first_audio_limit=10.0)
    client.start_warming(SETTINGS)
    await client.socket.pool.wait_warm(5)
    chain = FallbackPolicy((FallbackVoice("fallback", silence),), Budget(first_audio=5.0)).chain(
        FallbackVoice("faseeh", lambda text: client.synthesize(text, SETTINGS))
    )
    _, pcm, _ = await collect(chain.speak(TEXT))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert chain.failures == []
    assert fake.silent_texts == [TEXT]
    assert [g.transport for g in fake.generations] == ["rest"]
    waited = re.search(r"no audio within ([\d.]+) s", client.transport_state.reason)
    assert waited is not None and float(waited.group(1)) <= 2.5  # half the deadline, not 10 s


async def test_a_socket_that_never_answers_its_handshake_costs_one_share_then_none(
    fake: FakeFaseeh,
) -> None:
    """The socket's address accepts TCP and never answers (REST works): the start-up
    socket never opens, a request waits for it only its share of the budget before REST
    speaks, the socket's breaker opens, and the next request goes to REST at once."""
    async with BlackHole() as hole:
        client = FaseehClient(
            KEY,
            ws_url=hole.ws_url("/ws"),
            api_url=fake.api_url,
            provider_timeout=30.0,
            connect_timeout=60.0,  # the start-up socket does not give up meanwhile
            breaker_backoff=600.0,  # nor does a check open another (only requests may)
        )
        try:
            client.start_warming(SETTINGS)
            await wait_for(lambda: hole.accepted == 1)
            for text in (TEXT, OTHER):
                chain = FallbackPolicy((FallbackVoice("x", silence),), Budget(5.0)).chain(
                    FallbackVoice("faseeh", lambda t: client.synthesize(t, SETTINGS))
                )
                _, pcm, _ = await collect(chain.speak(text))
                assert pcm == pcm_for_text(text, 24000)
            breaker = client.breakers["websocket"]
            assert breaker.state is BreakerState.OPEN
            assert "not ready in time" in breaker.status.reason
            assert hole.accepted == 1  # the second request did not try the socket
        finally:
            await client.close()
    assert [g.transport for g in fake.generations] == ["rest", "rest"]
    assert client.transport_state.transport == "websocket"  # a breaker, not for good


async def test_a_socket_whose_opening_took_most_of_its_share_is_rested_not_dropped_for_good(
    fake: FakeFaseeh, make: Make
) -> None:
    """The socket gets 1.5 s here; opening it takes 1 s, so its generation has about
    0.5 s, less than this (healthy) socket's first audio (1 s). That is a slow start, not
    the silent socket of the evidence (text accepted, no audio ever): REST speaks this
    reply and the socket's breaker rests it, but the account is not moved to REST for good."""
    fake.handshake_delay = 1.0
    fake.first_audio_delay = 1.0
    client = make(provider_timeout=30.0, first_audio_limit=1.5, breaker_backoff=600.0)
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert [g.transport for g in fake.generations][-1] == "rest"
    assert client.transport_state.transport == "websocket"  # not for good
    breaker = client.breakers["websocket"]
    assert breaker.state is BreakerState.OPEN
    assert breaker.status.next_check is not None  # checked again in the background


async def test_a_socket_that_has_spoken_is_rested_not_dropped_for_good_when_it_is_slow_once(
    fake: FakeFaseeh, make: Make
) -> None:
    """A socket that has given audio is not the silent socket of the evidence: one first
    audio slower than its share sends that reply over REST and rests the socket (its
    breaker), it does not move the account to REST for good."""
    client = make(provider_timeout=30.0, first_audio_limit=1.0, breaker_backoff=600.0)
    client.start_warming(SETTINGS)
    await client.socket.pool.wait_warm(5)
    _, pcm, _ = await collect(client.synthesize(OTHER, SETTINGS))
    assert pcm == pcm_for_text(OTHER, 24000)
    fake.first_audio_delay = 2.0  # one slow generation (REST's too: no deadline here)
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert [g.transport for g in fake.generations] == ["websocket", "websocket", "rest"]
    assert client.transport_state.transport == "websocket"
    assert client.breakers["websocket"].state is BreakerState.OPEN


async def test_websocket_mode_remembers_a_start_up_socket_that_never_opens(
    fake: FakeFaseeh,
) -> None:
    """Transport websocket, and the socket's address accepts TCP and never answers: the
    first request waits for the start-up socket until the deadline, the next voice speaks,
    and the socket's breaker remembers it, so the next request does not wait again."""
    heard: list[str] = []

    async def offline(text: str) -> AsyncGenerator[PcmChunk]:
        heard.append(text)
        yield PcmChunk(AudioFormat(22050), b"\x00\x00")

    async with BlackHole() as hole:
        client = FaseehClient(
            KEY,
            ws_url=hole.ws_url("/ws"),
            api_url=fake.api_url,
            transport="websocket",
            provider_timeout=30.0,
            connect_timeout=60.0,  # the start-up socket is still trying throughout
            breaker_backoff=600.0,
        )
        try:
            client.start_warming(SETTINGS)
            await wait_for(lambda: hole.accepted == 1)
            errors = []
            for text in (TEXT, OTHER):
                chain = FallbackPolicy(
                    (FallbackVoice("offline", offline),), Budget(first_audio=0.5)
                ).chain(FallbackVoice("faseeh", lambda t: client.synthesize(t, SETTINGS)))
                await collect(chain.speak(text))
                errors += [type(err) for _, err in chain.failures]
            assert client.breakers["websocket"].state is BreakerState.OPEN
        finally:
            await client.close()
    assert heard == [TEXT, OTHER]
    assert errors == [ProviderTimeout, CircuitOpen]  # one wait, then none
    assert fake.generations == []


async def test_silent_socket_in_websocket_mode_times_out(fake: FakeFaseeh, make: Make) -> None:
    fake.silent_socket = True
    client = make(transport="websocket", provider_timeout=0.5)
    with pytest.raises(ProviderTimeout):
        await collect(client.synthesize(TEXT, SETTINGS))
    assert fake.rest_tts_requests == []


# --------------------------------------------------------------------------- flush, batches


async def test_needs_flush_works_because_flush_is_sent_with_the_trigger(
    fake: FakeFaseeh, make: Make
) -> None:
    fake.needs_flush = True
    client = make()
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert fake.generations[0].transport == "websocket"
    assert fake.connections[0].messages[-1]["flush"] is True


async def test_isfinal_on_every_batch_neither_cuts_nor_leaks(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    fake.frame_sizes = [1201]
    fake.batches = 3
    fake.batch_gap = 0.15
    client = make()
    for text in (TEXT, OTHER, TEXT):
        _, pcm, _ = await collect(client.synthesize(text, SETTINGS))
        assert pcm == pcm_for_text(text, 24000)  # nothing cut, nothing from another reply
    state = client.transport_state
    assert state.transport == "websocket"
    assert state.socket_reuse is False
    assert state.quiet_after_final >= 0.3
    # After the first reply showed batches, every generation had its own socket.
    assert [g.connection_index for g in fake.generations] == [0, 1, 2]
    assert sum("isFinal ends a batch" in r.getMessage() for r in caplog.records) == 1


async def test_audio_arriving_after_the_quiet_window_never_reaches_the_next_reply(
    fake: FakeFaseeh, make: Make
) -> None:
    """A gap longer than the quiet window cuts that reply; the late audio is thrown away
    with its socket instead of being played at the start of the next reply."""
    client = make()
    for _ in range(2):  # past the first replies' longer (learning) window
        await collect(client.synthesize(OTHER, SETTINGS))
    await wait_for(lambda: client.socket.pool.idle_count == 1)
    fake.frame_sizes = [1201]
    fake.batches = 2
    fake.batch_gap = client.socket.current_quiet + 0.4
    before = fake.balance(KEY)
    _, first, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm_for_text(TEXT, 24000).startswith(first)
    # The fake bills a generation once it has sent all of it: then the late batch is on
    # its way to the idle socket (not a guess at how long the fake takes on this machine);
    # a few more turns of the loop let the client's socket take it in.
    await wait_for(lambda: fake.balance(KEY) < before)
    await asyncio.sleep(0.2)
    fake.batches = 1
    _, second, _ = await collect(client.synthesize(OTHER, SETTINGS))
    assert pcm_for_text(OTHER, 24000) == second
    assert client.transport_state.socket_reuse is False
    assert fake.generations[-1].connection_index == 1


async def test_replacing_a_warm_socket_that_had_something_waiting_keeps_to_the_share(
    fake: FakeFaseeh, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm socket has late audio waiting on it, so it is thrown away and a fresh one
    opened; that opening never answers here. It is bounded by the socket's share like
    any other: REST speaks in time, not the voice waiting behind (which would say so)."""
    client = make(provider_timeout=30.0)
    client.start_warming(SETTINGS)
    await client.socket.pool.wait_warm(5)
    await client.list_models()  # a kept-alive REST connection (no new handshake for REST)
    late = iter(['{"audio": "AAAA", "sampleRate": 24000, "isFinal": false}'])
    real_waiting = faseeh_ws._waiting

    async def waiting(conn: Any) -> object:
        return next(late, None) or await real_waiting(conn)

    monkeypatch.setattr(faseeh_ws, "_waiting", waiting)
    fake.handshake_delay = 60.0  # the fresh socket never opens in time
    chain = FallbackPolicy((FallbackVoice("fallback", silence),), Budget(first_audio=5.0)).chain(
        FallbackVoice("faseeh", lambda text: client.synthesize(text, SETTINGS))
    )
    _, pcm, _ = await collect(chain.speak(TEXT))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert chain.failures == []
    assert [g.transport for g in fake.generations] == ["rest"]


async def test_a_request_for_another_voice_does_not_wait_for_the_idle_socket_to_close(
    fake: FakeFaseeh, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm socket is for another voice, so it is closed (it may hold one of the
    plan's slots) and a new one opened. A close handshake may take seconds (2 s at most)
    and frees the slot as soon as its frame is out: the request does not wait for the
    answer, or a slow close alone would cost it the deadline (here it never answers)."""
    client = make(transport="websocket", provider_timeout=30.0)
    client.start_warming(SETTINGS)
    await client.socket.pool.wait_warm(5)
    answered = asyncio.Event()
    real_close = faseeh_ws.close_quietly

    async def slow_close(conn: Any) -> None:
        await conn.close()  # the close frame leaves at once ...
        await answered.wait()  # ... its answer is slow to come back
        await real_close(conn)

    monkeypatch.setattr(faseeh_ws, "close_quietly", slow_close)
    other_voice = FaseehVoiceSettings(voice_id="ar-najdi-male-2")
    chain = FallbackPolicy((FallbackVoice("fallback", silence),), Budget(first_audio=5.0)).chain(
        FallbackVoice("faseeh", lambda text: client.synthesize(text, other_voice))
    )
    try:
        _, pcm, _ = await collect(chain.speak(TEXT))
    finally:
        answered.set()
    assert pcm == pcm_for_text(TEXT, 24000)
    assert [(g.transport, g.voice_id) for g in fake.generations] == [
        ("websocket", "ar-najdi-male-2")
    ]
    await wait_for(lambda: not fake.connections[0].open)  # the old socket was let go
    assert fake.generations[0].connection_index == 1


async def test_the_end_marker_ends_a_reply_at_once_and_its_socket_settles_before_reuse(
    fake: FakeFaseeh, make: Make
) -> None:
    """``{"audio": "", "isFinal": true}`` (the docs' end of a generation) ends the reply
    at once: the listener's audio-stop does not wait for a quiet window. The socket is
    reused only once it has settled, and the next reply is exact."""
    client = make()
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    # The reply is over while its socket is still being listened to.
    assert client.socket.pool.idle_count == 0
    assert client.socket.pool.settling == 1
    assert pcm == pcm_for_text(TEXT, 24000)
    _, pcm, _ = await collect(client.synthesize(OTHER, SETTINGS))  # waits for the settle
    assert pcm == pcm_for_text(OTHER, 24000)
    assert [g.connection_index for g in fake.generations] == [0, 0]
    assert client.socket.end_marker_trusted and client.transport_state.socket_reuse


async def test_an_end_marker_on_every_batch_is_learned_and_nothing_leaks(
    fake: FakeFaseeh, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    """If an account ends batches with the end marker itself (the evidence allows it),
    the first such reply ends early, its socket's settle hears the next batch, and from
    then on replies wait for quiet after the marker: later replies are whole, and no
    late byte ever starts another reply."""
    fake.frame_sizes = [1201]
    fake.batches = 2
    fake.batch_end_marker = True
    fake.batch_gap = 0.1  # inside the settle window
    client = make()
    _, first, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm_for_text(TEXT, 24000).startswith(first)  # cut at the first batch, once
    await wait_for(lambda: not client.socket.end_marker_trusted)
    for text in (OTHER, TEXT):
        _, pcm, _ = await collect(client.synthesize(text, SETTINGS))
        assert pcm == pcm_for_text(text, 24000)
    assert client.transport_state.socket_reuse is False
    assert len({g.connection_index for g in fake.generations}) == 3  # a socket each
    assert sum("marker ends a batch" in r.getMessage() for r in caplog.records) == 1


# --------------------------------------------------------------------------- concurrency


async def test_idle_warm_socket_never_costs_a_request_its_slot(
    fake: FakeFaseeh, make: Make
) -> None:
    fake.idle_sockets_hold_slots = True
    fake.concurrency_limit = 1
    client = make()
    client.start_warming(SETTINGS)
    assert await client.socket.pool.wait_warm(5)
    # A dialect request goes over REST while the warm socket holds the only slot.
    emirati = FaseehVoiceSettings(voice_id="ar-uae-male-1", dialect="emirati")
    _, pcm, _ = await collect(client.synthesize(TEXT, emirati))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert [r.status for r in fake.rest_tts_requests] == [429, 200]
    assert client.socket.pool.idle_count == 0
    # Other settings on the socket: the idle socket is closed before a new one opens.
    client.start_warming(SETTINGS)
    await collect(client.synthesize(TEXT, SETTINGS))
    _, pcm, _ = await collect(
        client.synthesize(OTHER, FaseehVoiceSettings(voice_id="ar-najdi-male-2"))
    )
    assert pcm == pcm_for_text(OTHER, 24000)


async def test_real_concurrency_limit_is_still_reported(fake: FakeFaseeh, make: Make) -> None:
    fake.concurrency_limit = 1
    fake.frame_interval = 0.02
    fake.frame_sizes = [960]
    client = make(transport="rest")
    results = await asyncio.gather(
        *(collect(client.synthesize(f"{TEXT} {n}", SETTINGS)) for n in range(2)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, RateLimited) for r in results) == 1
    assert sum(isinstance(r, tuple) for r in results) == 1


# --------------------------------------------------------------------------- regions


@pytest.fixture
async def uae() -> AsyncIterator[FakeFaseeh]:
    async with FakeFaseeh(valid_keys={"uae-key"}) as server:
        yield server


@pytest.fixture
def regions(
    monkeypatch: pytest.MonkeyPatch, fake: FakeFaseeh, uae: FakeFaseeh
) -> dict[str, FakeFaseeh]:
    """Point the two named regions at two fakes with different keys."""
    for name, label, server in (("global", "Global", fake), ("uae", "UAE", uae)):
        region = FaseehRegion(name, label, server.api_url, server.ws_url)
        monkeypatch.setitem(faseeh_api.REGIONS, name, region)
    return {"global": fake, "uae": uae}


async def test_key_from_the_other_region_is_named(regions: dict[str, FakeFaseeh]) -> None:
    client = FaseehClient("uae-key", region="global", provider_timeout=3.0)
    try:
        with pytest.raises(WrongRegion) as caught:
            await client.validate_key()
        assert caught.value.region.name == "uae"
        assert caught.value.code == "auth_failed"
        assert "belongs to the UAE region" in str(caught.value)
        with pytest.raises(WrongRegion):
            await collect(client.synthesize(TEXT, SETTINGS))
        assert "uae-key" not in str(caught.value)
    finally:
        await client.close()
    uae_client = FaseehClient("uae-key", region="uae", provider_timeout=3.0)
    try:
        assert "faseeh-v1-preview" in await uae_client.validate_key()
        _, pcm, _ = await collect(uae_client.synthesize(TEXT, SETTINGS))
        assert pcm == pcm_for_text(TEXT, 24000)
        assert regions["uae"].generations[0].transport == "websocket"
    finally:
        await uae_client.close()


async def test_own_urls_do_not_ask_another_region(regions: dict[str, FakeFaseeh]) -> None:
    fake = regions["global"]
    client = FaseehClient("uae-key", ws_url=fake.ws_url, api_url=fake.api_url)
    try:
        with pytest.raises(AuthFailed) as caught:
            await client.validate_key()
        assert not isinstance(caught.value, WrongRegion)
        assert regions["uae"].rest_requests == []
    finally:
        await client.close()


# --------------------------------------------------------------------------- live lists


async def test_live_voice_list_in_the_real_shape(fake: FakeFaseeh, make: Make) -> None:
    voices = {voice.voice_id: voice for voice in await make().list_voices()}
    assert voices["ar-uae-male-1"].language == "ar-AE"
    assert voices["ar-najdi-female-2"].name == "Reem"
    assert voices[OPAQUE_VOICE].all_languages == ("ar", "ar-AE")
    clone = voices[CLONE_VOICE]
    assert (clone.custom, clone.language, clone.gender) == (True, "ar", None)
    assert "cloned voice" in clone.description_en


async def test_unreachable_socket_in_auto_finishes_over_rest_until_it_recovers(
    fake: FakeFaseeh, make: Make
) -> None:
    """A socket that cannot be reached opens its breaker (not a switch for good): the
    request finishes over REST, the next ones go there at once, and once the background
    check (an initConnection) passes the socket speaks again."""
    client = make(provider_timeout=2.0, connect_timeout=1.0, breaker_backoff=0.05)
    real_url = client.socket._ws_url
    client.socket._ws_url = "ws://127.0.0.1:9/nothing"  # a dead address
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    breaker = client.breakers["websocket"]
    assert breaker.state is BreakerState.OPEN
    assert "cannot reach Faseeh" in breaker.status.reason
    _, pcm, _ = await collect(client.synthesize(OTHER, SETTINGS))
    assert pcm == pcm_for_text(OTHER, 24000)
    client.socket._ws_url = real_url  # the network is back
    async with asyncio.timeout(20):
        await breaker.wait_for(BreakerState.HALF_OPEN)
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert breaker.state is BreakerState.CLOSED
    assert client.transport_state.transport == "websocket"
    assert [g.transport for g in fake.generations] == ["rest", "rest", "websocket"]


async def test_in_band_provider_error_does_not_switch(fake: FakeFaseeh, make: Make) -> None:
    client = make()
    fake.faults.append(Fault.error_code(50001, "Internal error"))
    with pytest.raises(Exception, match="internal error"):
        await collect(client.synthesize(TEXT, SETTINGS))
    assert client.transport_state.transport == "websocket"
    assert fake.rest_tts_requests == []


async def test_socket_drop_before_audio_is_retried_on_the_socket(
    fake: FakeFaseeh, make: Make
) -> None:
    client = make()
    fake.faults.append(Fault.close(1011))
    _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT, 24000)
    assert client.transport_state.transport == "websocket"
    fake.faults.append(Fault.drop_after_bytes(4800))
    with pytest.raises(ProviderUnavailable):
        await collect(client.synthesize(TEXT, SETTINGS))
    assert client.transport_state.transport == "websocket"  # mid-reply: no switch
