"""The real server against every Faseeh behaviour the strict fake models, plain and streamed.

Each case checks the audio byte for byte, what the fake received (auth form, transport,
body fields), what the server logged about its transport choice, and that the key never
appears in the log or in a logged URL, even at --debug.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from wyoming.audio import AudioChunk
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize

from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import CLONE_VOICE, OPAQUE_VOICE, FakeFaseeh
from tests.fakes.faseeh_modes import (
    arrange_nothing,
    batches,
    init_key_refused,
    needs_flush,
    silent,
    socket_refuses_every_key,
)

from .conftest import FASEEH_KEY, ServerProcess, StartServer
from .helpers import (
    HANG_GUARD,
    HOST,
    assert_plain_success,
    assert_stream_success,
    describe,
    synthesize,
    synthesize_streaming,
    voice,
)

VOICE = "faseeh-ar-najdi-male-2"
PLAIN = "مرحبا بكم في البيت الذكي هذا المساء يا أهل الدار"
STREAM = ["الجو اليوم جميل جدا في المدينة. ", "سنذهب إلى ", "الحديقة بعد الظهر مع الأطفال."]


@dataclass(frozen=True)
class Mode:
    arrange: Callable[[FakeFaseeh], None]
    transport: str  # what the fake should have been asked over
    flags: tuple[str, ...] = ()
    key_via: str | None = "init"  # how the socket took the key (None: no socket used)
    log: tuple[str, ...] = field(default=())  # lines the server must have logged


MODES = {
    "header-refused-init-key": Mode(arrange_nothing, "websocket", log=("accepted the key",)),
    "silent-socket": Mode(
        silent,
        "rest",
        ("--provider-timeout", "4"),
        log=("sent no audio within", "now speaks over REST"),
    ),
    "isfinal-batches": Mode(batches, "websocket", log=("isFinal ends a batch",)),
    "needs-flush": Mode(needs_flush, "websocket"),
    "rest-only": Mode(
        socket_refuses_every_key, "rest", ("--faseeh-transport", "rest"), key_via=None
    ),
    "socket-refuses-key-auto": Mode(
        socket_refuses_every_key, "rest", key_via=None, log=("REST accepted it",)
    ),
    "url-key-form": Mode(init_key_refused, "websocket", key_via="query"),
}


def spoken(fake: FakeFaseeh) -> bytes:
    """Every byte the fake sent, in order (only generations that completed count)."""
    return b"".join(pcm_for_text(g.text, g.sample_rate) for g in fake.generations)


def assert_no_key_logged(server: ServerProcess, fake: FakeFaseeh) -> None:
    output = server.output
    assert FASEEH_KEY not in output
    assert f"{fake.ws_url}?" not in output  # the URL form's address never reaches a log


@pytest.mark.parametrize("mode", MODES.values(), ids=list(MODES))
async def test_plain_and_streamed_audio_is_exact(
    start_server: StartServer, fake_faseeh: FakeFaseeh, mode: Mode
) -> None:
    mode.arrange(fake_faseeh)
    server = await start_server(*mode.flags, "--debug", hamsa=False)

    reply = await synthesize(server.port, PLAIN, VOICE)
    assert_plain_success(reply)
    assert reply.start.rate == 24000
    assert reply.pcm == pcm_for_text(PLAIN, 24000) == spoken(fake_faseeh)

    reply = await synthesize_streaming(server.port, STREAM, VOICE)
    assert_stream_success(reply)
    generations = fake_faseeh.generations
    asked = "".join(g.text for g in generations[1:])
    assert asked.replace(" ", "") == "".join(STREAM).replace(" ", "")  # all of it, once
    assert reply.pcm == b"".join(pcm_for_text(g.text, 24000) for g in generations[1:])

    assert {g.transport for g in generations} == {mode.transport}
    if mode.transport == "rest":
        body = fake_faseeh.rest_tts_requests[-1].json
        assert body["voice_id"] == "ar-najdi-male-2"
        assert (body["streaming"], body["sample_rate"], body["dialect"]) == (True, 24000, "auto")
        assert all(r.headers["x-api-key"] == FASEEH_KEY for r in fake_faseeh.rest_tts_requests)
    used = [c for c in fake_faseeh.connections if c.init is not None]
    if mode.key_via is None:
        assert used == []
    else:
        assert used and {c.key_via for c in used} == {mode.key_via}
    assert all("x-api-key" not in c.headers for c in fake_faseeh.connections)
    for line in mode.log:
        assert line in server.output, server.output
    assert_no_key_logged(server, fake_faseeh)


async def first_audio_after(port: int, text: str) -> tuple[float, bytes]:
    """Seconds from sending `synthesize` to the first audio chunk, and the whole PCM."""
    async with AsyncTcpClient(HOST, port) as client:
        started = time.monotonic()
        await client.write_event(Synthesize(text=text, voice=voice(VOICE)).event())
        first: float | None = None
        pcm = bytearray()
        async with asyncio.timeout(HANG_GUARD):
            while True:
                event = await client.read_event()
                assert event is not None
                if AudioChunk.is_type(event.type):
                    first = first if first is not None else time.monotonic() - started
                    pcm += AudioChunk.from_event(event).audio
                elif event.type == "audio-stop":
                    break
                else:
                    assert event.type == "audio-start", event
    assert first is not None
    return first, bytes(pcm)


async def test_silent_socket_costs_its_wait_once(
    start_server: StartServer, fake_faseeh: FakeFaseeh
) -> None:
    """The first request waits for the silent socket only its share of the time budget,
    then REST speaks it in the voice asked for (not the offline fallback); the next ones
    go straight to REST (nothing waits for the silent socket again). Times are the
    benchmark's (script/bench: "first audio under faults")."""
    fake_faseeh.silent_socket = True
    server = await start_server(hamsa=False)
    for text in (PLAIN, STREAM[0].strip(), STREAM[2]):
        _, pcm = await first_audio_after(server.port, text)
        assert pcm == pcm_for_text(text, 24000)
    assert fake_faseeh.silent_texts == [PLAIN]
    assert [g.transport for g in fake_faseeh.generations] == ["rest"] * 3
    assert server.output.count("now speaks over REST") == 1
    assert "Fallback offline-ar spoke" not in server.output


