"""Fake Faseeh (Munsit) server: text-to-speech WebSocket and REST on one local port.

It follows /work/shared/providers.md and the seed page: three ways to pass the key, both
initConnection forms, buffered text with try_trigger_generation, base64 PCM chunks that need
not be sample aligned, both error shapes, wallet and concurrency limits.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import WSMessage, WSMsgType, web
from multidict import CIMultiDict

from .audio import pcm_for_text
from .server import (
    HOST,
    Conn,
    ConnBasics,
    ConnectionOver,
    FakeServerBase,
    FaultBase,
    RestRecord,
    forced_status_message,
)

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
class Fault(FaultBase):
    """One-shot misbehaviour, consumed by the next generation that passes validation.

    kinds: "error_type", "error_code", "close", "close_after_bytes", "drop_after_bytes",
    "stall_after_bytes". Byte counts are decoded PCM bytes. `close` replaces the generation;
    the `*_after_bytes` kinds send that many bytes as audio chunks first.
    """

    @classmethod
    def error_type(cls, message: str) -> Fault:
        """Reply `{"type":"error","message":...}` instead of audio; socket stays open."""
        return cls("error_type", message=message)

    @classmethod
    def error_code(cls, code: int, message: str) -> Fault:
        """Reply `{"errorCode":code,"errorMessage":...}` instead of audio; socket stays open."""
        return cls("error_code", code=code, message=message)


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


@dataclass(eq=False)
class _Conn(Conn[ConnRecord]):
    """Faseeh's per-connection state: the key and initConnection settings, buffered text."""

    key: str | None = None
    model_id: str | None = None
    voice_id: str | None = None
    voice_settings: dict[str, Any] = field(default_factory=dict)
    buffer: str = ""


class FakeFaseeh(FakeServerBase[ConnRecord, _Conn]):
    """Fake api.faseeh.ai on 127.0.0.1: `async with FakeFaseeh() as fake: fake.ws_url`."""

    key_header = "x-api-key"
    key_query = "x-api-key"
    ws_paths = (WS_PATH, LEGACY_WS_PATH)
    api_prefix = API_PREFIX

    def __init__(
        self,
        valid_keys: Iterable[str] | None = None,
        balances: dict[str, float] | None = None,
        concurrency_limit: int = 2,
    ) -> None:
        """Balances default to 100.0 per key; each character costs `cost_per_char`."""
        super().__init__(valid_keys, default_key="faseeh-key", frame_size=4800)
        self.balances: dict[str, float] = dict(balances or {})
        self.concurrency_limit = concurrency_limit
        # Knobs, read at the time they matter (so tests may change them while running).
        self.cost_per_char: float = 0.0001
        self.sample_rate: int = 24000
        self.init_delay: float = 0.0
        self.max_text_chars: int | None = None  # None: no "Payload too large" check
        self.faults: list[Fault] = []
        self.forbidden_models: set[str] = set()
        self.models: list[dict[str, Any]] = [dict(m) for m in DEFAULT_MODELS]
        self.voices: list[dict[str, str]] = [dict(v) for v in DEFAULT_VOICES]
        # Recordings.
        self.generations: list[Generation] = []
        # Server state.
        self.ws_url_legacy: str = ""
        self._in_progress: defaultdict[str, int] = defaultdict(int)

    async def start(self) -> None:
        """Serve as the base does; also publish the older WebSocket path's URL."""
        await super().start()
        self.ws_url_legacy = f"ws://{HOST}:{self.port}{LEGACY_WS_PATH}"

    def balance(self, key: str) -> float:
        """Current wallet balance of `key` (default 100.0)."""
        return self.balances.get(key, DEFAULT_BALANCE)

    # ----------------------------------------------------------------- REST

    def _add_rest_routes(self, app: web.Application) -> None:
        """The model and voice listings."""
        app.router.add_get(f"{API_PREFIX}/models", self._models_handler)
        app.router.add_get(f"{API_PREFIX}/voices", self._voices_handler)

    def _forced_response(self, status: int) -> web.Response:
        """Faseeh's `errorCode`/`errorMessage` body."""
        return _status_response(status)

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

    def _new_record(self, request: web.Request, basics: ConnBasics) -> ConnRecord:
        """Faseeh's record also keeps the path (two WebSocket paths are served)."""
        return ConnRecord(path=request.path, **basics)

    def _new_conn(
        self, request: web.Request, ws: web.WebSocketResponse, record: ConnRecord, now: float
    ) -> _Conn:
        """Per-connection state with room for the initConnection settings."""
        return _Conn(request=request, ws=ws, record=record, last_activity=now)

    async def _admit(self, conn: _Conn) -> bool:
        """Check a header/query key now; otherwise expect it in initConnection."""
        key = conn.record.key
        if key is not None:
            if key not in self.valid_keys:
                await self._reject_key(conn)
                return False
            conn.key = key
        return True

    async def _on_message(self, conn: _Conn, msg: WSMessage) -> None:
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
                raise ConnectionOver
            conn.key = init_key
        if is_init:
            await self._on_init(conn, obj)
        elif kind == "text" or (kind is None and "text" in obj):
            await self._on_text(conn, obj)
        elif kind == "closeConnection":
            await self._close(conn, 1000, "")
            raise ConnectionOver
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
        """Send one generation's audio; True if it completed, ConnectionOver if the socket ends."""
        if fault is not None:
            if fault.kind == "close":
                await self._close(conn, fault.code, fault.reason)
                raise ConnectionOver
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

        async def send_chunk(chunk: bytes) -> None:
            audio = base64.b64encode(chunk).decode("ascii")
            await self._send_json(conn, {"audio": audio, "sampleRate": rate, "isFinal": False})

        await self._send_paced(conn, pcm, text, 2 * rate, send_chunk)
        if fault is None:
            await self._send_json(conn, {"audio": "", "sampleRate": rate, "isFinal": True})
            return True
        await self._end_cut_short(conn, fault)

    async def _send_type_error(self, conn: _Conn, message: str) -> None:
        """The `{"type":"error"}` shape Faseeh uses for protocol mistakes."""
        await self._send_json(conn, {"type": "error", "message": message})

    async def _send_code_error(self, conn: _Conn, code: int, message: str) -> None:
        """The `{"errorCode":...}` shape Faseeh uses for auth, billing and limits."""
        await self._send_json(conn, {"errorCode": code, "errorMessage": message})

    async def _reject_key(self, conn: _Conn) -> None:
        """Invalid or missing key: 40101 then close 1008."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._send_json(conn, INVALID_KEY)
        await self._close(conn, 1008, "Invalid API key")


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
    message = forced_status_message(status)
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
