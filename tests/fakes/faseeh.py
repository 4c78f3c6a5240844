"""Fake Faseeh (Munsit) server: text-to-speech WebSocket and REST on one local port.

As strict as the evidence (/work/shared/providers.md, protocol-evidence.md §2 and §4):

- the socket refuses a key sent only as a header (40101, then close 1008), as the current
  docs and a live probe (2026-08-31) say; it accepts ``initConnection.x_api_key`` and
  ``?x-api-key=`` (each can be switched off);
- it ignores ``output_format`` and says its rate in every audio message (``sampleRate``);
  REST says its rate in ``Content-Type`` (``honour_requested_rate`` makes both obey);
- REST ``POST /api/v1/text-to-speech/{model_id}`` streams raw PCM16 in odd-sized chunks,
  paced like the socket, and answers every documented error status with Faseeh's
  ``{"errorCode","errorMessage"}`` body; ``stability`` is required, as its docs say;
- ``/voices`` is a top-level array with ``dialect`` arrays, ``sample_url``, an opaque id and
  a clone whose gender, dialect and type are null.

Knobs reproduce each behaviour seen in the wild: a socket that initialises and accepts
text but never speaks (``silent_socket``), ``isFinal`` on every batch of a generation
(``batches``; on its last audio message, or as the documented end marker
``{"audio": "", "isFinal": true}`` with ``batch_end_marker``: the evidence does not say
which), generation only on ``flush: true`` (``needs_flush``), the combined error
frame (``error_shape``), idle sockets that hold one of the plan's concurrency slots
(``idle_sockets_hold_slots``). Region mismatch: run two instances with different keys.
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

from .audio import pcm_for_text, split_frames, wav_header_streaming
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
TTS_PATH = f"{API_PREFIX}/text-to-speech"
KEY_NAME = "x-api-key"

DEFAULT_MODELS: tuple[dict[str, Any], ...] = (
    {
        "id": "1",
        "model_id": "faseeh-v1-preview",
        "model_name": "Faseeh v1",
        "cost": 2,
        "description": "Quality",
    },
    {
        "id": "2",
        "model_id": "faseeh-mini-v1-preview",
        "model_name": "Faseeh Mini v1",
        "cost": 1,
        "description": "Low latency",
    },
)


def _voice(
    voice_id: str, name: str, gender: str | None, dialect: list[str] | None, kind: str | None
) -> dict[str, Any]:
    return {
        "voice_id": voice_id,
        "name": name,
        "gender": gender,
        "age": "adult" if gender else None,
        "languages": ["ar"],
        "dialect": dialect,
        "type": kind,
        "sample_url": f"https://cdn.example/samples/{voice_id}.mp3",
    }


# Every readable id seen in the wild (providers.md), one opaque id and one clone.
OPAQUE_VOICE = "PCtWbxjoNTpVQ6gIPaVZ2Hqm"
CLONE_VOICE = "cl-layla-8f21"
DEFAULT_VOICES: tuple[dict[str, Any], ...] = (
    _voice("ar-najdi-male-2", "Fahad", "male", ["najdi"], "premade"),
    _voice("ar-najdi-female-1", "Maha", "female", ["najdi"], "premade"),
    _voice("ar-najdi-female-2", "Reem", "female", ["najdi"], "premade"),
    _voice("ar-hijazi-female-1", "Lama", "female", ["hijazi"], "premade"),
    _voice("ar-hijazi-female-2", "Noura", "female", ["hijazi"], "premade"),
    _voice("ar-egyptian-male-1", "Ahmed", "male", ["egyptian"], "premade"),
    _voice("ar-kuwaiti-male-1", "Hamad", "male", ["kuwaiti"], "premade"),
    _voice("ar-uae-male-1", "Saeed", "male", ["emirati"], "premade"),
    _voice("ar-emirati-male-1", "Rashid", "male", ["emirati"], "premade"),
    _voice(OPAQUE_VOICE, "Salma", "female", ["fusha", "emirati"], "premade"),
    _voice(CLONE_VOICE, "Layla", None, None, None),
)

INVALID_KEY_MESSAGE = "Invalid API key"
INVALID_KEY = {"errorCode": 40101, "errorMessage": INVALID_KEY_MESSAGE}
SHORT_TEXT_MESSAGE = "Text must have at least 3 words and 10 characters"
DEFAULT_BALANCE = 100.0
REST_DIALECTS = ("auto", "emirati", "fusha")
# HTTP status of each Faseeh error code on the REST API.
CODE_STATUS = {40001: 400, 40101: 401, 40201: 402, 40301: 403, 40401: 404, 42901: 429}


@dataclass(frozen=True, slots=True)
class Fault(FaultBase):
    """One-shot misbehaviour, consumed by the next generation that passes validation.

    The same list serves the socket and REST. kinds: "error_type", "error_code", "close",
    "close_after_bytes", "drop_after_bytes", "stall_after_bytes"; byte counts are decoded
    PCM bytes. Socket: `close` replaces the generation; the `*_after_bytes` kinds send that
    many bytes as audio first. REST: `error_code` answers the code's HTTP status (5xx for
    50001) with the JSON body, `error_type` answers 500 `{"type":"error","message"}`,
    `close` resets the connection before any response, `close_after_bytes` and
    `drop_after_bytes` reset it after that many body bytes, `stall_after_bytes` stops
    sending until the client leaves.
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
    """One generation the server started (passed validation), on either transport."""

    connection_index: int | None  # None over REST
    text: str
    model_id: str
    voice_id: str
    voice_settings: dict[str, Any]
    transport: str = "websocket"  # "websocket" | "rest"
    sample_rate: int = 24000  # the rate actually sent
    dialect: str | None = None  # REST only


