"""A hostile client, over raw TCP as a fuzzer would talk: the server answers or closes,
in bounded time, keeps serving everyone else, and gives its memory back.

Each case states what the client gets: an ``error`` event with a stable code followed by
a closed connection, or service. After every case a normal request must still be served,
and the whole catalogue replayed on one server must leave its RSS within 10 MB.

The server here runs with a short ``--idle-timeout`` and ``--max-connections 100`` so the
idle and crowd cases finish quickly; the defaults are checked in test_cli.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from wyoming.error import Error
from wyoming.event import Event, async_read_event, read_event

from tests.fakes.audio import pcm_for_text
from tests.fakes.hamsa import FakeHamsa

from .conftest import ServerProcess, StartServer
from .helpers import HOST, assert_plain_success, describe, synthesize

pytestmark = pytest.mark.usefixtures("socket_enabled")

IDLE = 2.0
MAX_CONNECTIONS = 100
SERVER_ARGS = (
    "--idle-timeout",
    str(IDLE),
    "--max-connections",
    str(MAX_CONNECTIONS),
    "--fallback",
    "none",
)
# Every case ends within this (idle cases: after IDLE). Only a guard against hangs, so it
# is generous for a slow, loaded machine: a healthy server answers in milliseconds, and how
# fast it answers is measured by the benchmarks, not asserted here.
BOUND = 30.0
MB = 1024 * 1024
TCP_ESTABLISHED = "01"  # a socket's state in /proc/net/tcp (Linux tcp_states.h)
MAX_EVENT_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 100_000
TEXT = "مرحبا بكم في البيت الذكي. كيف يمكنني مساعدتكم اليوم في المطبخ؟"
VOICE = "hamsa-Salem"


# --- a raw client --------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the client received, and whether the server closed the connection."""

    events: list[Event]
    closed: bool
    seconds: float

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    @property
    def error(self) -> Error | None:
        errors = [Error.from_event(e) for e in self.events if Error.is_type(e.type)]
        assert len(errors) <= 1, self.types
        return errors[0] if errors else None


def wire(event_type: str, data: dict[str, object] | None = None, payload: bytes = b"") -> bytes:
    """An event as ``wyoming`` writes it (data in its own section)."""
    header: dict[str, object] = {"type": event_type, "version": "1.8.0"}
    data_bytes = json.dumps(data).encode() if data else b""
    if data_bytes:
        header["data_length"] = len(data_bytes)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header).encode() + b"\n" + data_bytes + payload


def line(raw: str | bytes) -> bytes:
    """A hand-written header line (may be anything but valid)."""
    return (raw.encode() if isinstance(raw, str) else raw) + b"\n"


