"""Fake Hamsa server: realtime TTS WebSocket and the REST endpoints on one local port.

It follows /work/shared/providers.md, including the odd cases (unaligned frames, a WAV
header glued to the first frame, 640-byte glitch replies, 4001/4003 closes), so the client
code can be tested against every variant without the real service.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict

from .audio import mulaw_encode, pcm_for_text, split_frames, wav_header_streaming
from .timing import TimingLog, frame_due

WS_PATH = "/v1/realtime/ws"
MAX_TEXT_CHARS = 2000
SHORT_REPLY_BYTES = 640

INFO_MESSAGE = "Connected to realtime WebSocket server"
ACK_MESSAGE = "Real time text to speach connection establesh"
END_MESSAGE = "End of TTS stream"
ABORTED_MESSAGE = "TTS stream error: aborted"

SPEAKERS_BY_DIALECT: dict[str, tuple[str, ...]] = {
    "pls": ("Amjad", "Layan"),
    "egy": ("Mariam", "Samir"),
    "syr": ("Dalal", "Mais"),
    "irq": ("Lyali", "Fatma"),
    "jor": ("Lana", "Jasem"),
    "leb": ("Carla", "Majd"),
    "ksa": ("Hiba", "Fahd"),
    "uae": ("Salma", "Dima"),
    "bah": ("Mazen", "Ruba"),
    "qat": ("Deema", "Faisal"),
    "kuw": ("Mai", "Hatem"),
    "oma": ("Aisha", "Jaber"),
    "msa": ("Salem", "Tamim"),
    "ar-sa": ("Khalid", "Rahma"),
    "en": ("Emma", "James"),
}
DIALECTS: frozenset[str] = frozenset(SPEAKERS_BY_DIALECT)
ACCEPTED_DIALECTS: frozenset[str] = DIALECTS | {"modern"}

_MALE = frozenset(
    {
        "Amjad", "Samir", "Jasem", "Majd", "Fahd", "Mazen", "Faisal", "Hatem", "Jaber",
        "Salem", "Tamim", "Khalid", "James",
    }
)  # fmt: skip

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def default_speakers() -> dict[str, str]:
    """Built-in speaker name -> dialect code, the catalogue from providers.md."""
    return {name: dialect for dialect, names in SPEAKERS_BY_DIALECT.items() for name in names}


def speaker_gender(name: str) -> str:
    """Gender shown in the catalogue; guessed from the name (the docs do not say)."""
    return "male" if name in _MALE else "female"


def speaker_id(name: str) -> str:
    """Catalogue id of a built-in speaker: a stable UUID, deliberately not the name.

    The WebSocket wants the *name* as `speaker`; a client that sends the id gets "aborted".
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hamsa-speaker:{name}"))


def is_uuid(value: object) -> bool:
    """True for a canonical 8-4-4-4-12 hex UUID string (what Hamsa uses for cloned voices)."""
    return isinstance(value, str) and _UUID_RE.match(value) is not None


@dataclass(frozen=True, slots=True)
class Fault:
    """One-shot misbehaviour, consumed by the next valid tts request (one per request).

    kinds: "close", "close_after_bytes", "error", "drop_after_bytes", "stall_after_bytes",
    "short_reply". Byte counts refer to the binary stream as sent (WAV header included).
    """

    kind: str
    code: int = 1000
    reason: str = ""
    n: int = 0
    message: str = ""

    @classmethod
    def close(cls, code: int, reason: str = "") -> Fault:
        """Close the socket with `code` instead of replying (no ack)."""
        return cls("close", code=code, reason=reason)

    @classmethod
    def close_after_bytes(cls, code: int, n: int, reason: str = "") -> Fault:
        """Send ack and the first `n` audio bytes, then close with `code`."""
        return cls("close_after_bytes", code=code, n=n, reason=reason)

    @classmethod
    def error(cls, message: str = ABORTED_MESSAGE) -> Fault:
        """Send ack then `{"type":"error","payload":{"message":...}}`; socket stays open."""
        return cls("error", message=message)

    @classmethod
    def drop_after_bytes(cls, n: int) -> Fault:
        """Send ack and `n` bytes, then abort TCP without a close frame."""
        return cls("drop_after_bytes", n=n)

    @classmethod
    def stall_after_bytes(cls, n: int) -> Fault:
        """Send ack and `n` bytes, then nothing until the client leaves or the fake stops."""
        return cls("stall_after_bytes", n=n)

    @classmethod
    def short_reply(cls) -> Fault:
        """Ack, one 640-byte frame (start of the real audio, no WAV header), then end."""
        return cls("short_reply")


