"""Scaffolding shared by the fake provider servers (FakeHamsa, FakeFaseeh).

Both fakes bind a local port, record REST calls, keep one reader task per WebSocket, time out
idle sockets, close or drop connections on demand and pace audio frames. That plumbing lives
here once, so both fakes misbehave in exactly the same way; each provider module keeps only
its protocol, validation, REST endpoints and error shapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn, Protocol, Self, TypedDict

from aiohttp import WSMessage, WSMsgType, web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict

from .audio import split_frames
from .timing import TimingLog, frame_due

HOST = "127.0.0.1"


def forced_status_message(status: int) -> str:
    """Wording both providers put in a forced error body (5xx vs other failures)."""
    return "Internal server error" if status >= 500 else "Request failed"


@dataclass(frozen=True, slots=True)
class FaultBase:
    """Fields and connection-ending constructors every fake's `Fault` has in common.

    Each provider module subclasses this as `Fault`, adds its own kinds and says what the
    shared ones mean for its protocol (what is sent first, how bytes are counted).
    """

    kind: str
    code: int = 1000
    reason: str = ""
    n: int = 0
    message: str = ""

    @classmethod
    def close(cls, code: int, reason: str = "") -> Self:
        """Close the socket with `code` instead of replying."""
        return cls("close", code=code, reason=reason)

    @classmethod
    def close_after_bytes(cls, code: int, n: int, reason: str = "") -> Self:
        """Send the first `n` audio bytes, then close with `code`."""
        return cls("close_after_bytes", code=code, n=n, reason=reason)

    @classmethod
    def drop_after_bytes(cls, n: int) -> Self:
        """Send `n` audio bytes, then abort TCP without a close frame."""
        return cls("drop_after_bytes", n=n)

    @classmethod
    def stall_after_bytes(cls, n: int) -> Self:
        """Send `n` audio bytes, then nothing until the client leaves or the fake stops."""
        return cls("stall_after_bytes", n=n)


@dataclass
class RestRecord:
    """One REST request received (the WebSocket upgrade is not recorded here)."""

    method: str
    path: str
    headers: CIMultiDict[str]
    query: dict[str, str]
    json: Any
    status: int = 0


class ConnBasics(TypedDict):
    """The fields every provider's `ConnRecord` starts with (each adds its own)."""

    index: int
    headers: CIMultiDict[str]
    query: dict[str, str]
    key: str | None
    key_via: str | None


class ConnRecordLike(Protocol):
    """The part of a provider's `ConnRecord` the shared plumbing writes to."""

    close_code: int | None
    aborted: bool
    open: bool


@dataclass(eq=False)
class Conn[R: ConnRecordLike]:
    """Runtime state of one WebSocket connection (a fake may subclass it to add more)."""

    request: web.Request
    ws: web.WebSocketResponse
    record: R
    last_activity: float
    inbox: asyncio.Queue[WSMessage | None] = field(default_factory=asyncio.Queue)
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    busy: bool = False
    ready: bool = False
    reader: asyncio.Task[None] | None = None


class ConnectionOver(Exception):
    """Raised inside a reply when the connection ended (closed, dropped, stalled)."""


