"""Faseeh (Munsit): buffered-and-triggered streaming TTS, base64 PCM back.

A socket is bound to one model, voice and voice settings by ``initConnection``, so warm
sockets are pooled per settings. Several generations run one after another on a socket,
each ending with ``isFinal``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .audio import AudioFormat, PcmChunk, SampleAligner
from .client import CloudClient
from .errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TtsError,
    error_for_message,
)
from .pool import WebSocketPool
from .voices import FASEEH_DEFAULT_MODEL, FASEEH_DEFAULT_VOICE, Voice, faseeh_voice
from .websocket import RetryBeforeAudio, close_code, open_websocket, receive, send_request

_LOGGER = logging.getLogger(__name__)

DEFAULT_WS_URL = "wss://api.faseeh.ai/api/v1/websocket/text-to-speech"
DEFAULT_API_URL = "https://api.faseeh.ai/api/v1"
PROVIDER = "Faseeh"
DEFAULT_RATE = 24000
ATTEMPTS = 2
# Faseeh refuses shorter text (40001); the streaming splitter joins pieces up to this.
MIN_WORDS = 3
MIN_CHARS = 10

_CODE_ERRORS: dict[int, type[TtsError]] = {
    40101: AuthFailed,
    40001: BadRequest,
    40201: InsufficientFunds,
    40301: BadRequest,
    42901: RateLimited,
    50001: ProviderError,
}


def error_for_code(code: int, message: str) -> TtsError:
    """Map Faseeh's numeric error codes onto the shared family."""
    if code == 40301:
        return BadRequest(
            f"This Faseeh account has no access to the chosen model ({message}).",
            provider=PROVIDER,
        )
    if code == 40101:
        return AuthFailed(f"Faseeh refused the API key ({message}).", provider=PROVIDER)
    if code == 40201:
        return InsufficientFunds(f"The Faseeh wallet is too low: {message}", provider=PROVIDER)
    if code == 42901:
        return RateLimited(
            f"Faseeh's concurrency limit for this plan was reached ({message}).",
            provider=PROVIDER,
        )
    error_type = _CODE_ERRORS.get(code)
    if error_type is None:
        return error_for_message(message, provider=PROVIDER)
    return error_type(f"Faseeh refused the request ({code}: {message}).", provider=PROVIDER)


def error_from_body(data: dict[str, Any]) -> TtsError | None:
    """Either error shape: ``{"type":"error","message"}`` or ``{"errorCode","errorMessage"}``."""
    if "errorCode" in data:
        try:
            code = int(data["errorCode"])
        except (TypeError, ValueError):
            code = 0
        return error_for_code(code, str(data.get("errorMessage") or data.get("message") or ""))
    if data.get("type") == "error":
        return error_for_message(str(data.get("message") or "unknown error"), provider=PROVIDER)
    return None


@dataclass(frozen=True, slots=True)
class FaseehVoiceSettings:
    """Everything ``initConnection`` fixes for a socket."""

    voice_id: str = FASEEH_DEFAULT_VOICE
    model_id: str = FASEEH_DEFAULT_MODEL
    stability: float | None = None
    speed: float | None = None

    def init_message(self) -> dict[str, Any]:
        """The ``initConnection`` message for these settings."""
        voice_settings: dict[str, float] = {}
        if self.stability is not None:
            voice_settings["stability"] = self.stability
        if self.speed is not None:
            voice_settings["speed"] = self.speed
        message: dict[str, Any] = {
            "type": "initConnection",
            "model_id": self.model_id,
            "voice_id": self.voice_id,
        }
        if voice_settings:
            message["voice_settings"] = voice_settings
        return message


