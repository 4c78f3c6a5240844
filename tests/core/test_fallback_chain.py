"""The core fallback chain and its time budget, with stand-in voices (no network).

Every assertion is about order and which voice spoke: a voice that must be abandoned
never produces audio at all (it waits on an event nobody sets), so a deadline can only
decide the outcome one way, however slow the machine. Healthy voices get deadlines far
longer than anything they do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import pytest

from custom_components.arabic_tts.core.audio import AudioFormat, PcmChunk
from custom_components.arabic_tts.core.breaker import Breaker, BreakerState
from custom_components.arabic_tts.core.budget import Budget, current_attempt, note_transport
from custom_components.arabic_tts.core.errors import (
    BadRequest,
    CircuitOpen,
    ProviderTimeout,
    ProviderUnavailable,
)
from custom_components.arabic_tts.core.fallback import (
    FallbackChain,
    FallbackPolicy,
    FallbackVoice,
)

FORMAT = AudioFormat(16000)
SHORT = Budget(first_audio=0.05, stall=0.05)  # only ever decides against a silent voice
LONG = Budget(first_audio=60.0, stall=60.0)  # never decides anything
HANG_GUARD = 20.0


def chunk(tag: str) -> PcmChunk:
    return PcmChunk(FORMAT, tag.encode().ljust(8, b"."))


@dataclass
class Voice:
    """A scripted voice: yields ``before`` chunks, then stalls (``stall``) or fails
    (``error``) or finishes; records what happened to it, in one shared event list."""

    name: str
    events: list[str]
    before: int = 2
    stall: bool = False
    error: Exception | None = None
    breaker: Breaker | None = None
    attempts: list[object] = field(default_factory=list)
    time_left: list[float] = field(default_factory=list)  # at the start of each attempt

    async def speak(self, text: str) -> AsyncGenerator[PcmChunk]:
        attempt = current_attempt()
        self.attempts.append(attempt)
        if attempt is not None:
            self.time_left.append(attempt.remaining())
        self.events.append(f"{self.name} starts {text}")
        if self.breaker is not None:
            note_transport(self.breaker)
        try:
            for n in range(self.before):
                yield chunk(f"{self.name}{n}")
            if self.error is not None:
                raise self.error
            if self.stall:
                await asyncio.Event().wait()  # nothing more, ever
        finally:
            self.events.append(f"{self.name} closed")


async def speak(chain: FallbackChain, *texts: str) -> list[str]:
    """Speak each piece through the chain; the chunks' tags in order."""
    heard: list[str] = []
    async with asyncio.timeout(HANG_GUARD):
        for text in texts:
            async with contextlib.aclosing(chain.speak(text)) as audio:
                async for piece in audio:
                    heard.append(piece.pcm.rstrip(b".").decode())
    return heard


def chain_of(budget: Budget | None, *voices: Voice) -> FallbackChain:
    requested, *rest = voices
    policy = FallbackPolicy(tuple(FallbackVoice(v.name, v.speak) for v in rest), budget)
    return policy.chain(FallbackVoice(requested.name, requested.speak))


async def test_a_silent_voice_is_abandoned_at_the_deadline_before_the_next_one_speaks() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events, before=0, stall=True)
    offline = Voice("offline", events)
    heard = await speak(chain_of(SHORT, cloud, offline), "one")
    assert heard == ["offline0", "offline1"]
    # No two voices at once: the late attempt is closed before the next voice starts.
    assert events == ["cloud starts one", "cloud closed", "offline starts one", "offline closed"]


async def test_a_stall_in_the_middle_hands_the_whole_piece_to_the_next_voice() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events, before=1, stall=True)
    offline = Voice("offline", events)
    chain = chain_of(Budget(first_audio=60.0, stall=0.05), cloud, offline)
    heard = await speak(chain, "one", "two")
    # The piece that broke is said again from its start; later pieces stay with offline.
    assert heard == ["cloud0", "offline0", "offline1", "offline0", "offline1"]
    assert events[:3] == ["cloud starts one", "cloud closed", "offline starts one"]
    assert [name for name, _ in chain.failures] == ["cloud"]
    assert isinstance(chain.failures[0][1], ProviderTimeout)
    assert "in the middle of the reply" in chain.failures[0][1].message


async def test_after_audio_a_later_piece_gets_the_stall_limit_not_the_first_deadline() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events, before=2)
    offline = Voice("offline", events)
    chain = chain_of(Budget(first_audio=60.0, stall=45.0), cloud, offline)
    await speak(chain, "one", "two")
    first, second = cloud.time_left
    assert first > 45.0  # the first-audio deadline (60 s)
    assert second <= 45.0  # the stall limit


async def test_the_last_voice_has_no_deadline_late_speech_beats_none() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events, before=0, error=ProviderUnavailable("down"))
    slow = asyncio.Event()

    async def late(text: str) -> AsyncGenerator[PcmChunk]:
        assert current_attempt() is None  # nobody behind it: no deadline, no breakers
        await slow.wait()
        yield chunk("late")

    chain = FallbackPolicy((FallbackVoice("late", late),), SHORT).chain(
        FallbackVoice("cloud", cloud.speak)
    )
    speaking = asyncio.create_task(speak(chain, "one"))
    await asyncio.sleep(SHORT.first_audio * 4)  # far past the budget
    assert not speaking.done()
    slow.set()
    assert await speaking == ["late"]


