"""Fake Hamsa server: realtime TTS WebSocket and the REST endpoints on one local port.

It follows /work/shared/providers.md, including the odd cases (unaligned frames, a WAV
header glued to the first frame, 640-byte glitch replies, 4001/4003 closes), so the client
code can be tested against every variant without the real service.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMessage, WSMsgType, web
from multidict import CIMultiDict

from .audio import mulaw_encode, pcm_for_text, wav_header_streaming
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


class FakeHamsa(FakeServerBase[ConnRecord, Conn[ConnRecord]]):
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
        self.speakers: dict[str, str] = default_speakers()
        self.custom_voices: dict[str, str] = {}
        self.preloaded: set[str] = set()
        self.preload_status: int | None = None
        # Recordings.
        self.requests: list[dict[str, Any]] = []

    # ----------------------------------------------------------------- REST

    def _add_rest_routes(self, app: web.Application) -> None:
        """Project lookup, custom-voice preload and the two voice listings."""
        app.router.add_get("/v1/projects/by-api-key", self._project_handler)
        app.router.add_post("/v2/tts/voices/custom/preload", self._preload_handler)
        app.router.add_get("/v2/tts/voices/catalog", self._catalog_handler)
        app.router.add_get("/v2/tts/voices", self._voices_handler)

    def _forced_response(self, status: int) -> web.Response:
        """Hamsa's generic `{"success": false}` body."""
        return _status_response(status)

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

    def _new_record(self, request: web.Request, basics: ConnBasics) -> ConnRecord:
        """Hamsa records nothing about the upgrade beyond the shared basics."""
        return ConnRecord(**basics)

    def _new_conn(
        self, request: web.Request, ws: web.WebSocketResponse, record: ConnRecord, now: float
    ) -> Conn[ConnRecord]:
        """Hamsa needs no per-connection state beyond the shared one."""
        return Conn(request=request, ws=ws, record=record, last_activity=now)

    async def _admit(self, conn: Conn[ConnRecord]) -> bool:
        """Authenticate (4001 if the key is unknown), then greet with the info message."""
        key = conn.record.key
        if key is None or (key not in self.valid_keys and key not in self.empty_wallet_keys):
            await self._close(conn, 4001, "Invalid API key")
            return False
        if self.send_info:
            await self._send_json(conn, {"type": "info", "payload": {"message": INFO_MESSAGE}})
        return True

    async def _on_message(self, conn: Conn[ConnRecord], msg: WSMessage) -> None:
        """Hamsa takes JSON text only; a binary message is an error."""
        if msg.type is WSMsgType.TEXT:
            await self._on_text(conn, msg.data)
        else:
            await self._send_error(conn, "Invalid message format")

    async def _on_text(self, conn: Conn[ConnRecord], data: str) -> None:
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

    async def _tts(self, conn: Conn[ConnRecord], payload: dict[str, Any]) -> None:
        """Answer one tts request: ack, binary frames, end (or an error / a fault)."""
        assert conn.record.key is not None
        if conn.record.key in self.empty_wallet_keys:
            await self._close(conn, 4003, "Wallet balance depleted")
            raise ConnectionOver
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
            raise ConnectionOver
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
            await self._send_paced(conn, data, text, bytes_per_second, conn.ws.send_bytes)
            await self._send_json(conn, _msg("end", END_MESSAGE))
            return
        await self._send_paced(conn, data[: fault.n], text, bytes_per_second, conn.ws.send_bytes)
        await self._end_cut_short(conn, fault)

    async def _send_error(self, conn: Conn[ConnRecord], message: str) -> None:
        """Hamsa's only error shape; the socket stays open."""
        await self._send_json(conn, _msg("error", message))


def _msg(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "payload": {"message": message}}


def _unauthorized() -> web.Response:
    return web.json_response({"success": False, "message": "Unauthorized"}, status=401)


def _status_response(status: int) -> web.Response:
    """Generic body for a forced status (rest_status_override / preload_status)."""
    message = forced_status_message(status)
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