class Raw:
    """A TCP client that sends exact bytes and reads whatever comes back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.started = time.monotonic()

    @classmethod
    async def open(cls, port: int) -> Raw:
        reader, writer = await asyncio.open_connection(HOST, port, limit=8 * MAX_EVENT_BYTES)
        return cls(reader, writer)

    async def send(self, *parts: bytes) -> None:
        """Write; a server that already closed is not an error here (its answer counts)."""
        with contextlib.suppress(ConnectionError):
            for part in parts:
                self.writer.write(part)
            await self.writer.drain()

    async def outcome(self, *, until: str | None = None, bound: float = BOUND) -> Outcome:
        """Read events until the server closes (or sends ``until``), within ``bound``."""
        events: list[Event] = []
        closed = False
        try:
            async with asyncio.timeout(bound):
                while True:
                    event = await async_read_event(self.reader)
                    if event is None:
                        closed = True
                        break
                    events.append(event)
                    if event.type == until:
                        break
        except (ConnectionError, asyncio.IncompleteReadError):
            closed = True  # reset or cut mid-event: whatever came before it was read
        except TimeoutError:
            pytest.fail(f"no answer and no close within {bound} s; got {[e.type for e in events]}")
        return Outcome(events, closed, time.monotonic() - self.started)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def exchange(port: int, *parts: bytes, until: str | None = None) -> Outcome:
    """Send ``parts`` on a new connection and read the outcome."""
    client = await Raw.open(port)
    try:
        await client.send(*parts)
        return await client.outcome(until=until)
    finally:
        await client.close()


# --- the cases -------------------------------------------------------------------------------

Run = Callable[[int], Awaitable[Outcome]]


def sends(*parts: bytes, until: str | None = None) -> Run:
    return lambda port: exchange(port, *parts, until=until)


def synthesize_data(**data: object) -> bytes:
    return wire("synthesize", data)


def stream(*events: bytes) -> Run:
    return sends(wire("synthesize-start", {"voice": {"name": VOICE}}), *events)


async def header_line_of_10_mb(port: int) -> Outcome:
    """10 MB with no newline, written while the answer is read (the server drops the rest)."""
    client = await Raw.open(port)
    try:
        writing = asyncio.create_task(client.send(b"{" + b"a" * (10 * 1024 * 1024)))
        outcome = await client.outcome()
        writing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writing
        return outcome
    finally:
        await client.close()


async def declared_gigabytes_then_data(port: int) -> Outcome:
    """2 GB announced, then 20 MB actually sent: refused at the header, nothing kept."""
    client = await Raw.open(port)
    try:
        await client.send(line(json.dumps({"type": "synthesize", "data_length": 2**31})))
        writing = asyncio.create_task(client.send(b"x" * (20 * 1024 * 1024)))
        outcome = await client.outcome()
        writing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writing
        return outcome
    finally:
        await client.close()


async def unknown_event_is_ignored(port: int) -> Outcome:
    """An event the server does not know (with and without payload) changes nothing."""
    return await exchange(
        port,
        wire("frobnicate", {"x": 1}),
        wire("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, b"\x00" * 1000),
        wire("describe"),
        until="info",
    )


async def two_requests_on_one_connection(port: int) -> Outcome:
    client = await Raw.open(port)
    try:
        await client.send(synthesize_data(text=TEXT), synthesize_data(text=TEXT))
        first = await client.outcome(until="audio-stop")
        second = await client.outcome(until="audio-stop")
        return Outcome(first.events + second.events, second.closed, second.seconds)
    finally:
        await client.close()


async def leaves_mid_event(port: int) -> Outcome:
    client = await Raw.open(port)
    await client.send(b'{"type": "synthesize", "data_len')
    await client.close()
    return Outcome([], True, 0.0)


async def leaves_mid_reply(port: int) -> Outcome:
    client = await Raw.open(port)
    await client.send(synthesize_data(text=TEXT * 40))
    outcome = await client.outcome(until="audio-chunk")
    await client.close()
    return outcome


class NonReader:
    """A client that truly reads nothing: a tiny receive buffer, and no reading at all
    (a StreamReader would keep reading into its own buffer behind the test's back)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.started = time.monotonic()

    @classmethod
    async def open(cls, port: int) -> NonReader:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (HOST, port))
        return cls(sock)

    async def send(self, data: bytes) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def given_up(self, port: int, bound: float) -> None:
        """Wait, still reading nothing, until the server has let go of the connection.

        Reading only after that keeps the case independent of the machine's speed: on a
        slow machine the reply fills the buffers later, and a client that starts reading
        after a fixed pause is simply served the whole reply. The client's own socket
        cannot tell (a reset the server sends into a full window is not taken), so the
        kernel's table of the server's sockets is asked instead.
        """
        client_port = self.sock.getsockname()[1]
        try:
            async with asyncio.timeout(bound):
                while server_side_established(port, client_port):  # noqa: ASYNC110 (the kernel offers no event)
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pytest.fail(f"the server kept a client that reads nothing for {bound} s")

    async def outcome(self, bound: float) -> Outcome:
        """Now read it all: what was buffered, then the end the server gave us."""
        loop = asyncio.get_running_loop()
        received = bytearray()
        try:
            async with asyncio.timeout(bound):
                while data := await loop.sock_recv(self.sock, 65536):
                    received += data
        except ConnectionError:
            pass  # reset: whatever came before it was read
        except TimeoutError:
            pytest.fail(f"the server kept the connection open for {bound} s")
        return Outcome(parse_events(bytes(received)), True, time.monotonic() - self.started)

    def close(self) -> None:
        self.sock.close()


