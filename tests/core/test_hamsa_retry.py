"""The 640-byte reply without bursts: paced connections, retries on another socket, and a
plausibility check that holds back at most one provider frame."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from custom_components.arabic_tts.core.errors import AuthFailed, ProviderUnavailable
from custom_components.arabic_tts.core.hamsa import (
    DEFAULT_CONNECT_INTERVAL,
    DEFAULT_POOL_SIZE,
    HamsaClient,
    HamsaVoiceSettings,
)
from tests.core.helpers import collect
from tests.fakes.audio import pcm_for_text
from tests.fakes.hamsa import WS_PATH, FakeHamsa, Fault

TEXT = "الباب الأمامي مفتوح"
SETTINGS = HamsaVoiceSettings("Mariam", "egy")


@pytest.fixture
async def fake() -> AsyncIterator[FakeHamsa]:
    async with FakeHamsa() as server:
        yield server


@contextlib.asynccontextmanager
async def hamsa(
    fake: FakeHamsa, key: str = "hamsa-key", **options: Any
) -> AsyncIterator[HamsaClient]:
    client = HamsaClient(
        key, ws_url=fake.ws_url, api_url=fake.api_url, provider_timeout=3.0, **options
    )
    try:
        yield client
    finally:
        await client.close()


async def wait_idle(client: HamsaClient, count: int) -> None:
    for _ in range(500):
        if client.pool.idle_count >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{client.pool.idle_count} idle sockets, not {count}")


def opening_gaps(fake: FakeHamsa) -> list[float]:
    times = [conn.opened_at for conn in fake.connections]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_defaults_suit_a_household() -> None:
    client = HamsaClient("hamsa-key")
    assert (client.pool_size, client.connect_interval) == (2, 7.0)
    assert (DEFAULT_POOL_SIZE, DEFAULT_CONNECT_INTERVAL) == (2, 7.0)


async def test_the_pool_never_opens_connections_faster_than_its_pace(fake: FakeHamsa) -> None:
    async with hamsa(fake, pool_size=3, connect_interval=0.2, retry_pause=0.01) as client:
        client.start_warming()
        await wait_idle(client, 3)
        # Demand beyond the warm sockets waits for its turn too.
        fake.frame_interval = 0.02
        texts = [f"{TEXT} رقم {n}" for n in range(5)]
        results = await asyncio.gather(*(collect(client.synthesize(t, SETTINGS)) for t in texts))
        for text, (_, pcm, _) in zip(texts, results, strict=True):
            assert pcm == pcm_for_text(text)
    assert len(fake.connections) >= 3
    assert all(gap >= 0.2 - 0.01 for gap in opening_gaps(fake)), opening_gaps(fake)


async def test_a_waiting_request_takes_a_socket_given_back_before_its_turn(
    fake: FakeHamsa,
) -> None:
    async with hamsa(fake, pool_size=1, connect_interval=30, retry_pause=0.01) as client:
        client.start_warming()
        await wait_idle(client, 1)
        fake.frame_interval = 0.05
        started = time.monotonic()
        first, second = await asyncio.gather(
            collect(client.synthesize(TEXT, SETTINGS)),
            collect(client.synthesize(TEXT + " ثانية", SETTINGS)),
        )
        assert time.monotonic() - started < 10  # not the 30 s turn
    assert first[1] == pcm_for_text(TEXT)
    assert second[1] == pcm_for_text(TEXT + " ثانية")
    assert len(fake.connections) == 1


async def test_short_reply_is_retried_at_once_on_another_warm_socket(fake: FakeHamsa) -> None:
    async with hamsa(fake, pool_size=2, connect_interval=0, retry_pause=5.0) as client:
        client.start_warming()
        await wait_idle(client, 2)
        fake.faults.append(Fault.short_reply())
        started = time.monotonic()
        _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
        assert time.monotonic() - started < 2.5  # no 5 s pause: another socket was free
        assert client.pool.idle_count == 2  # the socket that gave the short reply is kept
    assert pcm == pcm_for_text(TEXT)
    first, retry = fake.requests
    assert first["connection_index"] != retry["connection_index"]
    assert len(fake.connections) == 2


async def test_short_reply_with_no_other_socket_waits_then_uses_a_new_one(
    fake: FakeHamsa,
) -> None:
    async with hamsa(fake, pool_size=1, connect_interval=0, retry_pause=0.3) as client:
        client.start_warming()
        await wait_idle(client, 1)
        fake.faults.append(Fault.short_reply())
        started = time.monotonic()
        _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
        assert time.monotonic() - started >= 0.3
    assert pcm == pcm_for_text(TEXT)
    first, retry = fake.requests
    assert retry["connection_index"] != first["connection_index"]


async def test_restart_retry_opens_a_fresh_paced_socket_not_a_stale_pooled_one(
    fake: FakeHamsa,
) -> None:
    """Both rules at once: the retry after a stale socket opens a new one, at the pace."""
    async with hamsa(fake, pool_size=3, connect_interval=0.15, retry_pause=0.01) as client:
        client.start_warming()
        await wait_idle(client, 3)
        assert fake.restart_instance() == 3
        _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT)
    assert fake.requests[-1]["connection_index"] >= 3  # opened after the restart
    assert [conn.close_code for conn in fake.connections[:3]].count(1001) == 1
    assert all(gap >= 0.15 - 0.01 for gap in opening_gaps(fake)), opening_gaps(fake)


@pytest.mark.parametrize("concurrent", [True, False])
async def test_five_requests_after_start_up_under_the_connection_rate_limit(
    fake: FakeHamsa, concurrent: bool
) -> None:
    """The fake answers the first request on a connection opened too soon after the previous
    one with 640 bytes. Paced at least as slowly, the client never provokes one."""
    fake.connect_min_interval = 0.25
    fake.frame_interval = 0.01
    texts = [f"{TEXT} رقم {n}" for n in range(5)]
    async with hamsa(fake, connect_interval=0.3, retry_pause=0.05) as client:
        client.start_warming()
        if concurrent:
            results = await asyncio.gather(
                *(collect(client.synthesize(t, SETTINGS)) for t in texts)
            )
        else:
            results = [await collect(client.synthesize(t, SETTINGS)) for t in texts]
    for text, (_, pcm, _) in zip(texts, results, strict=True):
        assert pcm == pcm_for_text(text)
    assert fake.short_replies == []
    assert not any(conn.throttled for conn in fake.connections)


async def test_five_requests_under_a_stricter_rate_limit_pass_no_short_reply_on(
    fake: FakeHamsa,
) -> None:
    """A limit stricter than our pace: 640-byte replies happen and are retried, never heard."""
    fake.connect_min_interval = 0.6
    fake.frame_sizes = [2048]
    fake.frame_interval = 0.05  # about 0.3 s per reply: five at once need several sockets
    texts = [f"{TEXT} رقم {n}" for n in range(5)]
    async with hamsa(fake, connect_interval=0.1, retry_pause=0.1) as client:
        client.start_warming()
        results = await asyncio.gather(*(collect(client.synthesize(t, SETTINGS)) for t in texts))
    for text, (_, pcm, _) in zip(texts, results, strict=True):
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
    async with hamsa(fake, connect_interval=0, retry_pause=0.01) as client:
        _, pcm, sizes = await collect(client.synthesize(text, SETTINGS))
    assert pcm == pcm_for_text(text)
    assert sizes[0] == first_chunk


async def test_a_short_text_in_one_frame_is_not_mistaken_for_the_glitch(fake: FakeHamsa) -> None:
    fake.frame_sizes = [4096]
    async with hamsa(fake, connect_interval=0, retry_pause=0.01) as client:
        _, pcm, sizes = await collect(client.synthesize("نعم", SETTINGS))
    assert pcm == pcm_for_text("نعم")  # 3 characters, 60 ms: one 1920-byte frame, then end
    assert sizes == [1920]
    assert len(fake.requests) == 1


async def test_a_refused_key_stops_the_warm_up_and_does_not_wait_for_a_turn(
    fake: FakeHamsa,
) -> None:
    """4001 on every new socket: the warm-up stops at the first (it would be refused in
    turn forever), and a request finds out at once instead of after its 5 s turn."""
    async with hamsa(
        fake, "wrong-key", pool_size=3, connect_interval=5.0, retry_pause=0.01
    ) as client:
        client.start_warming()
        for _ in range(300):
            if fake.connections and fake.connections[0].close_code == 4001:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the pool's watcher sees the close
        started = time.monotonic()
        with pytest.raises(AuthFailed):
            await collect(client.synthesize(TEXT, SETTINGS))
        assert time.monotonic() - started < 3.0
        await asyncio.sleep(0.3)
    assert [conn.close_code for conn in fake.connections] == [4001, 4001]


async def test_a_retry_that_cannot_connect_gives_the_short_reply_socket_back(
    fake: FakeHamsa,
) -> None:
    async with hamsa(fake, pool_size=1, connect_interval=0, retry_pause=0.05) as client:
        client.start_warming()
        await wait_idle(client, 1)
        fake.faults.append(Fault.short_reply())
        fake.rest_status_override[WS_PATH] = 503  # no new connection can be opened
        with pytest.raises(ProviderUnavailable):
            await collect(client.synthesize(TEXT, SETTINGS))
        assert client.pool.idle_count == 1  # the socket that gave the short reply
        del fake.rest_status_override[WS_PATH]
        _, pcm, _ = await collect(client.synthesize(TEXT, SETTINGS))
    assert pcm == pcm_for_text(TEXT)
    assert fake.requests[-1]["connection_index"] == 0


async def test_an_unreachable_provider_fails_at_once_not_after_a_turn() -> None:
    """Only connections that opened count against the pace: with the network down, every
    request learns it at once (so the offline voice speaks), not after connect_interval."""
    async with FakeHamsa() as gone:
        ws_url, api_url = gone.ws_url, gone.api_url  # a port nobody listens on any more
    client = HamsaClient(
        "hamsa-key", ws_url=ws_url, api_url=api_url, provider_timeout=3.0, connect_interval=30
    )
    try:
        client.start_warming()
        await asyncio.sleep(0.2)  # the warm-up has failed already
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(ProviderUnavailable):
                await collect(client.synthesize(TEXT, SETTINGS))
            assert time.monotonic() - started < 2.0
    finally:
        await client.close()