async def test_dialect_and_sample_rate_reach_rest(
    start_server: StartServer, fake_faseeh: FakeFaseeh
) -> None:
    fake_faseeh.honour_requested_rate = True
    server = await start_server(
        "--faseeh-dialect", "emirati", "--faseeh-sample-rate", "16000", hamsa=False
    )
    reply = await synthesize(server.port, PLAIN, "faseeh-ar-uae-male-1")
    assert_plain_success(reply)
    assert reply.start.rate == 16000
    assert reply.pcm == pcm_for_text(PLAIN, 16000)
    body = fake_faseeh.rest_tts_requests[-1].json
    assert (body["dialect"], body["sample_rate"], body["voice_id"]) == (
        "emirati",
        16000,
        "ar-uae-male-1",
    )
    assert "dialect emirati (requests go over REST" in server.output


async def test_live_voices_are_offered(start_server: StartServer) -> None:
    server = await start_server(hamsa=False)
    voices = {v.name: v for v in (await describe(server.port)).tts[0].voices}
    assert voices[f"faseeh-{OPAQUE_VOICE}"].languages == ["ar", "ar-AE"]
    assert voices[f"faseeh-{CLONE_VOICE}"].languages == ["ar"]
    assert voices["faseeh-ar-uae-male-1"].languages == ["ar", "ar-AE"]


async def test_a_key_from_the_other_region_names_the_flag(
    fake_faseeh: FakeFaseeh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process (a child process cannot be pointed at two fake regions): the server's
    client words the fix as the flag to use."""
    from arabic_tts_core import faseeh_api  # noqa: PLC0415 - the server's import name
    from arabic_tts_core.faseeh import WrongRegion  # noqa: PLC0415

    from wyoming_server.providers import ProviderConfig, Providers  # noqa: PLC0415

    async with FakeFaseeh(valid_keys={"uae-key"}) as uae:
        for name, label, fake in (("global", "Global", fake_faseeh), ("uae", "UAE", uae)):
            region = faseeh_api.FaseehRegion(name, label, fake.api_url, fake.ws_url)
            monkeypatch.setitem(faseeh_api.REGIONS, name, region)
        providers = Providers(
            ProviderConfig(None, "", "", "uae-key", None, None, faseeh_region="global")
        )
        try:
            assert providers.faseeh is not None
            with pytest.raises(WrongRegion) as caught:
                await providers.faseeh.validate_key()
            assert str(caught.value) == (
                "This Faseeh API key belongs to the UAE region, not Global: start the server "
                "with --faseeh-region uae."
            )
        finally:
            await providers.close()