@dataclass
class ConnRecord:
    """What one WebSocket connection sent and how it ended (for assertions)."""

    index: int
    headers: CIMultiDict[str]
    query: dict[str, str]
    key: str | None
    key_via: str | None  # "header" | "query" | None
    requests: list[dict[str, Any]] = field(default_factory=list)
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
    reader: asyncio.Task[None] | None = None


class _ConnectionOver(Exception):
    """Raised inside a reply when the connection ended (closed, dropped, stalled)."""


class FakeHamsa:
    """Fake api.tryhamsa.com on 127.0.0.1: `async with FakeHamsa() as fake: fake.ws_url`."""

    def __init__(
        self,
        valid_keys: Iterable[str] | None = None,
        empty_wallet_keys: Iterable[str] | None = None,
    ) -> None:
        """Keys in either set authenticate; empty-wallet keys get 4003 on their first tts."""
        self.valid_keys: set[str] = set(valid_keys) if valid_keys is not None else {"hamsa-key"}
        self.empty_wallet_keys: set[str] = set(empty_wallet_keys or ())
        # Knobs, read at the time they matter (so tests may change them while running).
        self.frame_sizes: list[int] = [4096]
        self.wav_header: bool = False
        self.wav_rate: int = 22050
        self.send_info: bool = True
        self.handshake_delay: float = 0.0
        self.first_audio_delay: float = 0.0
        self.frame_interval: float = 0.0
        # Pace frames at this multiple of real time instead of `frame_interval` (None: off).
        self.realtime_factor: float | None = None
        # When set, every accepted request and audio frame is timestamped here (bench/).
        self.timing: TimingLog | None = None
        self.idle_close_after: float | None = None
        self.faults: list[Fault] = []
        self.speakers: dict[str, str] = default_speakers()
        self.custom_voices: dict[str, str] = {}
        self.preloaded: set[str] = set()
        self.preload_status: int | None = None
        self.rest_status_override: dict[str, int] = {}
        # Recordings.
        self.connections: list[ConnRecord] = []
        self.requests: list[dict[str, Any]] = []
        self.rest_requests: list[RestRecord] = []
        # Server state.
        self.port: int = 0
        self.ws_url: str = ""
        self.api_url: str = ""
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
        app.router.add_get("/v1/projects/by-api-key", self._project_handler)
        app.router.add_post("/v2/tts/voices/custom/preload", self._preload_handler)
        app.router.add_get("/v2/tts/voices/catalog", self._catalog_handler)
        app.router.add_get("/v2/tts/voices", self._voices_handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.ws_url = f"ws://127.0.0.1:{self.port}{WS_PATH}"
        self.api_url = f"http://127.0.0.1:{self.port}"

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
            if request.path == WS_PATH:
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

    def _rest_key(self, request: web.Request) -> str | None:
        """The key if `Authorization` is exactly `Token <known key>`."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Token "):
            return None
        key = auth[len("Token ") :]
        return key if key in self.valid_keys or key in self.empty_wallet_keys else None

    async def _project_handler(self, request: web.Request) -> web.Response:
        if self._rest_key(request) is None:
            return _unauthorized()
        return web.json_response({"data": {"id": "project-1", "name": "Fake"}})

    async def _preload_handler(self, request: web.Request) -> web.Response:
        if self._rest_key(request) is None:
            return _unauthorized()
        if self.preload_status is not None and self.preload_status != 200:
            return _status_response(self.preload_status)
        try:
            body = await request.json()
        except ValueError:
            body = None
        voice_id = body.get("voiceId") if isinstance(body, dict) else None
        if not is_uuid(voice_id):
            return web.json_response({"success": False, "message": "Invalid voice id"}, status=400)
        assert isinstance(voice_id, str)
        known = {k.lower() for k in self.custom_voices}
        if voice_id.lower() not in known:
            return web.json_response({"success": False, "message": "Voice not found"}, status=404)
        self.preloaded.add(voice_id.lower())
        return web.json_response(
            {
                "success": True,
                "message": "Custom voice have been preloaded successfully",
                "data": [],
            }
        )

    async def _catalog_handler(self, request: web.Request) -> web.Response:
        if self._rest_key(request) is None:
            return _unauthorized()
        voices = [
            {"id": speaker_id(name), "name": name, "language": dialect,
             "gender": speaker_gender(name)}
            for name, dialect in self.speakers.items()
        ]  # fmt: skip
        return web.json_response({"voices": voices})

    async def _voices_handler(self, request: web.Request) -> web.Response:
        if self._rest_key(request) is None:
            return _unauthorized()
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("perPage", "20"))
        except ValueError:
            page = per_page = 0
        if page < 1 or per_page < 1:
            return web.json_response(
                {"success": False, "message": "Invalid pagination"}, status=400
            )
        items = list(self.custom_voices.items())
        chunk = items[(page - 1) * per_page : page * per_page]
        return web.json_response(
            {
                "data": {
                    "voices": [{"id": vid, "name": name} for vid, name in chunk],
                    "total": len(items),
                    "page": page,
                    "perPage": per_page,
                }
            }
        )

    # ----------------------------------------------------------------- WebSocket

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        """Accept the upgrade, then run the request/reply loop of one connection."""
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
            record = ConnRecord(
                index=len(self.connections),
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

    def _ws_key(self, request: web.Request) -> tuple[str | None, str | None]:
        """Key from `X-Api-Key` (preferred) or `?api_key=`, and how it came."""
        if "X-Api-Key" in request.headers:
            return request.headers["X-Api-Key"], "header"
        if "api_key" in request.query:
            return request.query["api_key"], "query"
        return None, None

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
        """Authenticate, greet, then answer requests strictly one after another."""
        key = conn.record.key
        if key is None or (key not in self.valid_keys and key not in self.empty_wallet_keys):
            await self._close(conn, 4001, "Invalid API key")
            return
        if self.send_info:
            await self._send_json(conn, {"type": "info", "payload": {"message": INFO_MESSAGE}})
        conn.ready = True
        while True:
            msg = await self._next_message(conn)
            if msg is None:
                return
            conn.busy = True
            try:
                if msg.type is WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
                else:
                    await self._send_error(conn, "Invalid message format")
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

    async def _on_text(self, conn: _Conn, data: str) -> None:
        """Dispatch one JSON message from the client."""
        try:
            obj = json.loads(data)
        except ValueError:
            await self._send_error(conn, "Invalid JSON")
            return
        if not isinstance(obj, dict) or obj.get("type") != "tts":
            await self._send_error(conn, "Unsupported message type")
            return
        payload = obj.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        conn.record.requests.append(payload)
        self.requests.append({**payload, "connection_index": conn.record.index})
        await self._tts(conn, payload)

    def _validate(self, payload: dict[str, Any]) -> str | None:
        """Error message for an invalid request, or None."""
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            return "Text is required"
        if len(text) > MAX_TEXT_CHARS:
            return f"Text too long (max {MAX_TEXT_CHARS} characters)"
        speaker = payload.get("speaker")
        known_speaker = isinstance(speaker, str) and (
            speaker in self.speakers or (is_uuid(speaker) and speaker.lower() in self.preloaded)
        )
        if not known_speaker or payload.get("dialect") not in ACCEPTED_DIALECTS:
            return ABORTED_MESSAGE
        return None

    def _render(self, payload: dict[str, Any]) -> tuple[bytes, bytes, int]:
        """(header, audio, audio bytes per second) for a valid request."""
        text: str = payload["text"]
        if payload.get("mulaw"):
            return b"", mulaw_encode(pcm_for_text(text, 8000)), 8000
        if payload.get("sampleRate") == "8k":
            rate = 8000
        else:
            rate = self.wav_rate if self.wav_header else 16000
        header = wav_header_streaming(rate) if self.wav_header else b""
        return header, pcm_for_text(text, rate), 2 * rate

    async def _tts(self, conn: _Conn, payload: dict[str, Any]) -> None:
        """Answer one tts request: ack, binary frames, end (or an error / a fault)."""
        assert conn.record.key is not None
        if conn.record.key in self.empty_wallet_keys:
            await self._close(conn, 4003, "Wallet balance depleted")
            raise _ConnectionOver
        problem = self._validate(payload)
        if problem is not None:
            await self._send_json(conn, _msg("ack", ACK_MESSAGE))
            await self._send_error(conn, problem)
            return
        text: str = payload["text"]
        if self.timing is not None:
            self.timing.request(text)
        fault = self.faults.pop(0) if self.faults else None
        header, audio, bytes_per_second = self._render(payload)
        if fault is not None and fault.kind == "close":
            await self._close(conn, fault.code, fault.reason)
            raise _ConnectionOver
        await self._send_json(conn, _msg("ack", ACK_MESSAGE))
        if fault is not None and fault.kind == "error":
            await self._send_error(conn, fault.message)
            return
        await self._pause(conn, self.first_audio_delay)
        if fault is not None and fault.kind == "short_reply":
            await conn.ws.send_bytes(audio[:SHORT_REPLY_BYTES])
            await self._send_json(conn, _msg("end", END_MESSAGE))
            return
        data = header + audio
        if fault is None:
            await self._send_frames(conn, data, text, bytes_per_second)
            await self._send_json(conn, _msg("end", END_MESSAGE))
            return
        await self._send_frames(conn, data[: fault.n], text, bytes_per_second)
        if fault.kind == "close_after_bytes":
            await self._close(conn, fault.code, fault.reason)
        elif fault.kind == "drop_after_bytes":
            self._abort(conn)
        else:  # stall_after_bytes
            await conn.gone.wait()
        raise _ConnectionOver

    async def _send_frames(
        self, conn: _Conn, data: bytes, text: str, bytes_per_second: int
    ) -> None:
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
            await conn.ws.send_bytes(frame)
            offset += len(frame)

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

    async def _send_error(self, conn: _Conn, message: str) -> None:
        await self._send_json(conn, _msg("error", message))

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


def _msg(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "payload": {"message": message}}


def _unauthorized() -> web.Response:
    return web.json_response({"success": False, "message": "Unauthorized"}, status=401)


def _status_response(status: int) -> web.Response:
    """Generic body for a forced status (rest_status_override / preload_status)."""
    message = "Internal server error" if status >= 500 else "Request failed"
    return web.json_response({"success": False, "message": message}, status=status)


__all__ = [
    "ABORTED_MESSAGE",
    "ACCEPTED_DIALECTS",
    "ACK_MESSAGE",
    "DIALECTS",
    "END_MESSAGE",
    "INFO_MESSAGE",
    "SPEAKERS_BY_DIALECT",
    "WS_PATH",
    "ConnRecord",
    "FakeHamsa",
    "Fault",
    "RestRecord",
    "default_speakers",
    "is_uuid",
    "speaker_id",
]
