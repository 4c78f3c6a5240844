"""Fake Faseeh (Munsit) server: text-to-speech WebSocket and REST on one local port.

It follows /work/shared/providers.md and the seed page: three ways to pass the key, both
initConnection forms, buffered text with try_trigger_generation, base64 PCM chunks that need
not be sample aligned, both error shapes, wallet and concurrency limits.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict

from .audio import pcm_for_text, split_frames
from .timing import TimingLog, frame_due

WS_PATH = "/api/v1/websocket/text-to-speech"
LEGACY_WS_PATH = "/api/v1/text-to-speech"  # the older path shown on the seed page
API_PREFIX = "/api/v1"

DEFAULT_MODELS: tuple[dict[str, Any], ...] = (
    {
        "id": 1,
        "model_id": "faseeh-v1-preview",
        "model_name": "Faseeh v1",
        "cost": 0.0002,
        "description": "Quality",
    },
    {
        "id": 2,
        "model_id": "faseeh-mini-v1-preview",
        "model_name": "Faseeh Mini v1",
        "cost": 0.0001,
        "description": "Low latency",
    },
)

DEFAULT_VOICES: tuple[dict[str, str], ...] = (
    {"voice_id": "ar-najdi-male-2", "name": "Fahad", "gender": "male", "dialect": "najdi"},
    {"voice_id": "ar-najdi-female-1", "name": "Maha", "gender": "female", "dialect": "najdi"},
    {"voice_id": "ar-hijazi-female-1", "name": "Lama", "gender": "female", "dialect": "hijazi"},
    {"voice_id": "ar-hijazi-female-2", "name": "Noura", "gender": "female", "dialect": "hijazi"},
    {"voice_id": "ar-egyptian-male-1", "name": "Ahmed", "gender": "male", "dialect": "egyptian"},
    {"voice_id": "ar-kuwaiti-male-1", "name": "Hamad", "gender": "male", "dialect": "kuwaiti"},
)

INVALID_KEY = {"errorCode": 40101, "errorMessage": "Invalid API key"}
SHORT_TEXT_MESSAGE = "Text must have at least 3 words and 10 characters"
DEFAULT_BALANCE = 100.0


@dataclass(frozen=True, slots=True)
class Fault:
    """One-shot misbehaviour, consumed by the next generation that passes validation.

    kinds: "error_type", "error_code", "close", "close_after_bytes", "drop_after_bytes",
    "stall_after_bytes". Byte counts are decoded PCM bytes.
    """

    kind: str
    code: int = 1000
    reason: str = ""
    n: int = 0
    message: str = ""

    @classmethod
    def error_type(cls, message: str) -> Fault:
        """Reply `{"type":"error","message":...}` instead of audio; socket stays open."""
        return cls("error_type", message=message)

    @classmethod
    def error_code(cls, code: int, message: str) -> Fault:
        """Reply `{"errorCode":code,"errorMessage":...}` instead of audio; socket stays open."""
        return cls("error_code", code=code, message=message)

    @classmethod
    def close(cls, code: int, reason: str = "") -> Fault:
        """Close the socket with `code` instead of generating."""
        return cls("close", code=code, reason=reason)

    @classmethod
    def close_after_bytes(cls, code: int, n: int, reason: str = "") -> Fault:
        """Send `n` decoded bytes of audio chunks, then close with `code`."""
        return cls("close_after_bytes", code=code, n=n, reason=reason)

    @classmethod
    def drop_after_bytes(cls, n: int) -> Fault:
        """Send `n` decoded bytes, then abort TCP without a close frame."""
        return cls("drop_after_bytes", n=n)

    @classmethod
    def stall_after_bytes(cls, n: int) -> Fault:
        """Send `n` decoded bytes, then nothing until the client leaves or the fake stops."""
        return cls("stall_after_bytes", n=n)


class Generation(NamedTuple):
    """One generation the server started (passed validation)."""

    connection_index: int
    text: str
    model_id: str
    voice_id: str
    voice_settings: dict[str, Any]


@dataclass
class ConnRecord:
    """What one WebSocket connection sent and how it ended (for assertions)."""

    index: int
    path: str
    headers: CIMultiDict[str]
    query: dict[str, str]
    key: str | None
    key_via: str | None  # "header" | "query" | "init" | None
    init: dict[str, Any] | None = None  # last accepted initConnection message
    messages: list[Any] = field(default_factory=list)  # every JSON message received
    close_code: int | None = None  # code the *server* closed with; None if it did not
    aborted: bool = False  # server dropped TCP without a close frame
    open: bool = True


@dataclass
class RestRecord:
    """One REST request received (the WebSocket upgrade is not recorded here)."""

    method: str
    path: str
    headers: CIMultiDict[str]
    query: dict[str, str]
    json: Any
    status: int = 0


@dataclass(eq=False)
class _Conn:
    """Runtime state of one WebSocket connection."""

    request: web.Request
    ws: web.WebSocketResponse
    record: ConnRecord
    last_activity: float
    inbox: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    busy: bool = False
    ready: bool = False
    key: str | None = None
    model_id: str | None = None
    voice_id: str | None = None
    voice_settings: dict[str, Any] = field(default_factory=dict)
    buffer: str = ""
    reader: asyncio.Task[None] | None = None


class _ConnectionOver(Exception):
    """Raised inside a reply when the connection ended (closed, dropped, stalled)."""


class FakeFaseeh:
    """Fake api.faseeh.ai on 127.0.0.1: `async with FakeFaseeh() as fake: fake.ws_url`."""

    def __init__(
        self,
        valid_keys: Iterable[str] | None = None,
        balances: dict[str, float] | None = None,
        concurrency_limit: int = 2,
    ) -> None:
        """Balances default to 100.0 per key; each character costs `cost_per_char`."""
        self.valid_keys: set[str] = set(valid_keys) if valid_keys is not None else {"faseeh-key"}
        self.balances: dict[str, float] = dict(balances or {})
        self.concurrency_limit = concurrency_limit
        # Knobs, read at the time they matter (so tests may change them while running).
        self.cost_per_char: float = 0.0001
        self.sample_rate: int = 24000
        self.frame_sizes: list[int] = [4800]
        self.handshake_delay: float = 0.0
        self.init_delay: float = 0.0
        self.first_audio_delay: float = 0.0
        self.frame_interval: float = 0.0
        # Pace frames at this multiple of real time instead of `frame_interval` (None: off).
        self.realtime_factor: float | None = None
        # When set, every generation and audio frame is timestamped here (bench/).
        self.timing: TimingLog | None = None
        self.idle_close_after: float | None = None
        self.max_text_chars: int | None = None  # None: no "Payload too large" check
        self.faults: list[Fault] = []
        self.forbidden_models: set[str] = set()
        self.models: list[dict[str, Any]] = [dict(m) for m in DEFAULT_MODELS]
        self.voices: list[dict[str, str]] = [dict(v) for v in DEFAULT_VOICES]
        self.rest_status_override: dict[str, int] = {}
        # Recordings.
        self.connections: list[ConnRecord] = []
        self.generations: list[Generation] = []
        self.rest_requests: list[RestRecord] = []
        # Server state.
        self.port: int = 0
        self.ws_url: str = ""
        self.ws_url_legacy: str = ""
        self.api_url: str = ""
        self._in_progress: defaultdict[str, int] = defaultdict(int)
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._live: set[_Conn] = set()
        self._handlers_done: list[asyncio.Event] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind 127.0.0.1 on an ephemeral port and serve WebSocket + REST."""
        app = web.Application(middlewares=[self._make_middleware()])
        app.router.add_get(WS_PATH, self._ws_handler)
        app.router.add_get(LEGACY_WS_PATH, self._ws_handler)
        app.router.add_get(f"{API_PREFIX}/models", self._models_handler)
        app.router.add_get(f"{API_PREFIX}/voices", self._voices_handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.ws_url = f"ws://127.0.0.1:{self.port}{WS_PATH}"
        self.ws_url_legacy = f"ws://127.0.0.1:{self.port}{LEGACY_WS_PATH}"
        self.api_url = f"http://127.0.0.1:{self.port}{API_PREFIX}"

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
        """Close every connection not generating and with nothing queued; return count."""
        idle = [c for c in self._live if c.ready and not c.busy and c.inbox.empty()]
        for conn in idle:
            await self._close(conn, code, "idle")
        return len(idle)

    @property
    def open_connections(self) -> int:
        """Number of WebSocket connections currently open."""
        return len(self._live)

    def balance(self, key: str) -> float:
        """Current wallet balance of `key` (default 100.0)."""
        return self.balances.get(key, DEFAULT_BALANCE)

    # ----------------------------------------------------------------- REST

    def _make_middleware(self) -> Middleware:
        """Record REST calls and apply `rest_status_override` (also to the WS upgrade)."""

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            override = self.rest_status_override.get(request.path)
            if request.path in (WS_PATH, LEGACY_WS_PATH):
                if override is not None:
                    return _status_response(override)
                return await handler(request)
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
                response: web.StreamResponse = _status_response(override)
            else:
                try:
                    response = await handler(request)
                except web.HTTPException as exc:
                    record.status = exc.status
                    raise
            record.status = response.status
            return response

        return middleware

    def _rest_ok(self, request: web.Request) -> bool:
        return request.headers.get("x-api-key") in self.valid_keys

    async def _models_handler(self, request: web.Request) -> web.Response:
        if not self._rest_ok(request):
            return web.json_response(INVALID_KEY, status=401)
        return web.json_response(self.models)

    async def _voices_handler(self, request: web.Request) -> web.Response:
        if not self._rest_ok(request):
            return web.json_response(INVALID_KEY, status=401)
        return web.json_response({"voices": self.voices})

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
            key, via = _ws_key(request)
            ws = web.WebSocketResponse(autoping=True, timeout=2.0, compress=False)
            await ws.prepare(request)
            record = ConnRecord(
                index=len(self.connections),
                path=request.path,
                headers=CIMultiDict(request.headers),
                query=dict(request.query),
                key=key,
                key_via=via,
            )
            self.connections.append(record)
            loop = asyncio.get_running_loop()
            conn = _Conn(request=request, ws=ws, record=record, last_activity=loop.time())
            self._live.add(conn)
            conn.reader = asyncio.create_task(self._read_loop(conn))
            self._tasks.add(conn.reader)
            conn.reader.add_done_callback(self._tasks.discard)
            await asyncio.sleep(0)  # let the reader start so closes never wait on the peer
            try:
                with contextlib.suppress(_ConnectionOver, ConnectionError, RuntimeError):
                    await self._serve(conn)
            finally:
                self._live.discard(conn)
                if not ws.closed:
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(2):
                            await ws.close()
                conn.reader.cancel()
                await asyncio.wait([conn.reader])
                record.open = False
            return ws
        finally:
            done.set()

    async def _read_loop(self, conn: _Conn) -> None:
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

    async def _serve(self, conn: _Conn) -> None:
        """Check a header/query key now; otherwise expect it in initConnection."""
        key = conn.record.key
        if key is not None:
            if key not in self.valid_keys:
                await self._reject_key(conn)
                return
            conn.key = key
        conn.ready = True
        while True:
            msg = await self._next_message(conn)
            if msg is None:
                return
            conn.busy = True
            try:
                await self._on_message(conn, msg)
            finally:
                conn.busy = False
                conn.last_activity = asyncio.get_running_loop().time()

    async def _next_message(self, conn: _Conn) -> Any:
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

    async def _on_message(self, conn: _Conn, msg: Any) -> None:
        """Dispatch one client message."""
        if msg.type is not WSMsgType.TEXT:
            await self._send_type_error(conn, "Invalid message format")
            return
        try:
            obj = json.loads(msg.data)
        except ValueError:
            conn.record.messages.append(msg.data)
            await self._send_type_error(conn, "Invalid JSON")
            return
        conn.record.messages.append(obj)
        if not isinstance(obj, dict):
            await self._send_type_error(conn, "Invalid message format")
            return
        kind = obj.get("type")
        is_init = kind == "initConnection" or (
            kind is None and ("voice_id" in obj or "model_id" in obj)
        )
        if conn.key is None:
            init_key = obj.get("x_api_key") if is_init else None
            if isinstance(init_key, str):
                conn.record.key = init_key
                conn.record.key_via = "init"
            if init_key not in self.valid_keys:
                await self._reject_key(conn)
                raise _ConnectionOver
            conn.key = init_key
        if is_init:
            await self._on_init(conn, obj)
        elif kind == "text" or (kind is None and "text" in obj):
            await self._on_text(conn, obj)
        elif kind == "closeConnection":
            await self._close(conn, 1000, "")
            raise _ConnectionOver
        else:
            await self._send_type_error(conn, "Unknown message type")

    async def _on_init(self, conn: _Conn, obj: dict[str, Any]) -> None:
        """Validate model, voice and settings; answer connectionInitialized."""
        model_id = obj.get("model_id")
        voice_id = obj.get("voice_id")
        settings = obj.get("voice_settings")
        if not isinstance(settings, dict):
            settings = {k: obj[k] for k in ("stability", "similarity_boost", "speed") if k in obj}
        if model_id not in {m["model_id"] for m in self.models}:
            await self._send_type_error(conn, "Model not found")
            return
        if model_id in self.forbidden_models:
            await self._send_code_error(conn, 40301, "You do not have access to this model")
            return
        if voice_id not in {v["voice_id"] for v in self.voices}:
            await self._send_type_error(conn, "Voice not found")
            return
        problem = _settings_problem(settings)
        if problem is not None:
            await self._send_code_error(conn, 40001, problem)
            return
        await self._pause(conn, self.init_delay)
        conn.model_id = model_id
        conn.voice_id = voice_id
        conn.voice_settings = dict(settings)
        conn.record.init = obj
        await self._send_json(conn, {"type": "connectionInitialized"})

    async def _on_text(self, conn: _Conn, obj: dict[str, Any]) -> None:
        """Buffer text; generate for the whole buffer when try_trigger_generation is true."""
        if conn.model_id is None:
            await self._send_type_error(conn, "Connection not initialized")
            return
        text = obj.get("text")
        if not isinstance(text, str):
            await self._send_type_error(conn, "Text is required")
            return
        conn.buffer += text
        if obj.get("try_trigger_generation"):
            await self._generate(conn)

    async def _generate(self, conn: _Conn) -> None:
        """Validate, then stream base64 PCM chunks and the final marker (or apply a fault)."""
        assert conn.key is not None and conn.model_id is not None and conn.voice_id is not None
        key = conn.key
        text = conn.buffer.strip()
        conn.buffer = ""
        if len(text.split()) < 3 or len(text) < 10:
            await self._send_code_error(conn, 40001, SHORT_TEXT_MESSAGE)
            return
        if self.max_text_chars is not None and len(text) > self.max_text_chars:
            await self._send_code_error(conn, 40001, "Payload too large")
            return
        required = len(text) * self.cost_per_char
        available = self.balance(key)
        if available < required:
            await self._send_code_error(
                conn,
                40201,
                f"Insufficient wallet balance. Required: ${required:.2f}, "
                f"Available: ${available:.2f}",
            )
            return
        if self._in_progress[key] >= self.concurrency_limit:
            await self._send_code_error(conn, 42901, "Concurrency limit exceeded")
            return
        fault = self.faults.pop(0) if self.faults else None
        self.generations.append(
            Generation(
                conn.record.index, text, conn.model_id, conn.voice_id, dict(conn.voice_settings)
            )
        )
        if self.timing is not None:
            self.timing.request(text)
        self._in_progress[key] += 1
        try:
            completed = await self._stream(conn, text, fault)
        finally:
            self._in_progress[key] -= 1
        if completed:  # billed only when the generation completes
            self.balances[key] = self.balance(key) - required

    async def _stream(self, conn: _Conn, text: str, fault: Fault | None) -> bool:
        """Send one generation's audio; True if it completed, _ConnectionOver if the socket ends."""
        if fault is not None:
            if fault.kind == "close":
                await self._close(conn, fault.code, fault.reason)
                raise _ConnectionOver
            if fault.kind == "error_type":
                await self._send_type_error(conn, fault.message)
                return False
            if fault.kind == "error_code":
                await self._send_code_error(conn, fault.code, fault.message)
                return False
        rate = self.sample_rate
        pcm = pcm_for_text(text, rate)
        await self._pause(conn, self.first_audio_delay)
        if fault is not None:
            pcm = pcm[: fault.n]
        loop = asyncio.get_running_loop()
        start = loop.time()
        offset = 0
        for i, chunk in enumerate(split_frames(pcm, self.frame_sizes)):
            if i:
                factor = self.realtime_factor
                if factor:
                    await self._pause(
                        conn, frame_due(start, offset, 2 * rate, factor) - loop.time()
                    )
                else:
                    await self._pause(conn, self.frame_interval)
            audio = base64.b64encode(chunk).decode("ascii")
            if self.timing is not None:
                self.timing.frame(text, offset, len(chunk))
            await self._send_json(conn, {"audio": audio, "sampleRate": rate, "isFinal": False})
            offset += len(chunk)
        if fault is None:
            await self._send_json(conn, {"audio": "", "sampleRate": rate, "isFinal": True})
            return True
        if fault.kind == "close_after_bytes":
            await self._close(conn, fault.code, fault.reason)
        elif fault.kind == "drop_after_bytes":
            self._abort(conn)
        else:  # stall_after_bytes
            await conn.gone.wait()
        raise _ConnectionOver

    async def _pause(self, conn: _Conn, delay: float) -> None:
        """Sleep `delay` seconds; raise _ConnectionOver if the peer leaves meanwhile."""
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await conn.gone.wait()
        else:
            await asyncio.sleep(0)  # yield, so a client in the same loop sees a real stream
        if conn.gone.is_set():
            raise _ConnectionOver

    async def _send_json(self, conn: _Conn, obj: dict[str, Any]) -> None:
        await conn.ws.send_str(json.dumps(obj, ensure_ascii=False))

    async def _send_type_error(self, conn: _Conn, message: str) -> None:
        await self._send_json(conn, {"type": "error", "message": message})

    async def _send_code_error(self, conn: _Conn, code: int, message: str) -> None:
        await self._send_json(conn, {"errorCode": code, "errorMessage": message})

    async def _reject_key(self, conn: _Conn) -> None:
        """Invalid or missing key: 40101 then close 1008."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._send_json(conn, INVALID_KEY)
        await self._close(conn, 1008, "Invalid API key")

    async def _close(self, conn: _Conn, code: int, reason: str) -> None:
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

    def _abort(self, conn: _Conn) -> None:
        """Abort TCP without a close frame (a network drop)."""
        conn.record.aborted = True
        transport = conn.request.transport
        if transport is not None:
            transport.abort()


def _ws_key(request: web.Request) -> tuple[str | None, str | None]:
    """Key from header `x-api-key` (preferred) or `?x-api-key=`, and how it came."""
    if "x-api-key" in request.headers:
        return request.headers["x-api-key"], "header"
    if "x-api-key" in request.query:
        return request.query["x-api-key"], "query"
    return None, None


def _settings_problem(settings: dict[str, Any]) -> str | None:
    """Range check of voice_settings as documented (stability 0-1, speed 0.7-1.2)."""
    ranges = {"stability": (0.0, 1.0), "similarity_boost": (0.0, 1.0), "speed": (0.7, 1.2)}
    for name, (low, high) in ranges.items():
        if name not in settings:
            continue
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"Invalid voice_settings: {name} must be a number"
        if not low <= value <= high:
            return f"Invalid voice_settings: {name} must be between {low} and {high}"
    return None


def _status_response(status: int) -> web.Response:
    """Body for a forced status (rest_status_override)."""
    if status == 401:
        return web.json_response(INVALID_KEY, status=status)
    code = 50001 if status >= 500 else status * 100 + 1
    message = "Internal server error" if status >= 500 else "Request failed"
    return web.json_response({"errorCode": code, "errorMessage": message}, status=status)


__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_VOICES",
    "LEGACY_WS_PATH",
    "WS_PATH",
    "ConnRecord",
    "FakeFaseeh",
    "Fault",
    "Generation",
    "RestRecord",
]