class FaseehClient(CloudClient):
    """Streams Faseeh speech over warm, per-settings WebSockets; REST for models and voices."""

    provider = "faseeh"
    provider_name = PROVIDER
    default_ws_url = DEFAULT_WS_URL
    default_api_url = DEFAULT_API_URL

    def _setup(self) -> None:
        self._pools: dict[FaseehVoiceSettings, WebSocketPool] = {}

    def pool(self, settings: FaseehVoiceSettings) -> WebSocketPool:
        """The warm sockets initialised for ``settings``."""
        pool = self._pools.get(settings)
        if pool is None:
            pool = WebSocketPool(
                lambda: self._connect(settings), name=PROVIDER, max_idle=self.max_idle
            )
            self._pools[settings] = pool
        return pool

    def start_warming(self, settings: FaseehVoiceSettings | None = None) -> None:
        """Open and initialise a socket for ``settings`` ahead of the first request."""
        self.pool(settings or FaseehVoiceSettings()).start_warming()

    async def close(self) -> None:
        """Close every pool and the HTTP session we own."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.close()
        await super().close()

    async def _connect(self, settings: FaseehVoiceSettings) -> ClientConnection:
        conn = await open_websocket(
            self._ws_url,
            headers={"x-api-key": self._api_key},
            provider=PROVIDER,
            timeout=self.connect_timeout,
            ssl_context=self.ssl_context,
        )
        try:
            # A refused key is answered with an error message and a close; the message is
            # still readable after the close, so a failed send is not the end of the story.
            with contextlib.suppress(ConnectionClosed):
                await conn.send(json.dumps(settings.init_message()))
            async with asyncio.timeout(self.connect_timeout):
                while True:
                    data = _parse(await conn.recv())
                    if data.get("type") == "connectionInitialized":
                        return conn
                    if (error := error_from_body(data)) is not None:
                        raise error
        except TimeoutError:
            await conn.close()
            raise ProviderTimeout(
                f"Faseeh did not initialise the connection within {self.connect_timeout:g} s",
                provider=PROVIDER,
            ) from None
        except ConnectionClosed as err:
            raise ProviderUnavailable(
                f"Faseeh closed the connection while initialising it (code {close_code(err)}).",
                provider=PROVIDER,
            ) from None
        except BaseException:
            await conn.close()
            raise

    # --- synthesis ----------------------------------------------------------------------

    async def synthesize(
        self, text: str, settings: FaseehVoiceSettings | None = None
    ) -> AsyncGenerator[PcmChunk]:
        """Speak ``text`` as one generation; audio is yielded as it arrives."""
        settings = settings or FaseehVoiceSettings()
        text = text.strip()
        if not text:
            raise BadRequest("There is no text to speak.", provider=PROVIDER)
        pool = self.pool(settings)
        last_error: TtsError | None = None
        for _attempt in range(ATTEMPTS):
            try:
                # A retry never takes another pooled socket: it may be as stale as the last.
                conn, _reused = await pool.acquire(fresh=last_error is not None)
            except ProviderUnavailable as err:
                last_error = err
                continue
            try:
                async for chunk in self._generate(conn, text):
                    yield chunk
            except RetryBeforeAudio as retry:
                last_error = retry.error
                await pool.discard(conn)
                continue
            except BaseException:
                await pool.discard(conn)
                raise
            pool.release(conn)
            return
        assert last_error is not None
        raise last_error

    async def _generate(self, conn: ClientConnection, text: str) -> AsyncGenerator[PcmChunk]:
        request = {"type": "text", "text": text, "try_trigger_generation": True}
        await send_request(conn, json.dumps(request, ensure_ascii=False), self._closed_error)
        aligner = SampleAligner()
        yielded = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.provider_timeout
        while True:
            message = await receive(
                conn,
                deadline,
                provider=PROVIDER,
                timeout=self.provider_timeout,
                closed_error=self._closed_error,
                audio_sent=yielded,
            )
            data = _parse(message)
            if (body_error := error_from_body(data)) is not None:
                raise body_error
            if "audio" not in data:
                continue
            deadline = loop.time() + self.provider_timeout
            audio = data.get("audio") or ""
            rate = int(data.get("sampleRate") or DEFAULT_RATE)
            if audio:
                try:
                    decoded = base64.b64decode(audio, validate=True)
                except (binascii.Error, ValueError) as err:
                    raise ProviderError("Faseeh sent audio that is not base64.") from err
                pcm = aligner.feed(decoded)
                if pcm:
                    yielded = True
                    yield PcmChunk(AudioFormat(rate), pcm)
            if data.get("isFinal"):
                return

    @staticmethod
    def _closed_error(err: ConnectionClosed, mid_reply: bool) -> TtsError:
        where = "in the middle of a reply" if mid_reply else "before replying"
        return ProviderUnavailable(
            f"Faseeh closed the connection {where} (code {close_code(err)}).", provider=PROVIDER
        )

    # --- REST ---------------------------------------------------------------------------

    def _rest_headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key}

    async def _get(self, path: str, what: str) -> Any:
        return await self._rest("GET", path, what)

    async def validate_key(self) -> list[str]:
        """A free call that proves the key works; returns the model ids."""
        return await self.list_models()

    async def list_models(self) -> list[str]:
        """Model ids the account can see."""
        body = await self._get("/models", "listing models")
        items = body if isinstance(body, list) else (body or {}).get("models", [])
        if not isinstance(items, list):
            raise ProviderError("Faseeh answered the model list with an unexpected body.")
        return [
            str(item["model_id"]) for item in items if isinstance(item, dict) and "model_id" in item
        ]

    async def list_voices(self) -> list[Voice]:
        """Voices from the live list (best effort: callers fall back to the catalogue)."""
        body = await self._get("/voices", "listing voices")
        items = body if isinstance(body, list) else (body or {}).get("voices", [])
        voices: list[Voice] = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("voice_id"), str):
                name = item.get("name")
                voices.append(
                    faseeh_voice(item["voice_id"], name if isinstance(name, str) else None)
                )
        return voices


def _parse(message: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(message)
    except ValueError:
        raise ProviderError("Faseeh sent a message that is not JSON.", provider=PROVIDER) from None
    if not isinstance(data, dict):
        raise ProviderError("Faseeh sent an unexpected message.", provider=PROVIDER)
    return data
