"""Fake Hamsa server: realtime TTS WebSocket and the REST endpoints on one local port.

It follows /work/shared/providers.md, including the odd cases (unaligned frames, a WAV
header glued to the first frame, 640-byte glitch replies, 4001/4003 closes), so the client
code can be tested against every variant without the real service:

- the catalogue tags voices with BCP-47 (`ar-EG`), one entry and id per speaker and
  accent; `GET /v2/tts/voices` lists those built-ins (ids and `dialect.languageCode`) as
  well as clones; a built-in id is accepted as `speaker` (`accept_ids`) and its preload
  answers 404; any known name speaks in any dialect, an unknown name gets "aborted";
- every error text the real service is known to send (WebSocket payloads through
  `Fault.error`, REST `{"code", "message"}` bodies through `rest_errors`);
- a connection-rate limit (`connect_min_interval`, on by default: 1 s): a connection
  opened too soon after the previous one answers its first request with one 640-byte
  frame, then `end`;
- the REST stream `POST /v1/realtime/tts-stream` (Hamsa's own LiveKit plugin's transport):
  `Authorization: Token`, `{speaker, dialect, text, mulaw}`, chunked PCM16 at 16 kHz
  paced as the socket's frames are, errors as `{"code", "message"}`; `rest_faults` are
  its one-shot faults (`stall_after_bytes`, `drop_after_bytes`).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMessage, WSMsgType, web
from multidict import CIMultiDict

from .audio import mulaw_encode, pcm_for_text, wav_header_streaming
from .hamsa_catalog import (
    ACCEPTED_DIALECTS,
    DIALECT_TAGS,
    DIALECTS,
    CatalogVoice,
    default_catalog,
    speaker_id,
)
from .server import (
    Conn,
    ConnBasics,
    ConnectionOver,
    FakeServerBase,
    FaultBase,
    RestRecord,
    forced_status_message,
)

WS_PATH = "/v1/realtime/ws"
TTS_STREAM_PATH = "/v1/realtime/tts-stream"
# Connections opened closer together than this answer their first request with 640 bytes.
DEFAULT_CONNECT_MIN_INTERVAL = 1.0
MAX_TEXT_CHARS = 2000
SHORT_REPLY_BYTES = 640
PROJECT_ID = "project-1"

INFO_MESSAGE = "Connected to realtime WebSocket server"
ACK_MESSAGE = "Real time text to speach connection establesh"
END_MESSAGE = "End of TTS stream"
ABORTED_MESSAGE = "TTS stream error: aborted"

# Error texts the real service sends (providers.md, [3p] SpekoAI and others), verbatim.
RATE_LIMIT_MESSAGE = "Rate limit exceeded for this API key"
USAGE_LIMIT_MESSAGE = "You have reached your text-to-speech usage limit!"
INSUFFICIENT_FUNDS_MESSAGE = "Insufficient funds"
KEY_INACTIVE_MESSAGE = "API key is inactive"
NOT_OWNED_MESSAGE = "Voice not owned by this project"
INVALID_PAYLOAD_MESSAGE = "invalid payload"
INVALID_FORMAT_MESSAGE = "invalid message format"
NOT_SUPPORTED_MESSAGE = "Dialect xyz not supported"

# REST error bodies `{"code", "message"}` (HTTP status, body), verbatim from live probes.
QUOTA_BODY: tuple[int, dict[str, Any]] = (429, {"code": 10429, "message": USAGE_LIMIT_MESSAGE})
RATE_LIMIT_BODY: tuple[int, dict[str, Any]] = (429, {"code": 429, "message": RATE_LIMIT_MESSAGE})
UNAUTHORIZED_BODY: tuple[int, dict[str, Any]] = (401, {"code": 401, "message": "Unauthorized"})
SPEAKER_REQUIRED_BODY: tuple[int, dict[str, Any]] = (
    400,
    {"code": 400, "message": "speaker is required"},
)

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def is_uuid(value: object) -> bool:
    """True for a canonical 8-4-4-4-12 hex UUID string (what Hamsa uses for cloned voices)."""
    return isinstance(value, str) and _UUID_RE.match(value) is not None


@dataclass(frozen=True, slots=True)
class Fault(FaultBase):
    """One-shot misbehaviour, consumed by the next valid tts request (one per request).

    kinds: "close", "close_after_bytes", "error", "drop_after_bytes", "stall_after_bytes",
    "short_reply". Byte counts refer to the binary stream as sent (WAV header included).
    `close` replies nothing (no ack); the `*_after_bytes` kinds send the ack first.
    """

    @classmethod
    def error(cls, message: str = ABORTED_MESSAGE) -> Fault:
        """Send ack then `{"type":"error","payload":{"message":...}}`; socket stays open."""
        return cls("error", message=message)

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
    throttled: bool = False  # opened too soon after the previous one (connection-rate mode)
    opened_at: float = 0.0  # event-loop time the upgrade was accepted


@dataclass(eq=False)
class HamsaConn(Conn[ConnRecord]):
    """Runtime state of one connection: how many requests it has answered."""

    answered: int = 0


class FakeHamsa(FakeServerBase[ConnRecord, HamsaConn]):
    """Fake api.tryhamsa.com on 127.0.0.1: `async with FakeHamsa() as fake: fake.ws_url`."""

    key_header = "X-Api-Key"
    key_query = "api_key"
    ws_paths = (WS_PATH,)

    def __init__(
        self,
        valid_keys: Iterable[str] | None = None,
        empty_wallet_keys: Iterable[str] | None = None,
    ) -> None:
        """Keys in either set authenticate; empty-wallet keys get 4003 on their first tts."""
        super().__init__(valid_keys, default_key="hamsa-key", frame_size=4096)
        self.empty_wallet_keys: set[str] = set(empty_wallet_keys or ())
        # Knobs, read at the time they matter (so tests may change them while running).
        self.wav_header: bool = False
        self.wav_rate: int = 22050
        self.send_info: bool = True
        self.faults: list[Fault] = []
        # Built-in voices in `GET /v2/tts/voices/catalog` (one entry per speaker and accent).
        self.catalog: list[CatalogVoice] = default_catalog()
        # Built-in voices listed only by `GET /v2/tts/voices`, not by the catalogue.
        self.unlisted_builtins: list[CatalogVoice] = []
        # Speaker name -> the tag the catalogue shows instead of its dialect's (odd tags).
        self.catalog_tags: dict[str, str] = {}
        # Whether `GET /v2/tts/voices` lists built-in voices beside the clones.
        self.list_builtins: bool = True
        # Whether the WebSocket takes a catalogue id as `speaker` (the evidence is from REST).
        self.accept_ids: bool = True
        self.custom_voices: dict[str, str] = {}
        self.preloaded: set[str] = set()
        self.preload_status: int | None = None
        # REST path -> (status, JSON body) answered instead of the endpoint's own reply.
        self.rest_errors: dict[str, tuple[int, dict[str, Any]]] = {}
        # A forced REST stream error's JSON body sent as two chunks, a moment apart (a
        # chunked answer need not arrive in one read).
        self.error_body_in_pieces = False
        # Connection-rate limit: a connection opened less than this many seconds after the
        # previous one answers its first request with one 640-byte frame, then `end`.
        self.connect_min_interval: float | None = DEFAULT_CONNECT_MIN_INTERVAL
        self.rest_faults: list[Fault] = []  # one-shot faults of the REST stream
        self._last_accept: float | None = None
        # Recordings. Each request is its payload plus `transport` ("websocket" or "rest"),
        # `connection_index` (None over REST) and `voice_name` (the speaker name the fake
        # resolved, ids included; None if refused).
        self.requests: list[dict[str, Any]] = []
        self.short_replies: list[int] = []  # connection index of every 640-byte reply

    # ----------------------------------------------------------------- catalogue

    def builtin_voices(self) -> list[CatalogVoice]:
        """Every built-in voice the service knows (listed in the catalogue or not)."""
        return [*self.catalog, *self.unlisted_builtins]

    def voice_by_id(self, voice_id: str) -> CatalogVoice | None:
        """The built-in voice with this catalogue id."""
        return next((v for v in self.builtin_voices() if v.id == voice_id.lower()), None)

    def voice_id(self, name: str, dialect: str) -> str:
        """Catalogue id of a built-in voice (KeyError if the fake does not list it)."""
        for voice in self.builtin_voices():
            if (voice.name, voice.dialect) == (name, dialect):
                return voice.id
        raise KeyError((name, dialect))

    def _tag(self, voice: CatalogVoice) -> str:
        return self.catalog_tags.get(voice.name, voice.language)

    # ----------------------------------------------------------------- REST

    def _add_rest_routes(self, app: web.Application) -> None:
        """Project lookup, custom-voice preload and the two voice listings."""
        app.router.add_get("/v1/projects/by-api-key", self._project_handler)
        app.router.add_post("/v2/tts/voices/custom/preload", self._preload_handler)
        app.router.add_get("/v2/tts/voices/catalog", self._catalog_handler)
        app.router.add_get("/v2/tts/voices", self._voices_handler)
        app.router.add_post(TTS_STREAM_PATH, self._tts_stream_handler)

    def _forced_response(self, status: int) -> web.Response:
        """Hamsa's `{"code", "message"}` body (plus `success: false`)."""
        return _status_response(status)

    def _rest_key(self, request: web.Request) -> str | None:
        """The key if `Authorization` is exactly `Token <known key>`."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Token "):
            return None
        key = auth[len("Token ") :]
        return key if key in self.valid_keys or key in self.empty_wallet_keys else None

    def _refusal(self, request: web.Request) -> web.Response | None:
        """401 for a bad key, a configured `rest_errors` answer, or None to go on."""
        if self._rest_key(request) is None:
            return _unauthorized()
        if (forced := self.rest_errors.get(request.path)) is not None:
            status, body = forced
            return web.json_response(body, status=status)
        return None

    async def _project_handler(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        return web.json_response({"data": {"id": PROJECT_ID, "name": "Fake"}})

    async def _preload_handler(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        if self.preload_status is not None and self.preload_status != 200:
            return _status_response(self.preload_status)
        try:
            body = await request.json()
        except ValueError:
            body = None
        voice_id = body.get("voiceId") if isinstance(body, dict) else None
        if not is_uuid(voice_id):
            return _error(400, "Invalid voice id")
        assert isinstance(voice_id, str)
        known = {k.lower() for k in self.custom_voices}
        if voice_id.lower() not in known:
            # Built-in voices are not clones: there is nothing to preload.
            return _error(404, "Voice not found")
        self.preloaded.add(voice_id.lower())
        return web.json_response(
            {
                "success": True,
                "message": "Custom voice have been preloaded successfully",
                "data": [],
            }
        )

    async def _catalog_handler(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        voices = [
            {"id": v.id, "name": v.name, "language": self._tag(v), "gender": v.gender}
            for v in self.catalog
        ]
        return web.json_response({"voices": voices})

    async def _voices_handler(self, request: web.Request) -> web.Response:
        """Built-ins (with ids) and clones, `data.voices[]` of `{id, name, dialect}`."""
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("perPage", "20"))
        except ValueError:
            page = per_page = 0
        if page < 1 or per_page < 1:
            return _error(400, "Invalid pagination")
        items: list[dict[str, Any]] = []
        if self.list_builtins:
            items.extend(
                {"id": v.id, "name": v.name, "dialect": {"languageCode": self._tag(v)}}
                for v in self.builtin_voices()
            )
        items.extend(
            {"id": vid, "name": name, "dialect": None} for vid, name in self.custom_voices.items()
        )
        chunk = items[(page - 1) * per_page : page * per_page]
        return web.json_response(
            {
                "success": True,
                "data": {
                    "voices": chunk,
                    "total": len(items),
                    "page": page,
                    "perPage": per_page,
                },
            }
        )

    async def _tts_stream_handler(self, request: web.Request) -> web.StreamResponse:
        """The REST stream: validated like a socket request, then paced chunked PCM."""
        key = self._rest_key(request)
        if key is None:
            return _unauthorized()
        if (forced := self.rest_errors.get(request.path)) is not None:
            status, body = forced
            if self.error_body_in_pieces:
                return await _json_in_pieces(request, body, status)
            return web.json_response(body, status=status)
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _error(400, INVALID_PAYLOAD_MESSAGE)
        voice_name = self._speaker_name(payload.get("speaker"))
        self.requests.append(
            {**payload, "transport": "rest", "connection_index": None, "voice_name": voice_name}
        )
        if key in self.empty_wallet_keys:
            return _error(402, INSUFFICIENT_FUNDS_MESSAGE)
        if (problem := self._validate(payload, voice_name)) is not None:
            return _error(400, problem)
        text: str = payload["text"]
        if self.timing is not None:
            self.timing.request(text)
        fault = self._next_fault(self.rest_faults, self.random_rest_fault_choices)
        header, audio, bytes_per_second = self._render(payload)
        response = web.StreamResponse(status=200, headers={"Content-Type": "audio/wav"})
        response.enable_chunked_encoding()
        await self._rest_body(
            request,
            response,
            header=header,
            audio=audio,
            text=text,
            bytes_per_second=bytes_per_second,
            frame_sizes=self.frame_sizes,
            fault=fault,
        )
        return response

    def rest_tts_requests(self) -> list[dict[str, Any]]:
        """The requests that came over the REST stream."""
        return [r for r in self.requests if r["transport"] == "rest"]

    def socket_requests(self) -> list[dict[str, Any]]:
        """The requests that came over the WebSocket."""
        return [r for r in self.requests if r["transport"] == "websocket"]

    # ----------------------------------------------------------------- WebSocket

    def _new_record(self, request: web.Request, basics: ConnBasics) -> ConnRecord:
        """Hamsa records nothing about the upgrade beyond the shared basics."""
        return ConnRecord(**basics)

    def _new_conn(
        self, request: web.Request, ws: web.WebSocketResponse, record: ConnRecord, now: float
    ) -> HamsaConn:
        """Note whether this connection came too soon after the previous one."""
        limit = self.connect_min_interval
        last, self._last_accept = self._last_accept, now
        record.throttled = limit is not None and last is not None and now - last < limit
        record.opened_at = now
        return HamsaConn(request=request, ws=ws, record=record, last_activity=now)

    async def _admit(self, conn: HamsaConn) -> bool:
        """Authenticate (4001 if the key is unknown), then greet with the info message."""
        key = conn.record.key
        if key is None or (key not in self.valid_keys and key not in self.empty_wallet_keys):
            await self._close(conn, 4001, "Invalid API key")
            return False
        if self.send_info:
            await self._send_json(conn, {"type": "info", "payload": {"message": INFO_MESSAGE}})
        return True

    async def _on_message(self, conn: HamsaConn, msg: WSMessage) -> None:
        """Hamsa takes JSON text only; a binary message is an error."""
        if msg.type is WSMsgType.TEXT:
            await self._on_text(conn, msg.data)
        else:
            await self._send_error(conn, "Invalid message format")

    async def _on_text(self, conn: HamsaConn, data: str) -> None:
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
        voice_name = self._speaker_name(payload.get("speaker"))
        self.requests.append(
            {
                **payload,
                "transport": "websocket",
                "connection_index": conn.record.index,
                "voice_name": voice_name,
            }
        )
        await self._tts(conn, payload, voice_name)

    def _speaker_name(self, speaker: object) -> str | None:
        """The speaker a request names: a built-in name, a catalogue id or a loaded clone.

        Names are independent of the dialect (any speaker in any dialect). None: "aborted".
        """
        if not isinstance(speaker, str):
            return None
        if is_uuid(speaker):
            if speaker.lower() in self.preloaded:
                return self.custom_voices.get(speaker) or speaker
            voice = self.voice_by_id(speaker)
            return voice.name if voice is not None and self.accept_ids else None
        names = {voice.name for voice in self.builtin_voices()}
        return speaker if speaker in names else None

    def _validate(self, payload: dict[str, Any], voice_name: str | None) -> str | None:
        """Error message for an invalid request, or None."""
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            return "Text is required"
        if len(text) > MAX_TEXT_CHARS:
            return f"Text too long (max {MAX_TEXT_CHARS} characters)"
        if voice_name is None or payload.get("dialect") not in ACCEPTED_DIALECTS:
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

    async def _tts(self, conn: HamsaConn, payload: dict[str, Any], voice_name: str | None) -> None:
        """Answer one tts request: ack, binary frames, end (or an error / a fault)."""
        assert conn.record.key is not None
        if conn.record.key in self.empty_wallet_keys:
            await self._close(conn, 4003, "Wallet balance depleted")
            raise ConnectionOver
        problem = self._validate(payload, voice_name)
        if problem is not None:
            await self._send_json(conn, _msg("ack", ACK_MESSAGE))
            await self._send_error(conn, problem)
            return
        text: str = payload["text"]
        if self.timing is not None:
            self.timing.request(text)
        throttled = conn.record.throttled and conn.answered == 0
        conn.answered += 1
        if throttled:  # the glitch comes first; a queued fault waits for the next request
            fault: Fault | None = Fault.short_reply()
        else:
            fault = self._next_fault(self.faults, self.random_fault_choices)
        header, audio, bytes_per_second = self._render(payload)
        if fault is not None and fault.kind == "close":
            await self._close(conn, fault.code, fault.reason)
            raise ConnectionOver
        await self._send_json(conn, _msg("ack", ACK_MESSAGE))
        if fault is not None and fault.kind == "error":
            await self._send_error(conn, fault.message)
            return
        await self._pause(conn, self.first_audio_delay)
        if fault is not None and fault.kind == "short_reply":
            self.short_replies.append(conn.record.index)
            await conn.ws.send_bytes(audio[:SHORT_REPLY_BYTES])
            await self._send_json(conn, _msg("end", END_MESSAGE))
            return
        data = header + audio
        if fault is None:
            await self._send_paced(conn, data, text, bytes_per_second, conn.ws.send_bytes)
            await self._send_json(conn, _msg("end", END_MESSAGE))
            return
        await self._send_paced(conn, data[: fault.n], text, bytes_per_second, conn.ws.send_bytes)
        await self._end_cut_short(conn, fault)

    async def _send_error(self, conn: HamsaConn, message: str) -> None:
        """Hamsa's only error shape; the socket stays open."""
        await self._send_json(conn, _msg("error", message))


