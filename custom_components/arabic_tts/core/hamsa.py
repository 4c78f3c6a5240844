"""Hamsa: streaming WebSocket TTS plus the REST calls around it.

One socket carries many requests strictly one after another (frames carry no request
id), so each request borrows a warm socket from the pool and gives it back after ``end``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .audio import AudioFormat, PcmChunk, PcmStreamDecoder
from .client import CloudClient
from .errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    ProviderUnavailable,
    TtsError,
    UnknownVoice,
    error_for_message,
)
from .pool import WebSocketPool
from .text import iter_for_limit
from .voices import (
    HAMSA,
    HAMSA_DEFAULT_DIALECT,
    HAMSA_DEFAULT_SPEAKER,
    HAMSA_SPEAKERS,
    Voice,
    hamsa_custom_voice,
    hamsa_voice,
)
from .websocket import RetryBeforeAudio, close_code, open_websocket, receive, send_request

_LOGGER = logging.getLogger(__name__)

DEFAULT_WS_URL = "wss://api.tryhamsa.com/v1/realtime/ws"
DEFAULT_API_URL = "https://api.tryhamsa.com"
PROVIDER = "Hamsa"

MAX_TEXT_CHARS = 2000
PCM_RATE = 16000
MULAW_RATE = 8000
# A reply shorter than this per character of text is the "one 640-byte frame" glitch.
MIN_SECONDS_PER_CHAR = 0.02
# Audio held back to judge plausibility is capped so time to first audio barely moves.
HOLDBACK_CAP_SECONDS = 0.1
ATTEMPTS = 2

CLOSE_INVALID_KEY = 4001
CLOSE_WALLET_EMPTY = 4003
CLOSE_INTERNAL_AUTH = 4500

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def is_custom_voice_id(speaker: str) -> bool:
    """Cloned voices are UUIDs; built-in speakers are names."""
    return bool(_UUID_RE.match(speaker))


@dataclass(frozen=True, slots=True)
class HamsaVoiceSettings:
    """What one Hamsa request needs besides the text."""

    speaker: str = HAMSA_DEFAULT_SPEAKER
    dialect: str = HAMSA_DEFAULT_DIALECT
    mulaw: bool = False


class HamsaClient(CloudClient):
    """Streams Hamsa speech over warm WebSockets; preloads and lists voices over REST."""

    provider = HAMSA
    provider_name = PROVIDER
    default_ws_url = DEFAULT_WS_URL
    default_api_url = DEFAULT_API_URL
    default_max_idle = 4

    def _setup(self) -> None:
        self.preloaded: set[str] = set()
        self._pool = WebSocketPool(
            self._connect,
            name=PROVIDER,
            max_idle=self.max_idle,
            no_rewarm_close_codes=frozenset({CLOSE_INVALID_KEY, CLOSE_WALLET_EMPTY}),
        )

    @property
    def pool(self) -> WebSocketPool:
        """The warm connections (exposed for diagnostics and tests)."""
        return self._pool

    # --- lifecycle ----------------------------------------------------------------------

    def start_warming(self) -> None:
        """Open a connection now so the first request pays no handshake."""
        self._pool.start_warming()

    async def close(self) -> None:
        """Close sockets, tasks and the HTTP session we own."""
        await self._pool.close()
        await super().close()

    async def _connect(self) -> ClientConnection:
        return await open_websocket(
            self._ws_url,
            headers={"X-Api-Key": self._api_key},
            provider=PROVIDER,
            timeout=self.connect_timeout,
            ssl_context=self.ssl_context,
        )

    # --- synthesis ----------------------------------------------------------------------

    async def synthesize(
        self, text: str, settings: HamsaVoiceSettings | None = None
    ) -> AsyncGenerator[PcmChunk]:
        """Speak ``text``; long text becomes several requests whose audio is concatenated."""
        settings = settings or HamsaVoiceSettings()
        if not text.strip():
            raise BadRequest("There is no text to speak.", provider=PROVIDER)
        if is_custom_voice_id(settings.speaker) and settings.speaker not in self.preloaded:
            await self._preload_before_use(settings.speaker)
        # Most requests fit in one: skip the sentence splitter (same result, less work).
        pieces = [text] if len(text) <= MAX_TEXT_CHARS else iter_for_limit(text, MAX_TEXT_CHARS)
        for piece in pieces:
            if piece.strip():
                async for chunk in self._synthesize_piece(piece.strip(), settings):
                    yield chunk

    async def _synthesize_piece(
        self, text: str, settings: HamsaVoiceSettings
    ) -> AsyncGenerator[PcmChunk]:
        last_error: TtsError | None = None
        repreloaded = False
        attempt = 0
        while attempt < ATTEMPTS:
            attempt += 1
            # A retry never takes another pooled socket: it may be as stale as the last.
            conn, reused = await self._pool.acquire(fresh=last_error is not None)
            started = time.monotonic()
            try:
                async for chunk in self._exchange(conn, text, settings):
                    yield chunk
            except RetryBeforeAudio as retry:
                last_error = retry.error
                await self._pool.discard(conn)
                _LOGGER.debug(
                    "Hamsa attempt %d (%s socket) failed before audio: %s",
                    attempt,
                    "warm" if reused else "new",
                    retry.error,
                )
                continue
            except UnknownVoice:
                await self._pool.discard(conn)
                if is_custom_voice_id(settings.speaker) and not repreloaded:
                    # A cloned voice that fell out of Hamsa's cache is preloaded again.
                    repreloaded = True
                    attempt -= 1
                    await self.preload_voice(settings.speaker)
                    continue
                raise
            except BaseException:
                await self._pool.discard(conn)
                raise
            self._pool.release(conn)
            _LOGGER.debug("Hamsa reply took %.3f s", time.monotonic() - started)
            return
        assert last_error is not None
        raise last_error

    async def _exchange(
        self, conn: ClientConnection, text: str, settings: HamsaVoiceSettings
    ) -> AsyncGenerator[PcmChunk]:
        """One request/reply on one socket; RetryBeforeAudio if nothing was yielded yet."""
        request = {
            "type": "tts",
            "payload": {
                "text": text,
                "speaker": settings.speaker,
                "dialect": settings.dialect,
                "languageId": "ar",
                "mulaw": settings.mulaw,
            },
        }
        await send_request(conn, json.dumps(request, ensure_ascii=False), self._closed_error)

        decoder = PcmStreamDecoder(
            AudioFormat(MULAW_RATE if settings.mulaw else PCM_RATE), mulaw=settings.mulaw
        )
        floor = len(text) * MIN_SECONDS_PER_CHAR
        holdback = min(floor, HOLDBACK_CAP_SECONDS)
        held: list[bytes] = []
        held_seconds = 0.0
        total_seconds = 0.0
        released = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.provider_timeout
        while True:
            message = await receive(
                conn,
                deadline,
                provider=PROVIDER,
                timeout=self.provider_timeout,
                closed_error=self._closed_error,
                audio_sent=released,
            )

            if isinstance(message, bytes):
                deadline = loop.time() + self.provider_timeout
                try:
                    pcm = decoder.feed(message)
                except ValueError as err:
                    raise ProviderError(f"Hamsa sent unusable audio ({err}).") from None
                if not pcm:
                    continue
                if released:
                    yield PcmChunk(decoder.format, pcm)
                    continue
                seconds = decoder.format.seconds(len(pcm))
                total_seconds += seconds
                held.append(pcm)
                held_seconds += seconds
                if held_seconds >= holdback:
                    released = True
                    yield PcmChunk(decoder.format, b"".join(held))
                    held.clear()
                continue

            kind, payload = _parse_message(message)
            if kind == "end":
                if tail := decoder.flush():
                    total_seconds += decoder.format.seconds(len(tail))
                    if released:
                        yield PcmChunk(decoder.format, tail)
                    else:
                        held.append(tail)
                break
            if kind == "error":
                raise self._payload_error(payload, settings)
            # "info" on connect and "ack" per request carry nothing we need.

        if not released:
            if total_seconds < floor:
                raise RetryBeforeAudio(
                    ProviderError(
                        f"Hamsa returned only {total_seconds * 1000:.0f} ms of audio for "
                        f"{len(text)} characters of text",
                        provider=PROVIDER,
                    )
                )
            if held:
                yield PcmChunk(decoder.format, b"".join(held))

    @staticmethod
    def _closed_error(err: ConnectionClosed, mid_reply: bool) -> TtsError:
        code = close_code(err)
        if code == CLOSE_INVALID_KEY:
            return AuthFailed("Hamsa refused the API key (invalid or missing).", provider=PROVIDER)
        if code == CLOSE_WALLET_EMPTY:
            return InsufficientFunds("The Hamsa wallet is empty.", provider=PROVIDER)
        if code == CLOSE_INTERNAL_AUTH:
            return ProviderError(
                "Hamsa had an internal authentication error (close code 4500).", provider=PROVIDER
            )
        where = "in the middle of a reply" if mid_reply else "before replying"
        return ProviderUnavailable(
            f"Hamsa closed the connection {where} (code {code}).", provider=PROVIDER
        )

    @staticmethod
    def _payload_error(payload: dict[str, Any], settings: HamsaVoiceSettings) -> TtsError:
        message = str(payload.get("message") or "unknown error")
        if "aborted" in message.lower():
            return UnknownVoice(
                f"Hamsa could not speak with speaker '{settings.speaker}' in dialect "
                f"'{settings.dialect}' ({message}). Check the voice and dialect; a cloned "
                "voice must be preloaded.",
                provider=PROVIDER,
            )
        return error_for_message(message, provider=PROVIDER)

    # --- REST ---------------------------------------------------------------------------

    def _rest_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self._api_key}"}

    async def validate_key(self) -> str:
        """A free call that proves the key works; returns the project id."""
        body = await self._rest(
            "GET",
            "/v1/projects/by-api-key",
            "checking the API key",
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or "id" not in data:
            raise ProviderError("Hamsa answered the key check with an unexpected body.")
        return str(data["id"])

    async def preload_voice(self, voice_id: str) -> None:
        """Ask Hamsa to load a cloned voice so the WebSocket can use it."""
        if not is_custom_voice_id(voice_id):
            raise BadRequest(f"'{voice_id}' is not a custom voice id (a UUID).", provider=PROVIDER)
        await self._rest(
            "POST",
            "/v2/tts/voices/custom/preload",
            f"preloading custom voice {voice_id}",
            json_body={"voiceId": voice_id},
            status_errors={400: UnknownVoice, 404: UnknownVoice},
        )
        self.preloaded.add(voice_id)

    async def _preload_before_use(self, voice_id: str) -> None:
        try:
            await self.preload_voice(voice_id)
        except (AuthFailed, InsufficientFunds, UnknownVoice):
            raise
        except TtsError as err:
            _LOGGER.warning("Preloading Hamsa voice %s failed (%s); trying anyway", voice_id, err)

    async def list_voices(self) -> list[Voice]:
        """Built-in speakers from the live catalogue plus the account's cloned voices."""
        voices: list[Voice] = []
        catalog = await self._rest(
            "GET",
            "/v2/tts/voices/catalog",
            "listing voices",
        )
        for entry in _list_of(catalog, "voices"):
            name = entry.get("name") or entry.get("id")
            if not isinstance(name, str):
                continue
            dialect = entry.get("language")
            gender = entry.get("gender")
            voices.append(
                hamsa_voice(
                    name,
                    dialect if isinstance(dialect, str) else HAMSA_SPEAKERS.get(name, ("",))[0],
                    gender if isinstance(gender, str) else None,
                )
            )
        custom = await self._rest(
            "GET",
            "/v2/tts/voices?page=1&perPage=100",
            "listing custom voices",
        )
        data = custom.get("data") if isinstance(custom, dict) else None
        for entry in _list_of(data, "voices"):
            voice_id = entry.get("id")
            if isinstance(voice_id, str) and is_custom_voice_id(voice_id):
                name = entry.get("name")
                voices.append(hamsa_custom_voice(voice_id, name if isinstance(name, str) else None))
        return voices


def _parse_message(message: str) -> tuple[str, dict[str, Any]]:
    try:
        data = json.loads(message)
    except ValueError:
        return "unknown", {}
    if not isinstance(data, dict):
        return "unknown", {}
    payload = data.get("payload")
    return str(data.get("type", "unknown")), payload if isinstance(payload, dict) else {}


def _list_of(container: Any, key: str) -> list[dict[str, Any]]:
    if isinstance(container, dict):
        items = container.get(key)
        if isinstance(items, list):
            return [item for item in items if isinstance(item, dict)]
    return []