def server_side_established(server_port: int, client_port: int) -> bool:
    """True while the server's end of this loopback connection is established."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = row.split()
        if fields[1] == local and fields[2] == remote:
            return fields[3] == TCP_ESTABLISHED
    return False


def parse_events(data: bytes) -> list[Event]:
    """Every complete event in ``data`` (the last one may have been cut off)."""
    stream = io.BytesIO(data)
    events = []
    while (event := read_event(stream)) is not None:
        events.append(event)
    return events


async def never_reads_a_long_reply(port: int) -> Outcome:
    """About 20 minutes of audio requested, none of it read: the server gives up on us."""
    client = await NonReader.open(port)
    try:
        await client.send(synthesize_data(text=TEXT * 1000, voice={"name": VOICE}))
        await client.given_up(port, BOUND + IDLE)
        return await client.outcome(BOUND)
    finally:
        client.close()


async def describes_never_read(port: int) -> Outcome:
    """Thousands of Describe and no reading: the answers pile up, then the server closes."""
    client = await NonReader.open(port)
    try:
        await client.send(wire("describe") * 5000)
        await client.given_up(port, BOUND + IDLE)
        return await client.outcome(BOUND)
    finally:
        client.close()


async def idle_connection(port: int) -> Outcome:
    client = await Raw.open(port)
    try:
        return await client.outcome(bound=BOUND + IDLE)
    finally:
        await client.close()


async def idle_stream(port: int) -> Outcome:
    client = await Raw.open(port)
    try:
        await client.send(
            wire("synthesize-start", {"voice": {"name": VOICE}}),
            wire("synthesize-chunk", {"text": "الجملة الأولى. "}),
        )
        return await client.outcome(bound=BOUND + IDLE)
    finally:
        await client.close()


@dataclass(frozen=True)
class Case:
    run: Run
    code: str | None  # the error code, or None: served (the case checks what it got)
    closed: bool = True
    idle: bool = False  # ends only after --idle-timeout


SURROGATE = '"\\udc00"'  # valid JSON, not valid Unicode text
SYNTHESIZE_WITH_VOICE = (
    '{{"type": "synthesize", "data": {{"text": "نص", "voice": {{"{key}": {value}}}}}}}'
)
LONG_TEXT = "ب" * (MAX_TEXT_CHARS + 1)

CASES: dict[str, Case] = {
    # Not Wyoming at all.
    "garbage-bytes": Case(sends(b"\x00\x01\xfe\xff\x80 garbage\n"), "bad_request"),
    "http-request": Case(sends(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "bad_request"),
    "json-array": Case(sends(line("[1, 2, 3]")), "bad_request"),
    "missing-type": Case(sends(line('{"data": {"text": "x"}}')), "bad_request"),
    "type-is-a-number": Case(sends(line('{"type": 7}')), "bad_request"),
    "data-is-a-string": Case(sends(line('{"type": "synthesize", "data": "x"}')), "bad_request"),
    "data-section-is-a-list": Case(
        sends(line('{"type": "synthesize", "data_length": 3}'), b"[1]"), "bad_request"
    ),
    "data-section-not-json": Case(
        sends(line('{"type": "synthesize", "data_length": 5}'), b"hello"), "bad_request"
    ),
    "invalid-utf8": Case(
        sends(line(b'{"type": "synthesize", "data": {"text": "\xff\xfe"}}')), "bad_request"
    ),
    "deep-nesting": Case(
        sends(line(b'{"type": "x", "data": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}")),
        "bad_request",
    ),
    # Sizes.
    "data-length-2-gb": Case(
        sends(line(json.dumps({"type": "synthesize", "data_length": 2**31}))), "bad_request"
    ),
    "payload-length-1-tb": Case(
        sends(line(json.dumps({"type": "audio-chunk", "payload_length": 2**40}))), "bad_request"
    ),
    "declared-2-gb-then-20-mb": Case(declared_gigabytes_then_data, "bad_request"),
    "length-as-string": Case(
        sends(line('{"type": "synthesize", "data_length": "12"}')), "bad_request"
    ),
    "length-negative": Case(
        sends(line('{"type": "synthesize", "data_length": -1}')), "bad_request"
    ),
    "length-true": Case(sends(line('{"type": "synthesize", "data_length": true}')), "bad_request"),
    "length-nan": Case(sends(line('{"type": "synthesize", "data_length": NaN}')), "bad_request"),
    "length-5000-digits": Case(
        sends(line('{"type": "synthesize", "data_length": 1' + "0" * 5000 + "}")), "bad_request"
    ),
    "header-line-10-mb-no-newline": Case(header_line_of_10_mb, "bad_request"),
    # Wrongly typed fields (issue 12, item 3).
    "text-null": Case(sends(synthesize_data(text=None)), "bad_request"),
    "text-number": Case(sends(synthesize_data(text=42)), "bad_request"),
    "text-missing": Case(sends(synthesize_data(voice={"name": VOICE})), "bad_request"),
    "voice-null": Case(sends(synthesize_data(text=TEXT, voice=None)), "bad_request"),
    "voice-a-string": Case(sends(synthesize_data(text=TEXT, voice="name")), "bad_request"),
    "voice-name-number": Case(sends(synthesize_data(text=TEXT, voice={"name": 7})), "bad_request"),
    "voice-language-list": Case(
        sends(synthesize_data(text=TEXT, voice={"language": ["ar"]})), "bad_request"
    ),
    "start-voice-number": Case(sends(wire("synthesize-start", {"voice": 1})), "bad_request"),
    "chunk-text-number": Case(stream(wire("synthesize-chunk", {"text": 5})), "bad_request"),
    # Text that is not Unicode (item 4): valid JSON, unencodable strings.
    "surrogate-voice-name": Case(
        sends(line(SYNTHESIZE_WITH_VOICE.format(key="name", value=SURROGATE))), "bad_request"
    ),
    "surrogate-language": Case(
        sends(line(SYNTHESIZE_WITH_VOICE.format(key="language", value=SURROGATE))),
        "bad_request",
    ),
    "surrogate-text": Case(
        sends(line('{"type": "synthesize", "data": {"text": ' + SURROGATE + "}}")),
        "bad_request",
    ),
    "surrogate-in-data-section": Case(
        sends(line('{"type": "synthesize", "data_length": 20}'), b'{"text": "\\udc00ab"}'),
        "bad_request",
    ),
    "surrogate-type": Case(sends(line('{"type": ' + SURROGATE + "}")), "bad_request"),
    # Texts.
    "empty-text": Case(sends(synthesize_data(text="")), "bad_request"),
    "whitespace-text": Case(sends(synthesize_data(text=" \n\t ")), "bad_request"),
    "emoji-only-text": Case(sends(synthesize_data(text="😀🏠🔥")), "bad_request"),
    "punctuation-only-text": Case(sends(synthesize_data(text="... !!! ؟؟ ،،")), "bad_request"),
    "punctuation-only-stream": Case(
        stream(
            wire("synthesize-chunk", {"text": "... "}),
            wire("synthesize-chunk", {"text": "!!! ؟"}),
            wire("synthesize-stop"),
        ),
        "bad_request",
    ),
    "text-over-the-limit": Case(sends(synthesize_data(text=LONG_TEXT)), "bad_request"),
    "stream-over-the-limit": Case(
        stream(*[wire("synthesize-chunk", {"text": "ب" * 30_000 + " "})] * 4), "bad_request"
    ),
    # Voice names.
    "voice-path-traversal": Case(
        sends(synthesize_data(text=TEXT, voice={"name": "../../../etc/passwd"})), "unknown_voice"
    ),
    "voice-path-inside-name": Case(
        sends(synthesize_data(text=TEXT, voice={"name": "hamsa-Salem/../../x"})), "unknown_voice"
    ),
    "voice-control-characters": Case(
        sends(synthesize_data(text=TEXT, voice={"name": "\x00\x1b[31mred\r\n"})), "unknown_voice"
    ),
    "voice-name-of-100-kb": Case(
        sends(synthesize_data(text=TEXT, voice={"name": "x" * 100_000})), "unknown_voice"
    ),
    # Stream events out of order or repeated.
    "chunk-without-start": Case(sends(wire("synthesize-chunk", {"text": "نص"})), "bad_request"),
    "stop-without-start": Case(sends(wire("synthesize-stop")), "bad_request"),
    "start-inside-a-stream": Case(
        stream(wire("synthesize-start", {"voice": {"name": VOICE}})), "bad_request"
    ),
    "stop-twice": Case(
        stream(
            wire("synthesize-chunk", {"text": "جملة قصيرة. "}),
            wire("synthesize-stop"),
            wire("synthesize-stop"),
        ),
        "bad_request",
    ),
    # Served.
    "unknown-events-ignored": Case(unknown_event_is_ignored, None, closed=False),
    "two-requests-one-connection": Case(two_requests_on_one_connection, None, closed=False),
    "leaves-mid-event": Case(leaves_mid_event, None),
    "leaves-mid-reply": Case(leaves_mid_reply, None, closed=False),
    # Time.
    "never-reads-a-long-reply": Case(never_reads_a_long_reply, None, idle=True),
    "describes-never-read": Case(describes_never_read, None, idle=True),
    "idle-connection": Case(idle_connection, None, idle=True),
    "idle-stream": Case(idle_stream, "timeout", idle=True),
}


def check(name: str, case: Case, outcome: Outcome) -> None:
    """The outcome a case promises (each read was bounded by BOUND: nothing hung)."""
    if case.idle:  # the server let the client be until --idle-timeout, not less
        assert outcome.seconds >= IDLE * 0.9, (name, outcome.seconds)
    if case.code is not None:
        assert outcome.error is not None, (name, outcome.types)
        assert outcome.error.code == case.code, (name, outcome.error)
        assert outcome.error.text and " " in outcome.error.text, (name, outcome.error)
        assert outcome.error.text.isprintable(), (name, outcome.error.text)
        assert len(outcome.error.text) < 400, (name, outcome.error.text)
        assert outcome.types[-1] == "error", (name, outcome.types)
        assert "audio-stop" not in outcome.types, (name, outcome.types)
    else:
        assert outcome.error is None, (name, outcome.error)
    assert outcome.closed == case.closed, (name, outcome.types)


async def still_serving(server: ServerProcess, fake: FakeHamsa) -> None:
    """A normal request right after: complete and exact."""
    before = len(fake.requests)
    reply = await synthesize(server.port, TEXT, VOICE)
    assert_plain_success(reply)
    assert reply.pcm == pcm_for_text(TEXT, 16000)
    # A reply the case abandoned may still send a request upstream before it is cancelled.
    assert TEXT in [request["text"] for request in fake.requests[before:]]


@pytest.mark.parametrize("name", CASES)
async def test_hostile_case(start_server: StartServer, fake_hamsa: FakeHamsa, name: str) -> None:
    server = await start_server(*SERVER_ARGS)
    case = CASES[name]

    outcome = await case.run(server.port)

    check(name, case, outcome)
    await still_serving(server, fake_hamsa)
    assert "Traceback" not in server.output, server.output


async def test_messages_name_the_limit(server_with_limits: ServerProcess) -> None:
    too_long = await exchange(server_with_limits.port, synthesize_data(text=LONG_TEXT))
    assert too_long.error is not None
    assert str(MAX_TEXT_CHARS) in too_long.error.text
    assert "--max-text-chars" in too_long.error.text
    too_big = await exchange(
        server_with_limits.port, line(json.dumps({"type": "synthesize", "data_length": 2**31}))
    )
    assert too_big.error is not None
    assert str(MAX_EVENT_BYTES) in too_big.error.text


async def test_text_at_the_limit_is_spoken(
    server_with_limits: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    """Exactly --max-text-chars characters: served, in pieces Hamsa accepts."""
    text = ("كلمة " * MAX_TEXT_CHARS)[:MAX_TEXT_CHARS]
    client = await Raw.open(server_with_limits.port)
    try:
        await client.send(synthesize_data(text=text, voice={"name": VOICE}))
        outcome = await client.outcome(until="audio-chunk")
    finally:
        await client.close()
    assert outcome.error is None
    assert outcome.types[:2] == ["audio-start", "audio-chunk"]
    assert fake_hamsa.requests
    assert all(len(request["text"]) <= 2000 for request in fake_hamsa.requests)


@pytest.fixture
async def server_with_limits(start_server: StartServer) -> ServerProcess:
    return await start_server(*SERVER_ARGS)


async def test_hundreds_of_idle_connections(
    server_with_limits: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    """Past --max-connections each newcomer is told so and closed; the idle ones are closed
    after --idle-timeout; then the server serves again."""
    port = server_with_limits.port
    clients = [await Raw.open(port) for _ in range(3 * MAX_CONNECTIONS)]
    try:
        outcomes = await asyncio.gather(*(client.outcome(bound=BOUND + IDLE) for client in clients))
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    refused = [o for o in outcomes if o.error is not None]
    idle = [o for o in outcomes if o.error is None]
    assert len(refused) == 2 * MAX_CONNECTIONS
    assert {o.error.code for o in refused if o.error} == {"rate_limited"}
    assert all(str(MAX_CONNECTIONS) in o.error.text for o in refused if o.error)
    assert all(o.closed for o in outcomes)
    assert len(idle) == MAX_CONNECTIONS
    assert all(o.seconds >= IDLE * 0.9 for o in idle)
    await still_serving(server_with_limits, fake_hamsa)


def rss_bytes(server: ServerProcess) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    kilobytes = next(int(row.split()[1]) for row in status.splitlines() if row.startswith("VmRSS:"))
    return kilobytes * 1024


async def test_memory_returns_after_every_hostile_case(
    server_with_limits: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    """The whole catalogue on one server: RSS ends within 10 MB of where it started."""
    server = server_with_limits
    for _ in range(3):  # warm up: a server that has served is the baseline
        await still_serving(server, fake_hamsa)
        await describe(server.port)
    await asyncio.sleep(0.5)
    before = rss_bytes(server)

    peak = before
    for name, case in CASES.items():
        outcome = await case.run(server.port)
        check(name, case, outcome)
        peak = max(peak, rss_bytes(server))
    await still_serving(server, fake_hamsa)
    await asyncio.sleep(0.5)
    after = rss_bytes(server)

    print(
        f"server RSS (MB): before {before / MB:.1f}, peak {peak / MB:.1f}, after {after / MB:.1f}"
    )
    assert after - before < 10 * MB, (before, after, peak)
    assert "Traceback" not in server.output


# --- one long text must not freeze the others (issue 12, item 1) ---------------------------

DESCRIBE_ROUNDS = 200
DESCRIBE_INTERVAL = 0.01
# Home Assistant gives up after 1 s. Counted in the client's 10 ms paces, not seconds: a
# slow or busy machine slows the client's pace with the server's (with six CPU-bound
# processes on two cores a healthy server took at most 7 paces while its p99 rose to
# 85 ms), and what must not happen, a server that keeps its loop for a long text, takes
# tens or hundreds of paces whatever the machine. At most 20 (200 ms at an idle pace, a
# fifth of Home Assistant's limit); the 100 ms target and the milliseconds are in the
# benchmarks (script/bench, "hostile").
DESCRIBE_MAX_WAITING = 20


def p99(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(len(ordered) * 0.99) - 1)]


@dataclass
class DescribeTimes:
    """Each Describe's round trip, and how many of the client's 10 ms paces it took."""

    seconds: list[float]
    paces: list[int]


async def describe_unparsed(port: int) -> None:
    """One Describe round trip, the Info's ~200 kB of voices read but not decoded.

    Decoding them takes this test's own loop ~14 ms (0.5 ms for the round trip itself):
    at 100 Describes a second the client, which also plays the fake Hamsa, would then
    measure its own backlog instead of the server.
    """
    client = await Raw.open(port)
    try:
        await client.send(wire("describe"))
        async with asyncio.timeout(BOUND):
            header = json.loads(await client.reader.readline())
            data = await client.reader.readexactly(header.get("data_length", 0))
        assert header["type"] == "info", header
        assert data.startswith(b"{") and data.endswith(b"}"), data[:80]
    finally:
        await client.close()


async def describes_meanwhile(port: int, busy: Callable[[], Awaitable[None]]) -> DescribeTimes:
    """Describe round trips from another client while ``busy`` keeps the server working.

    A new connection each, like Home Assistant, started every DESCRIBE_INTERVAL whether
    the previous one was answered or not: a Describe arrives when it arrives, so a server
    frozen for a second makes every Describe of that second wait (one at a time would
    record a long freeze as a single slow sample). The client's pace goes on until the
    last answer, so a Describe sent last is counted like the others.
    """
    work = asyncio.create_task(busy())
    paces = 0

    async def probe() -> tuple[float, int]:
        paces_before = paces
        started = time.perf_counter()
        await describe_unparsed(port)
        return time.perf_counter() - started, paces - paces_before

    probes: list[asyncio.Task[tuple[float, int]]] = []
    answered = asyncio.create_task(asyncio.sleep(0))
    try:
        while not (len(probes) == DESCRIBE_ROUNDS and answered.done()):
            if len(probes) < DESCRIBE_ROUNDS:
                probes.append(asyncio.create_task(probe()))
                if len(probes) == DESCRIBE_ROUNDS:
                    answered = asyncio.ensure_future(asyncio.gather(*probes))
            await asyncio.sleep(DESCRIBE_INTERVAL)
            paces += 1
        results = answered.result()
        assert not work.done() or work.exception() is None
    finally:
        for task in (*probes, answered, work):
            task.cancel()
        await asyncio.gather(*probes, answered, work, return_exceptions=True)
    return DescribeTimes([seconds for seconds, _ in results], [count for _, count in results])


async def test_describe_stays_fast_while_100000_characters_are_spoken(
    server_with_limits: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    fake_hamsa.realtime_factor = 20.0  # the long reply lasts the whole measurement
    text = (TEXT + " ") * (MAX_TEXT_CHARS // (len(TEXT) + 1))
    audio_seen = asyncio.Event()

    async def speak_long_text() -> None:
        client = await Raw.open(server_with_limits.port)
        try:
            await client.send(synthesize_data(text=text, voice={"name": VOICE}))
            while (event := await async_read_event(client.reader)) is not None:
                assert not Error.is_type(event.type), event
                audio_seen.set()
        finally:
            await client.close()

    times = await describes_meanwhile(server_with_limits.port, speak_long_text)
    print(f"Describe during a 100,000-character reply: p99 {p99(times.seconds) * 1000:.1f} ms")

    assert audio_seen.is_set(), "the long text was being spoken during the measurement"
    assert p99(times.paces) <= DESCRIBE_MAX_WAITING, sorted(times.paces)[-5:]


async def test_describe_stays_fast_while_a_long_stream_without_sentence_end_arrives(
    server_with_limits: ServerProcess, fake_hamsa: FakeHamsa
) -> None:
    """50,000 characters in 10-character chunks, no sentence end: the splitter's worst case."""
    fake_hamsa.realtime_factor = 20.0
    text = ("كلمة " * 10_000)[:50_000]
    chunks = [wire("synthesize-chunk", {"text": text[i : i + 10]}) for i in range(0, 50_000, 10)]

    async def stream_long_text() -> None:
        client = await Raw.open(server_with_limits.port)
        try:
            await client.send(wire("synthesize-start", {"voice": {"name": VOICE}}), *chunks)
            await client.send(wire("synthesize-stop"))
            while (event := await async_read_event(client.reader)) is not None:
                assert not Error.is_type(event.type), event
        finally:
            await client.close()

    times = await describes_meanwhile(server_with_limits.port, stream_long_text)
    print(f"Describe during a 50,000-character stream: p99 {p99(times.seconds) * 1000:.1f} ms")

    assert p99(times.paces) <= DESCRIBE_MAX_WAITING, sorted(times.paces)[-5:]
    assert fake_hamsa.requests, "the stream was being spoken"
