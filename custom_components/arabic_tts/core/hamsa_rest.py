"""Hamsa over its REST stream: ``POST /v1/realtime/tts-stream``, chunked PCM16 at 16 kHz.

This is the transport Hamsa's own LiveKit plugin uses (hamsa-ai/hamsa_livekit): a JSON
body ``{speaker, dialect, text, mulaw}`` with ``Authorization: Token <key>``, answered
by raw PCM16 (µ-law at 8 kHz with ``mulaw``) in a chunked body; the docs' sample starts
with a streaming WAV header, so one is taken off wherever it appears. Errors are JSON
``{"code", "message"}`` with the HTTP status (providers.md); a refused speaker is "TTS
stream error: aborted" as on the socket, raised as ``Aborted`` so the client treats it
the same way (a catalogue id retried with the name, a forgotten clone preloaded again).

It needs no socket of its own: requests share the client's HTTP session (keep-alive
connections are reused), so a request that finds no warm WebSocket takes it at once
instead of waiting for a paced new socket (hamsa.py: the pool policy). One integrator
moved to it from the WebSocket to escape the 640-byte replies and the connection pacing
they needed [3p, hlanissani/demo-hamsa-2, 2026-02]; no glitch is reported for it.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Any

import aiohttp

from .audio import AudioFormat, PcmChunk, PcmStreamDecoder
from .errors import ProviderError, ProviderTimeout, ProviderUnavailable, TtsError
from .faseeh_api import TransportHost
from .hamsa_reply import MULAW_RATE, PCM_RATE, Aborted, HamsaRequest
from .redact import redact_error, redact_text, request_secrets
from .rest import http_error, read_body_start
from .websocket import RetryBeforeAudio, stream_with_one_retry

_LOGGER = logging.getLogger(__name__)

PATH = "/v1/realtime/tts-stream"


class HamsaRest:
    """Hamsa's streaming TTS over HTTPS (one request per piece of text)."""

    def __init__(
        self,
        api_key: str,
        api_url: str,
        host: TransportHost,
        *,
        redact: Callable[[TtsError], TtsError],
    ) -> None:
        self._api_key = api_key
        self._url = api_url.rstrip("/") + PATH
        self._host = host
        self._redact = redact

    def __repr__(self) -> str:
        return f"HamsaRest(url={self._url!r})"

    def body(self, request: HamsaRequest) -> dict[str, Any]:
        """The JSON body, as Hamsa's own plugin sends it."""
        return {
            "speaker": request.speaker,
            "dialect": request.dialect,
            "text": request.text,
            "mulaw": request.mulaw,
        }

    async def synthesize(self, request: HamsaRequest) -> AsyncGenerator[PcmChunk]:
        """One request; retried once when it fails before any audio for a passing reason."""
        stream = stream_with_one_retry(lambda: self._stream(request), what="Hamsa REST")
        async with contextlib.aclosing(stream) as audio:
            async for chunk in audio:
                yield chunk

    async def _stream(self, request: HamsaRequest) -> AsyncGenerator[PcmChunk]:
        host = self._host
        timeout = aiohttp.ClientTimeout(
            total=None, connect=host.connect_timeout, sock_read=host.provider_timeout
        )
        headers = {"Authorization": f"Token {self._api_key}"}
        rate = MULAW_RATE if request.mulaw else PCM_RATE
        yielded = False
        try:
            async with host.http_session().post(
                self._url, json=self.body(request), headers=headers, timeout=timeout
            ) as response:
                content_type = response.headers.get("Content-Type", "")
                if response.status >= 400 or content_type.startswith("application/json"):
                    raise await self._error(response, headers)
                decoder = PcmStreamDecoder(AudioFormat(rate), mulaw=request.mulaw)
                async for data in response.content.iter_any():
                    if pcm := decoder.feed(data):
                        yielded = True
                        yield PcmChunk(decoder.format, pcm)
                if pcm := decoder.flush():
                    yielded = True
                    yield PcmChunk(decoder.format, pcm)
                if not yielded:
                    raise ProviderError("Hamsa answered without any audio.", provider="Hamsa")
        except aiohttp.ConnectionTimeoutError:
            raise ProviderTimeout(
                f"Hamsa did not accept a connection within {host.connect_timeout:g} s",
                provider="Hamsa",
            ) from None
        except TimeoutError:  # aiohttp's read timeout: no byte for provider_timeout seconds
            raise ProviderTimeout(
                f"Hamsa sent no audio for {host.provider_timeout:g} s", provider="Hamsa"
            ) from None
        except aiohttp.ClientError as err:
            error = ProviderUnavailable(
                f"Hamsa dropped the connection in the middle of a reply ({type(err).__name__})."
                if yielded
                else f"cannot reach Hamsa ({type(err).__name__})",
                provider="Hamsa",
            )
            if yielded:
                raise error from None
            raise RetryBeforeAudio(error) from None
        except ValueError as err:  # a WAV header we cannot use (after ClientError: some
            # of aiohttp's, such as a refused certificate, are ValueErrors too)
            raise ProviderError(
                f"Hamsa sent audio we cannot read: {err}", provider="Hamsa"
            ) from None

    async def _error(self, response: aiohttp.ClientResponse, headers: dict[str, str]) -> Exception:
        """The error a failed answer stands for (5xx: worth one retry)."""
        raw = await read_body_start(response)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = {"message": raw.decode("utf-8", "replace").strip()} if raw else None
        status = response.status
        if status < 400:  # 200 with a JSON body: an error in Hamsa's own shape
            message = body.get("message") if isinstance(body, dict) else None
            return self._redact(
                ProviderError(
                    "Hamsa answered with JSON instead of audio"
                    + (f": {message}" if isinstance(message, str) else "."),
                    provider="Hamsa",
                    provider_text=raw[:500].decode("utf-8", "replace"),
                )
            )
        message = body.get("message") if isinstance(body, dict) else None
        if 400 <= status < 500 and isinstance(message, str) and "aborted" in message.lower():
            return Aborted(redact_text(message, [self._api_key]))
        error = http_error(status, body, provider="Hamsa", what="speaking")
        error = redact_error(self._redact(error), request_secrets(self._url, headers))
        if status >= 500:
            return RetryBeforeAudio(error)
        return error