def _msg(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "payload": {"message": message}}


def _error(status: int, message: str) -> web.Response:
    """Hamsa's REST error body: `{"code", "message"}` (catalogue calls add `success`)."""
    return web.json_response({"success": False, "code": status, "message": message}, status=status)


def _unauthorized() -> web.Response:
    return _error(401, "Unauthorized")


def _status_response(status: int) -> web.Response:
    """Generic body for a forced status (rest_status_override / preload_status)."""
    return _error(status, forced_status_message(status))


__all__ = [
    "ABORTED_MESSAGE",
    "ACCEPTED_DIALECTS",
    "ACK_MESSAGE",
    "DEFAULT_CONNECT_MIN_INTERVAL",
    "DIALECTS",
    "DIALECT_TAGS",
    "END_MESSAGE",
    "INFO_MESSAGE",
    "INSUFFICIENT_FUNDS_MESSAGE",
    "INVALID_FORMAT_MESSAGE",
    "INVALID_PAYLOAD_MESSAGE",
    "KEY_INACTIVE_MESSAGE",
    "NOT_OWNED_MESSAGE",
    "NOT_SUPPORTED_MESSAGE",
    "PROJECT_ID",
    "QUOTA_BODY",
    "RATE_LIMIT_BODY",
    "RATE_LIMIT_MESSAGE",
    "SPEAKER_REQUIRED_BODY",
    "TTS_STREAM_PATH",
    "UNAUTHORIZED_BODY",
    "USAGE_LIMIT_MESSAGE",
    "WS_PATH",
    "CatalogVoice",
    "ConnRecord",
    "FakeHamsa",
    "Fault",
    "RestRecord",
    "is_uuid",
    "speaker_id",
]


async def _json_in_pieces(request: web.Request, body: Any, status: int) -> web.StreamResponse:
    """A JSON answer cut in two chunks, the second after a pause."""
    data = json.dumps(body).encode()
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(data[: len(data) // 2])
    await asyncio.sleep(0.05)
    await response.write(data[len(data) // 2 :])
    await response.write_eof()
    return response