@dataclass
class ConnRecord:
    """What one WebSocket connection sent and how it ended (for assertions)."""

    index: int
    path: str
    headers: CIMultiDict[str]
    query: dict[str, str]
    key: str | None  # the key that was accepted (or offered and refused)
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
    output_format: str | None = None
    buffer: str = ""


class FakeFaseeh(FakeServerBase[ConnRecord, _Conn]):
    """Fake api.faseeh.ai on 127.0.0.1: `async with FakeFaseeh() as fake: fake.ws_url`."""

    key_header = KEY_NAME
    key_query = KEY_NAME
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
        self.sample_rate: int = 24000  # what is sent unless `honour_requested_rate`
        self.honour_requested_rate: bool = False  # obey output_format / sample_rate
        self.init_delay: float = 0.0
        self.max_text_chars: int | None = None  # None: no "Payload too large" check
        self.faults: list[Fault] = []
        self.forbidden_models: set[str] = set()
        self.models: list[dict[str, Any]] = [dict(m) for m in DEFAULT_MODELS]
        self.voices: list[dict[str, Any]] = [dict(v) for v in DEFAULT_VOICES]
        # Socket authentication: what the evidence says today, each switchable.
        self.accept_header_auth: bool = False
        self.init_key_auth: bool = True
        self.query_key_auth: bool = True
        # Socket behaviours seen in the wild.
        self.silent_socket: bool = False  # connectionInitialized, text accepted, no audio
        self.needs_flush: bool = False  # generate only on `flush: true`
        self.batches: int = 1  # >1: isFinal true at the end of every batch
        self.batch_gap: float = 0.0  # seconds between batches
        # True: a batch ends with the end marker {"audio": "", "isFinal": true} after its
        # last audio message; False: its last audio message carries isFinal.
        self.batch_end_marker: bool = False
        self.error_shape: str = "code"  # "code" {errorCode,...} | "combined" {type,errorCode}
        self.idle_sockets_hold_slots: bool = False
        # REST streaming.
        self.rest_frame_sizes: list[int] | None = None  # None: `frame_sizes`
        self.rest_wav_header: bool = False  # a streaming WAV header before the PCM
        self.voices_status: int | None = None  # /voices answers this error status instead
        self.rest_rate_in_content_type: bool = True
        # Recordings.
        self.generations: list[Generation] = []
        self.silent_texts: list[str] = []  # text a silent socket swallowed
        self.rest_peers: list[Any] = []  # client address of each REST TTS request (keep-alive)
        # Server state.
        self.ws_url_legacy: str = ""
        self.tts_url: str = ""
        self._in_progress: defaultdict[str, int] = defaultdict(int)

    async def start(self) -> None:
        """Serve as the base does; also publish the older WebSocket path's URL."""
        await super().start()
        self.ws_url_legacy = f"ws://{HOST}:{self.port}{LEGACY_WS_PATH}"
        self.tts_url = f"http://{HOST}:{self.port}{TTS_PATH}"

    def balance(self, key: str) -> float:
        """Current wallet balance of `key` (default 100.0)."""
        return self.balances.get(key, DEFAULT_BALANCE)

    @property
    def rest_tts_requests(self) -> list[RestRecord]:
        """Every REST text-to-speech request received (any outcome)."""
        return [r for r in self.rest_requests if r.path.startswith(TTS_PATH + "/")]

    # ----------------------------------------------------------------- REST

    def _add_rest_routes(self, app: web.Application) -> None:
        """The model and voice listings and the streaming text-to-speech endpoint."""
        app.router.add_get(f"{API_PREFIX}/models", self._models_handler)
        app.router.add_get(f"{API_PREFIX}/voices", self._voices_handler)
        app.router.add_post(TTS_PATH + "/{model_id}", self._tts_handler)

    def _forced_response(self, status: int) -> web.Response:
        """Faseeh's `errorCode`/`errorMessage` body."""
        return _status_response(status)

    def _rest_ok(self, request: web.Request) -> bool:
        return request.headers.get(KEY_NAME) in self.valid_keys

    async def _models_handler(self, request: web.Request) -> web.Response:
        if not self._rest_ok(request):
            return web.json_response(INVALID_KEY, status=401)
        return web.json_response(self.models)

    async def _voices_handler(self, request: web.Request) -> web.Response:
        if not self._rest_ok(request):
            return web.json_response(INVALID_KEY, status=401)
        if self.voices_status is not None:
            return self._forced_response(self.voices_status)
        return web.json_response(self.voices)

    async def _tts_handler(self, request: web.Request) -> web.StreamResponse:
        """Validate like the real API, then stream raw PCM16 (or apply a fault)."""
        if request.transport is not None:
            self.rest_peers.append(request.transport.get_extra_info("peername"))
        key = request.headers.get(KEY_NAME)
        if key not in self.valid_keys:
            return web.json_response(INVALID_KEY, status=401)
        assert key is not None
        model_id = request.match_info["model_id"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(40001, "Invalid request")
        if model_id not in {m["model_id"] for m in self.models}:
            return _error(40401, "Model not found")
        if model_id in self.forbidden_models:
            return _error(40301, "You do not have access to this model")
        voice_id = body.get("voice_id")
        if voice_id not in {v["voice_id"] for v in self.voices}:
            return _error(40401, "Voice not found")
        if (problem := _rest_body_problem(body)) is not None:
            return _error(40001, problem)
        text = str(body["text"]).strip()
        if problem := self._text_problem(text):
            return _error(40001, problem)
        required = len(text) * self.cost_per_char
        if (available := self.balance(key)) < required:
            return _error(40201, _wallet_message(required, available))
        if self._slots_taken(key) >= self.concurrency_limit:
            return _error(42901, "Concurrency limit exceeded")
        fault = self._next_fault(self.faults, self.random_rest_fault_choices)
        if fault is not None and fault.kind in ("error_code", "error_type", "close"):
            return self._rest_fault(request, fault)
        rate = int(body["sample_rate"]) if self.honour_requested_rate else self.sample_rate
        settings = {"stability": body["stability"], "speed": body.get("speed")}
        self.generations.append(
            Generation(None, text, model_id, str(voice_id), settings, "rest", rate, body["dialect"])
        )
        if self.timing is not None:
            self.timing.request(text)
        self._in_progress[key] += 1
        try:
            response, completed = await self._rest_stream(request, text, rate, fault)
        finally:
            self._in_progress[key] -= 1
        if completed:  # billed only when the generation completes
            self.balances[key] = self.balance(key) - required
        return response

    def _rest_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        """A fault that replaces the whole REST reply."""
        if fault.kind == "error_code":
            status = CODE_STATUS.get(fault.code, 500)
            return _error(fault.code, fault.message, status)
        if fault.kind == "error_type":
            return web.json_response({"type": "error", "message": fault.message}, status=500)
        # "close": the connection is reset before any response.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    async def _rest_stream(
        self, request: web.Request, text: str, rate: int, fault: Fault | None
    ) -> tuple[web.StreamResponse, bool]:
        """Stream one reply, paced as the socket is; (response, completed)."""
        content_type = (
            f"audio/raw;codec=pcm16;rate={rate};channels=1"
            if self.rest_rate_in_content_type
            else "audio/raw"
        )
        response = web.StreamResponse(status=200, headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        header = wav_header_streaming(rate) if self.rest_wav_header else b""
        completed = await self._rest_body(
            request,
            response,
            header=header,
            audio=pcm_for_text(text, rate),
            text=text,
            bytes_per_second=2 * rate,
            frame_sizes=self.rest_frame_sizes or self.frame_sizes,
            fault=fault,
        )
        return response, completed

    # ----------------------------------------------------------------- WebSocket

    def _ws_key(self, request: web.Request) -> tuple[str | None, str | None]:
        """The query form if accepted; a header only when header auth is switched on."""
        if self.query_key_auth and KEY_NAME in request.query:
            return request.query[KEY_NAME], "query"
        if self.accept_header_auth and KEY_NAME in request.headers:
            return request.headers[KEY_NAME], "header"
        return None, None

    def _new_record(self, request: web.Request, basics: ConnBasics) -> ConnRecord:
        """Faseeh's record also keeps the path (two WebSocket paths are served)."""
        return ConnRecord(path=request.path, **basics)

    def _new_conn(
        self, request: web.Request, ws: web.WebSocketResponse, record: ConnRecord, now: float
    ) -> _Conn:
        """Per-connection state with room for the initConnection settings."""
        return _Conn(request=request, ws=ws, record=record, last_activity=now)

    async def _admit(self, conn: _Conn) -> bool:
        """Check a query key now; otherwise expect it in initConnection."""
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
            # No accepted key yet (a header alone does not count): initConnection must bring it.
            init_key = obj.get("x_api_key") if is_init and self.init_key_auth else None
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
        elif kind == "clear":
            conn.buffer = ""
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
        output_format = obj.get("output_format")
        if output_format is not None and output_format not in SOCKET_FORMATS:
            problem = f"Invalid output_format: {output_format}"
        if problem is not None:
            await self._send_code_error(conn, 40001, problem)
            return
        await self._pause(conn, self.init_delay)
        conn.model_id = model_id
        conn.voice_id = voice_id
        conn.voice_settings = dict(settings)
        conn.output_format = output_format
        conn.record.init = obj
        await self._send_json(conn, {"type": "connectionInitialized"})

    async def _on_text(self, conn: _Conn, obj: dict[str, Any]) -> None:
        """Buffer text; generate for the whole buffer when triggered."""
        if conn.model_id is None:
            await self._send_type_error(conn, "Connection not initialized")
            return
        text = obj.get("text")
        if not isinstance(text, str):
            await self._send_type_error(conn, "Text is required")
            return
        conn.buffer += text
        flush = obj.get("flush") is True
        if flush or (obj.get("try_trigger_generation") and not self.needs_flush):
            if self.silent_socket:
                self.silent_texts.append(conn.buffer.strip())
                conn.buffer = ""
                return
            await self._generate(conn)

    def _text_problem(self, text: str) -> str | None:
        if len(text.split()) < 3 or len(text) < 10:
            return SHORT_TEXT_MESSAGE
        if self.max_text_chars is not None and len(text) > self.max_text_chars:
            return "Payload too large"
        return None

    def _slots_taken(self, key: str) -> int:
        """Generations in progress, plus idle initialised sockets when they hold a slot."""
        taken = self._in_progress[key]
        if self.idle_sockets_hold_slots:
            taken += sum(
                1
                for conn in self._live
                if conn.key == key and conn.model_id is not None and not conn.busy
            )
        return taken

    async def _generate(self, conn: _Conn) -> None:
        """Validate, then stream base64 PCM chunks and the final marker (or apply a fault)."""
        assert conn.key is not None and conn.model_id is not None and conn.voice_id is not None
        key = conn.key
        text = conn.buffer.strip()
        conn.buffer = ""
        if problem := self._text_problem(text):
            await self._send_code_error(conn, 40001, problem)
            return
        required = len(text) * self.cost_per_char
        available = self.balance(key)
        if available < required:
            await self._send_code_error(conn, 40201, _wallet_message(required, available))
            return
        if self._slots_taken(key) >= self.concurrency_limit:
            await self._send_code_error(conn, 42901, "Concurrency limit exceeded")
            return
        fault = self._next_fault(self.faults, self.random_fault_choices)
        rate = self.sample_rate
        if self.honour_requested_rate and conn.output_format:
            rate = int(conn.output_format.removeprefix("pcm_"))
        self.generations.append(
            Generation(
                conn.record.index,
                text,
                conn.model_id,
                conn.voice_id,
                dict(conn.voice_settings),
                "websocket",
                rate,
            )
        )
        if self.timing is not None:
            self.timing.request(text)
        self._in_progress[key] += 1
        try:
            completed = await self._stream(conn, text, rate, fault)
        finally:
            self._in_progress[key] -= 1
        if completed:  # billed only when the generation completes
            self.balances[key] = self.balance(key) - required

    async def _stream(self, conn: _Conn, text: str, rate: int, fault: Fault | None) -> bool:
        """Send one generation's audio; True if it completed, ConnectionOver if the socket ends.

        With `batches` > 1 the frames are cut into that many batches, `batch_gap` apart;
        every batch but the last ends with `isFinal: true` on its last audio message, or
        with the end marker after it (`batch_end_marker`).
        """
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
        pcm = pcm_for_text(text, rate)
        await self._pause(conn, self.first_audio_delay)
        if fault is not None:
            pcm = pcm[: fault.n]
        frame_count = len(split_frames(pcm, self.frame_sizes)) if pcm else 0
        per_batch = -(-frame_count // max(1, self.batches)) if frame_count else 1
        sent = 0

        async def send_chunk(chunk: bytes) -> None:
            nonlocal sent
            sent += 1
            batch_end = fault is None and sent % per_batch == 0 and sent < frame_count
            audio = base64.b64encode(chunk).decode("ascii")
            final_here = batch_end and not self.batch_end_marker
            await self._send_json(conn, {"audio": audio, "sampleRate": rate, "isFinal": final_here})
            if batch_end:
                if self.batch_end_marker:
                    await self._send_json(conn, {"audio": "", "sampleRate": rate, "isFinal": True})
                await self._pause(conn, self.batch_gap)

        await self._send_paced(conn, pcm, text, 2 * rate, send_chunk)
        if fault is None:
            await self._send_json(conn, {"audio": "", "sampleRate": rate, "isFinal": True})
            return True
        await self._end_cut_short(conn, fault)

    async def _send_type_error(self, conn: _Conn, message: str) -> None:
        """The `{"type":"error"}` shape Faseeh uses for protocol mistakes."""
        await self._send_json(conn, {"type": "error", "message": message})

    async def _send_code_error(self, conn: _Conn, code: int, message: str) -> None:
        """The `{"errorCode":...}` shape (or the combined one) for auth, billing and limits."""
        body: dict[str, Any] = {"errorCode": code, "errorMessage": message}
        if self.error_shape == "combined":
            body = {"type": "error", **body}
        await self._send_json(conn, body)

    async def _reject_key(self, conn: _Conn) -> None:
        """Invalid or missing key: 40101 then close 1008."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._send_code_error(conn, 40101, INVALID_KEY_MESSAGE)
        await self._close(conn, 1008, INVALID_KEY_MESSAGE)


SOCKET_FORMATS = ("pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000")


def _wallet_message(required: float, available: float) -> str:
    return f"Insufficient wallet balance. Required: ${required:.2f}, Available: ${available:.2f}"


def _error(code: int, message: str, status: int | None = None) -> web.Response:
    """A REST error with Faseeh's body and the code's HTTP status."""
    return web.json_response(
        {"errorCode": code, "errorMessage": message}, status=status or CODE_STATUS.get(code, 500)
    )


def _number_problem(value: Any, name: str, low: float, high: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{name} must be a number"
    if not low <= value <= high:
        return f"{name} must be between {low} and {high}"
    return None


def _settings_problem(settings: dict[str, Any]) -> str | None:
    """Range check of voice_settings as documented (stability 0-1, speed 0.7-1.2)."""
    ranges = {"stability": (0.0, 1.0), "similarity_boost": (0.0, 1.0), "speed": (0.7, 1.2)}
    for name, (low, high) in ranges.items():
        if name in settings and (problem := _number_problem(settings[name], name, low, high)):
            return f"Invalid voice_settings: {problem}"
    return None


def _rest_body_problem(body: dict[str, Any]) -> str | None:
    """The REST body as documented: text, stability (required), speed, streaming, rate, dialect."""
    if not isinstance(body.get("text"), str):
        return "text is required"
    if "stability" not in body:
        return "stability is required"
    if problem := _number_problem(body["stability"], "stability", 0.0, 1.0):
        return problem
    if "speed" in body and (problem := _number_problem(body["speed"], "speed", 0.7, 1.2)):
        return problem
    if body.get("streaming") is not True:
        return "this fake only streams: streaming must be true"
    rate = body.get("sample_rate")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 8000 <= rate <= 48000:
        return "sample_rate must be an integer between 8000 and 48000"
    if body.get("dialect") not in REST_DIALECTS:
        return f"dialect must be one of {', '.join(REST_DIALECTS)}"
    return None


def _status_response(status: int) -> web.Response:
    """Body for a forced status (rest_status_override)."""
    if status == 401:
        return web.json_response(INVALID_KEY, status=status)
    code = 50001 if status >= 500 else status * 100 + 1
    message = forced_status_message(status)
    return web.json_response({"errorCode": code, "errorMessage": message}, status=status)


__all__ = [
    "CLONE_VOICE",
    "DEFAULT_MODELS",
    "DEFAULT_VOICES",
    "LEGACY_WS_PATH",
    "OPAQUE_VOICE",
    "TTS_PATH",
    "WS_PATH",
    "ConnRecord",
    "FakeFaseeh",
    "Fault",
    "Generation",
    "RestRecord",
]