async def test_a_voice_alone_is_never_timed() -> None:
    events: list[str] = []
    only = Voice("only", events)
    chain = chain_of(SHORT, only)
    assert await speak(chain, "one") == ["only0", "only1"]
    assert only.attempts == [None]


async def test_no_budget_means_no_deadline() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events)
    offline = Voice("offline", events)
    await speak(chain_of(None, cloud, offline), "one")
    assert cloud.attempts == [None]


async def test_an_abandoned_attempt_opens_the_breaker_of_the_transport_it_used() -> None:
    events: list[str] = []
    used = Breaker("stand-in transport")
    cloud = Voice("cloud", events, before=0, stall=True, breaker=used)
    offline = Voice("offline", events)
    try:
        await speak(chain_of(SHORT, cloud, offline), "one")
        assert used.state is BreakerState.OPEN
        assert "no audio within 0.05 s" in used.status.reason
    finally:
        await used.close()


async def test_a_wait_before_any_request_was_sent_blames_no_transport() -> None:
    """A voice still waiting for a way to send (a free connection) when it is abandoned
    has used no transport yet: the breaker it would have used stays closed."""
    transport = Breaker("stand-in transport")
    sent: list[str] = []

    async def waiting(text: str) -> AsyncGenerator[PcmChunk]:
        await asyncio.Event().wait()  # no connection free, ever
        note_transport(transport)  # where it would send the request
        sent.append(text)
        yield chunk("late")

    events: list[str] = []
    offline = Voice("offline", events)
    chain = FallbackPolicy((FallbackVoice("offline", offline.speak),), SHORT).chain(
        FallbackVoice("waiting", waiting)
    )
    try:
        assert await speak(chain, "one") == ["offline0", "offline1"]
        assert sent == []
        assert transport.state is BreakerState.CLOSED
        assert [name for name, _ in chain.failures] == ["waiting"]
    finally:
        await transport.close()


async def test_a_healthy_voice_under_a_budget_is_not_touched() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events)
    offline = Voice("offline", events)
    assert await speak(chain_of(LONG, cloud, offline), "one", "two") == [
        "cloud0",
        "cloud1",
        "cloud0",
        "cloud1",
    ]
    assert "offline starts one" not in events


async def test_a_resting_provider_is_skipped_at_once_and_said_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    events: list[str] = []
    cloud = Voice("cloud", events, before=0, error=CircuitOpen("resting"))
    offline = Voice("offline", events)
    assert await speak(chain_of(LONG, cloud, offline), "one") == ["offline0", "offline1"]
    levels = {r.levelno for r in caplog.records if "cloud" in r.getMessage()}
    assert levels == {logging.INFO}


async def test_the_users_own_mistakes_are_reported_not_papered_over() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events, before=0, error=BadRequest("too long"))
    offline = Voice("offline", events)
    with pytest.raises(BadRequest):
        await speak(chain_of(LONG, cloud, offline), "one")
    assert "offline starts one" not in events


async def test_when_every_voice_fails_the_first_cause_is_reported_with_the_others() -> None:
    events: list[str] = []
    cloud = Voice("cloud", events, before=0, error=ProviderUnavailable("cloud is down"))
    offline = Voice("offline", events, before=0, error=ProviderUnavailable("espeak crashed"))
    with pytest.raises(ProviderUnavailable) as caught:
        await speak(chain_of(LONG, cloud, offline), "one")
    assert "cloud is down" in caught.value.message
    assert "offline: espeak crashed" in caught.value.message


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        Budget(first_audio=0)


async def test_a_middle_voice_gets_only_what_is_left_of_the_first_audio_budget() -> None:
    """The first audio is due once per piece, however many voices are tried: a cloud
    fallback voice behind a cloud that stalled gets no fresh deadline (two stalls would
    start the reply at twice the budget); with nothing left it is skipped, unblamed, and
    the last voice speaks."""
    events: list[str] = []
    cloud = Voice("cloud", events, before=0, stall=True)
    other_cloud = Voice("other", events, before=0, stall=True)
    offline = Voice("offline", events)
    chain = chain_of(SHORT, cloud, other_cloud, offline)
    assert await speak(chain, "one") == ["offline0", "offline1"]
    assert "other starts one" not in events
    assert [name for name, _ in chain.failures] == ["cloud", "other"]
    assert "no time left" in chain.failures[1][1].message


async def test_a_middle_voice_gets_the_rest_of_the_budget_after_a_refusal() -> None:
    """A requested voice that refuses (after a short while) leaves the rest of the same
    budget to the next one, which speaks: its deadline is the piece's, not a new one."""
    events: list[str] = []
    refused_at: list[float] = []

    async def refusing(text: str) -> AsyncGenerator[PcmChunk]:
        attempt = current_attempt()
        assert attempt is not None
        refused_at.append(attempt.remaining())
        await asyncio.sleep(0.05)  # a slow machine only makes the refusal later
        raise CircuitOpen("resting")
        yield chunk("never")

    other_cloud = Voice("other", events)
    offline = Voice("offline", events)
    policy = FallbackPolicy(
        (FallbackVoice("other", other_cloud.speak), FallbackVoice("offline", offline.speak)),
        LONG,
    )
    chain = policy.chain(FallbackVoice("cloud", refusing))
    assert await speak(chain, "one") == ["other0", "other1"]
    (left_for_other,) = other_cloud.time_left
    assert left_for_other <= refused_at[0] - 0.05
