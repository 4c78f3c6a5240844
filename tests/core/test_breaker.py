"""The circuit breaker: its states, its background check, and one log line per change.

Checks are driven by events the tests control and the breaker's own state; the pauses
are tiny and the timeouts only bound a hang.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from custom_components.arabic_tts.core.breaker import Breaker, BreakerState

HANG_GUARD = 20.0


class Check:
    """A scripted free check: fails until ``passing``; counts its runs."""

    def __init__(self) -> None:
        self.passing = False
        self.runs = 0
        self.ran = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        self.ran.set()
        if not self.passing:
            raise ConnectionRefusedError("still down")


@pytest.fixture
async def check() -> Check:
    return Check()


@pytest.fixture
async def breaker(check: Check) -> AsyncIterator[Breaker]:
    b = Breaker("Test WebSocket", check=check, first_backoff=0.01, max_backoff=0.04)
    yield b
    await b.close()


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.endswith("breaker")]


async def test_closed_until_a_failure_then_skipped_until_its_check_passes(
    breaker: Breaker, check: Check, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert breaker.admit() and breaker.closed
    breaker.failed("no audio within 1 s")
    assert breaker.state is BreakerState.OPEN
    assert not breaker.admit()
    status = breaker.status
    assert (status.reason, status.failures) == ("no audio within 1 s", 1)
    assert status.next_check is not None
    async with asyncio.timeout(HANG_GUARD):
        while check.runs < 3:  # failing checks: it stays open, pausing longer each time
            check.ran.clear()
            await check.ran.wait()
    assert breaker.state is BreakerState.OPEN
    check.passing = True
    async with asyncio.timeout(HANG_GUARD):
        await breaker.wait_for(BreakerState.HALF_OPEN)
    assert breaker.admit()  # the trial request
    assert not breaker.admit()  # one at a time
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.admit() and breaker.admit()
    said = lines(caplog)
    assert len(said) == 3  # open, half open, closed: one line each, no line per check
    assert "Test WebSocket is skipped for now: no audio within 1 s" in said[0]
    assert "answers again" in said[1]
    assert "works again" in said[2]


async def test_a_failed_trial_opens_it_again_with_a_longer_pause(
    breaker: Breaker, check: Check
) -> None:
    check.passing = True
    breaker.failed("stalled")
    async with asyncio.timeout(HANG_GUARD):
        await breaker.wait_for(BreakerState.HALF_OPEN)
    assert breaker.admit()
    breaker.failed("stalled again")
    assert breaker.state is BreakerState.OPEN
    assert breaker.status.reason == "stalled again"
    assert breaker.status.failures == 2
    async with asyncio.timeout(HANG_GUARD):
        await breaker.wait_for(BreakerState.HALF_OPEN)  # checked again in the background


async def test_more_failures_while_open_say_nothing_new(
    breaker: Breaker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    breaker.failed("first")
    breaker.failed("second")
    breaker.failed("third")
    assert len(lines(caplog)) == 1
    assert breaker.status.failures == 3
    assert breaker.status.reason == "third"


async def test_audio_over_an_open_transport_closes_it(breaker: Breaker) -> None:
    """A request admitted before the failure still spoke: the transport works."""
    breaker.failed("one bad reply")
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.status.next_check is None


async def test_retired_stays_open_and_is_never_checked(check: Check) -> None:
    retired = Breaker("Test socket", check=check, first_backoff=0.01)
    try:
        retired.failed("stalled")
        retired.retire("the socket gives no audio: the account speaks over REST")
        retired.failed("again")
        retired.succeeded()
        await asyncio.sleep(0.05)
        assert retired.state is BreakerState.OPEN
        assert not retired.admit()
        assert retired.status.next_check is None
        assert retired.status.reason.startswith("the socket gives no audio")
    finally:
        await retired.close()


async def test_without_a_check_it_half_opens_when_its_pause_is_over() -> None:
    plain = Breaker("Test REST", first_backoff=0.01)
    try:
        plain.failed("timed out")
        async with asyncio.timeout(HANG_GUARD):
            await plain.wait_for(BreakerState.HALF_OPEN)
    finally:
        await plain.close()


async def test_status_as_dict_is_plain_values(breaker: Breaker) -> None:
    breaker.failed("dropped")
    data = breaker.status.as_dict()
    assert data["name"] == "Test WebSocket"
    assert data["state"] == "open"
    assert data["since"].endswith("+00:00")
    assert isinstance(data["next_check"], str)
    assert "open since" in breaker.status.describe()


async def test_a_failure_reported_after_close_starts_no_check(check: Check) -> None:
    """A request still under way when its client closes may report a failure after the
    breakers closed: no check may start then (nothing would ever cancel it; its checks
    would open sockets for a client that is gone, every few minutes, for ever)."""
    late = Breaker("Test WebSocket", check=check, first_backoff=0.01)
    await late.close()
    late.failed("the socket closed under a request")
    assert late.state is BreakerState.OPEN
    assert late.status.next_check is None  # no check is planned
    others = asyncio.all_tasks() - {asyncio.current_task()}
    assert others == set()
    await asyncio.sleep(0.05)  # several pauses: a check would have run by now
    assert check.runs == 0