class FakeServerBase[R: ConnRecordLike, C: Conn[Any]](ABC):
    """A local aiohttp server with one WebSocket protocol and a few REST endpoints.

    `R` is the provider's public `ConnRecord`, `C` its runtime connection state. Knobs are
    plain attributes read at the time they matter, so tests may change them while running.
    """

    ws_paths: ClassVar[tuple[str, ...]]  # first one is `ws_url`
    api_prefix: ClassVar[str] = ""  # appended to `api_url`
    key_header: ClassVar[str]  # the upgrade's API key header (preferred) ...
    key_query: ClassVar[str]  # ... or query parameter

    def __init__(self, valid_keys: Iterable[str] | None, default_key: str, frame_size: int) -> None:
        """Set the knobs, recordings and server state both fakes have."""
        self.valid_keys: set[str] = set(valid_keys) if valid_keys is not None else {default_key}
        self.frame_sizes: list[int] = [frame_size]
        self.handshake_delay: float = 0.0
        self.first_audio_delay: float = 0.0
        self.frame_interval: float = 0.0
        # Pace frames at this multiple of real time instead of `frame_interval` (None: off).
        self.realtime_factor: float | None = None
        # When set, every accepted request (Hamsa tts, Faseeh generation) and audio frame is
        # timestamped here (bench/).
        self.timing: TimingLog | None = None
        self.idle_close_after: float | None = None
        self.rest_status_override: dict[str, int] = {}
        # Soak runs: this share of requests (0 to 1) gets a fault drawn from
        # `random_fault_choices` (socket) or `random_rest_fault_choices` (REST stream),
        # when no fault is queued.
        self.random_faults: float = 0.0
        self.random_fault_choices: list[Any] = []
        self.random_rest_fault_choices: list[Any] = []
        self.random = random.Random(18)
        # Connections opened before `restart_instance()`: each answers its next message by
        # closing with 1001, as a provider instance that is going away does.
        self._stale: set[C] = set()
        # Serve wss:// and https:// with this context (set before start(); see tls.py).
        self.tls: ssl.SSLContext | None = None
        # Recordings.
        self.connections: list[R] = []
        self.rest_requests: list[RestRecord] = []
        # Server state.
        self.port: int = 0
        self.ws_url: str = ""
        self.api_url: str = ""
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._live: set[C] = set()
        self._handlers_done: list[asyncio.Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._http_peers: set[Any] = set()  # REST connections seen (keep-alive reuse)

    # ----------------------------------------------------------------- provider hooks

    @abstractmethod
    def _add_rest_routes(self, app: web.Application) -> None:
        """Register the provider's REST endpoints."""

    @abstractmethod
    def _forced_response(self, status: int) -> web.Response:
        """The provider's error body for a status forced by `rest_status_override`."""

    @abstractmethod
    def _new_record(self, request: web.Request, basics: ConnBasics) -> R:
        """The public record of a just-accepted connection, built on `basics`."""

    @abstractmethod
    def _new_conn(
        self, request: web.Request, ws: web.WebSocketResponse, record: R, now: float
    ) -> C:
        """Runtime state for a just-accepted connection."""

    @abstractmethod
    async def _admit(self, conn: C) -> bool:
        """Check the key (and greet) before the first message; False if the socket is done."""

    @abstractmethod
    async def _on_message(self, conn: C, msg: WSMessage) -> None:
        """Answer one text or binary message from the client."""

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind 127.0.0.1 on an ephemeral port and serve WebSocket + REST (TLS if `tls`)."""
        app = web.Application(middlewares=[self._make_middleware()])
        for path in self.ws_paths:
            app.router.add_get(path, self._ws_handler)
        self._add_rest_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0, ssl_context=self.tls)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        secure = "s" if self.tls is not None else ""
        self.ws_url = f"ws{secure}://{HOST}:{self.port}{self.ws_paths[0]}"
        self.api_url = f"http{secure}://{HOST}:{self.port}{self.api_prefix}"

    async def stop(self) -> None:
        """Close every socket (1001), wait for all handlers, stop the server; no task left."""
        if self._runner is None:
            return
        self._stopping.set()
        if self._live:
            await asyncio.gather(*(self._close(c, 1001, "shutting down") for c in self._live))
        waiters = [done.wait() for done in self._handlers_done if not done.is_set()]
        if waiters:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(3):
                    await asyncio.gather(*waiters)
        await self._runner.cleanup()
        self._runner = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))

    # ----------------------------------------------------------------- test helpers

    async def close_all_idle(self, code: int = 1000) -> int:
        """Close every connection that is not in a reply and has nothing queued; return count."""
        idle = [c for c in self._live if c.ready and not c.busy and c.inbox.empty()]
        for conn in idle:
            await self._close(conn, code, "idle")
        return len(idle)

    def restart_instance(self) -> int:
        """Model a provider instance restart behind a load balancer: every connection open
        now stays open but answers its next message with close 1001 (going away). New
        connections reach the new instance and work. Returns how many went stale."""
        self._stale = set(self._live)
        return len(self._stale)

    @property
    def open_connections(self) -> int:
        """Number of WebSocket connections currently open."""
        return len(self._live)

    # ----------------------------------------------------------------- REST

    def _make_middleware(self) -> Middleware:
        """Record REST calls and apply `rest_status_override` (also to the WS upgrade)."""

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            override = self.rest_status_override.get(request.path)
            if request.path in self.ws_paths:
                if override is not None:
                    return self._forced_response(override)
                return await handler(request)
            await self._new_connection_delay(request)
            body: Any = None
            if request.can_read_body:
                raw = await request.read()
                with contextlib.suppress(ValueError):
                    body = json.loads(raw)
            record = RestRecord(
                method=request.method,
                path=request.path,
                headers=CIMultiDict(request.headers),
                query=dict(request.query),
                json=body,
            )
            self.rest_requests.append(record)
            if override is not None:
                response: web.StreamResponse = self._forced_response(override)
            else:
                try:
                    response = await handler(request)
                except web.HTTPException as exc:
                    record.status = exc.status
                    raise
            record.status = response.status
            return response

        return middleware

    # ----------------------------------------------------------------- WebSocket

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        """Accept the upgrade, then run the message loop of one connection."""
        done = asyncio.Event()
        self._handlers_done.append(done)
        try:
            if self.handshake_delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.handshake_delay):
                        await self._stopping.wait()
            if self._stopping.is_set():
                return web.Response(status=503, text="shutting down")
            key, via = self._ws_key(request)
            ws = web.WebSocketResponse(autoping=True, timeout=2.0, compress=False)
            await ws.prepare(request)
            basics = ConnBasics(
                index=len(self.connections),
                headers=CIMultiDict(request.headers),
                query=dict(request.query),
                key=key,
                key_via=via,
            )
            record = self._new_record(request, basics)
            self.connections.append(record)
            conn = self._new_conn(request, ws, record, asyncio.get_running_loop().time())
            self._live.add(conn)
            reader = conn.reader = asyncio.create_task(self._read_loop(conn))
            self._tasks.add(reader)
            reader.add_done_callback(self._tasks.discard)
            await asyncio.sleep(0)  # let the reader start so closes never wait on the peer
            try:
                with contextlib.suppress(ConnectionOver, ConnectionError, RuntimeError):
                    await self._serve(conn)
            finally:
                self._live.discard(conn)
                self._stale.discard(conn)
                if not ws.closed:
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(2):
                            await ws.close()
                reader.cancel()
                await asyncio.wait([reader])
                record.open = False
            return ws
        finally:
            done.set()

    async def _new_connection_delay(self, request: web.Request) -> None:
        """`handshake_delay` on the first request of each new HTTP connection: what TCP
        and TLS set-up cost a REST client that has no keep-alive connection to reuse."""
        if request.transport is None:
            return
        peer = request.transport.get_extra_info("peername")
        if peer in self._http_peers:
            return
        # Remembered even with no delay set: a connection opened before a test sets one
        # is already paid for, as a real kept-alive connection is.
        self._http_peers.add(peer)
        await self._rest_sleep(self.handshake_delay)

    def _ws_key(self, request: web.Request) -> tuple[str | None, str | None]:
        """Key from `key_header` (preferred) or `?key_query=`, and how it came."""
        if self.key_header in request.headers:
            return request.headers[self.key_header], "header"
        if self.key_query in request.query:
            return request.query[self.key_query], "query"
        return None, None

    async def _read_loop(self, conn: C) -> None:
        """Read continuously (answers pings, notices the peer leaving) into the inbox."""
        loop = asyncio.get_running_loop()
        try:
            with contextlib.suppress(Exception):  # any failure just means the peer is gone
                async for msg in conn.ws:
                    if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                        conn.last_activity = loop.time()
                        conn.inbox.put_nowait(msg)
                    elif msg.type is WSMsgType.ERROR:
                        break
        finally:
            conn.gone.set()
            conn.inbox.put_nowait(None)

    async def _serve(self, conn: C) -> None:
        """Admit the connection, then answer messages strictly one after another."""
        if not await self._admit(conn):
            return
        conn.ready = True
        while True:
            msg = await self._next_message(conn)
            if msg is None:
                return
            if conn in self._stale:
                await self._close(conn, 1001, "going away")
                return
            conn.busy = True
            try:
                await self._on_message(conn, msg)
            finally:
                conn.busy = False
                conn.last_activity = asyncio.get_running_loop().time()

    async def _next_message(self, conn: C) -> WSMessage | None:
        """Next client message, or None when the peer left or the idle timeout closed us."""
        loop = asyncio.get_running_loop()
        while True:
            if not conn.inbox.empty():
                return conn.inbox.get_nowait()
            step = 0.05
            limit = self.idle_close_after
            if limit is not None:
                remaining = conn.last_activity + limit - loop.time()
                if remaining <= 0:
                    await self._close(conn, 1000, "idle")
                    return None
                step = min(step, remaining)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(step):
                    return await conn.inbox.get()

    # ----------------------------------------------------------------- replying

    def _next_fault[F](self, queued: list[F], choices: list[F]) -> F | None:
        """The next queued fault, else (soak runs) a random one, else None."""
        if queued:
            return queued.pop(0)
        if self.random_faults and choices and self.random.random() < self.random_faults:
            return self.random.choice(choices)
        return None

    async def _send_paced(
        self,
        conn: C,
        data: bytes,
        text: str,
        bytes_per_second: int,
        send: Callable[[bytes], Awaitable[None]],
    ) -> None:
        """Send `data` in `frame_sizes` frames via `send`, paced and logged to `timing`."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        offset = 0
        for i, frame in enumerate(split_frames(data, self.frame_sizes)):
            if i:
                factor = self.realtime_factor
                if factor:
                    due = frame_due(start, offset, bytes_per_second, factor)
                    await self._pause(conn, due - loop.time())
                else:
                    await self._pause(conn, self.frame_interval)
            if self.timing is not None:
                self.timing.frame(text, offset, len(frame))
            await send(frame)
            offset += len(frame)

    async def _rest_body(
        self,
        request: web.Request,
        response: web.StreamResponse,
        *,
        header: bytes,
        audio: bytes,
        text: str,
        bytes_per_second: int,
        frame_sizes: list[int],
        fault: FaultBase | None,
    ) -> bool:
        """Stream a REST reply's body as the sockets pace theirs; True if it completed.

        With a `*_after_bytes` fault only the first `fault.n` audio bytes are sent, then
        the reply stalls until the client leaves (`stall_after_bytes`) or the connection
        is reset (`drop_after_bytes`).
        """
        if fault is not None:
            audio = audio[: fault.n]
        try:
            await response.prepare(request)
            await self._rest_sleep(self.first_audio_delay)
            if header:
                await response.write(header)
            loop = asyncio.get_running_loop()
            start = loop.time()
            offset = 0
            for i, frame in enumerate(split_frames(audio, frame_sizes)):
                if i:
                    factor = self.realtime_factor
                    if factor:
                        due = frame_due(start, offset, bytes_per_second, factor)
                        await self._rest_sleep(due - loop.time())
                    else:
                        await self._rest_sleep(self.frame_interval)
                if self.timing is not None:
                    self.timing.frame(text, offset, len(frame))
                await response.write(frame)
                offset += len(frame)
            if fault is None:
                await response.write_eof()
                return True
            if fault.kind == "stall_after_bytes":
                while request.transport is not None and not request.transport.is_closing():
                    if self._stopping.is_set():
                        break
                    await asyncio.sleep(0.02)
            elif request.transport is not None:
                request.transport.abort()
        except (ConnectionError, RuntimeError):
            pass  # the client left (or the fake stopped): nothing more to send
        return False

    async def _rest_sleep(self, delay: float) -> None:
        """Sleep `delay` seconds, or less if the fake is stopping."""
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()
        else:
            await asyncio.sleep(0)

    async def _end_cut_short(self, conn: C, fault: FaultBase) -> NoReturn:
        """Finish a `*_after_bytes` fault once its bytes are out: close, drop or stall."""
        if fault.kind == "close_after_bytes":
            await self._close(conn, fault.code, fault.reason)
        elif fault.kind == "drop_after_bytes":
            self._abort(conn)
        else:  # stall_after_bytes
            await conn.gone.wait()
        raise ConnectionOver

    async def _pause(self, conn: C, delay: float) -> None:
        """Sleep `delay` seconds; raise ConnectionOver if the peer leaves meanwhile."""
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await conn.gone.wait()
        else:
            await asyncio.sleep(0)  # yield, so a client in the same loop sees a real stream
        if conn.gone.is_set():
            raise ConnectionOver

    async def _send_json(self, conn: C, obj: dict[str, Any]) -> None:
        """Send one JSON text message, Arabic left readable as both providers do."""
        await conn.ws.send_str(json.dumps(obj, ensure_ascii=False))

    async def _close(self, conn: C, code: int, reason: str) -> None:
        """Send a close frame with `code` and drop the connection."""
        if conn.ws.closed:
            return
        conn.record.close_code = code
        try:
            async with asyncio.timeout(1):
                await conn.ws.close(code=code, message=reason.encode())
        except Exception:  # peer not reading (back-pressure) or gone: just drop it
            transport = conn.request.transport
            if transport is not None:
                transport.abort()

    def _abort(self, conn: C) -> None:
        """Abort TCP without a close frame (a network drop)."""
        conn.record.aborted = True
        transport = conn.request.transport
        if transport is not None:
            transport.abort()


__all__ = [
    "HOST",
    "Conn",
    "ConnBasics",
    "ConnRecordLike",
    "ConnectionOver",
    "FakeServerBase",
    "FaultBase",
    "RestRecord",
    "forced_status_message",
]
