"""Faseeh over REST streaming: the transport every vendor client uses.

``POST {api_url}/text-to-speech/{model_id}`` with ``streaming: true`` answers raw PCM16 in
a chunked body whose chunks need not be sample aligned, at the rate its ``Content-Type``
names (``audio/raw;codec=pcm16;rate=24000;channels=1``). The body is relayed as it
arrives on the shared HTTP session (keep-alive: connections are reused), with the
socket's timeouts: connecting, the first byte, and every gap between chunks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator
from urllib.parse import quote

import aiohttp

from .audio import AudioFormat, PcmChunk, PcmStreamDecoder
from .errors import ProviderError, ProviderTimeout, ProviderUnavailable
from .faseeh_api import (
    PROVIDER,
    FaseehVoiceSettings,
    TransportHost,
    error_for_http,
    error_from_body,
    parse_message,
    redact,
)
from .rest import read_body_start
from .websocket import RetryBeforeAudio, stream_with_one_retry

_LOGGER = logging.getLogger(__name__)


def format_from_content_type(content_type: str | None, default_rate: int) -> AudioFormat:
    """``audio/raw;codec=pcm16;rate=24000;channels=1`` → its format (else the default rate)."""
    params: dict[str, str] = {}
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip()
    try:
        rate = int(params.get("rate", default_rate))
        channels = int(params.get("channels", 1))
    except ValueError:
        rate, channels = default_rate, 1
    if rate <= 0 or channels <= 0:
        rate, channels = default_rate, 1
    return AudioFormat(rate, channels=channels)


class FaseehRest:
    """Faseeh's streaming TTS over HTTPS (one request per generation)."""

    def __init__(self, api_key: str, api_url: str, host: TransportHost) -> None:
        self._api_key = api_key
        self._api_url = api_url.rstrip("/")
        self._host = host

    def __repr__(self) -> str:
        return f"FaseehRest(api_url={self._api_url!r})"

    async def synthesize(
        self, text: str, settings: FaseehVoiceSettings
    ) -> AsyncGenerator[PcmChunk]:
        """One generation; retried once when it fails before any audio for a passing reason
        (a reused connection the server had closed, a 5xx)."""
        stream = stream_with_one_retry(lambda: self._stream(text, settings), what="Faseeh REST")
        async with contextlib.aclosing(stream) as audio:
            async for chunk in audio:
                yield chunk

    async def _stream(self, text: str, settings: FaseehVoiceSettings) -> AsyncGenerator[PcmChunk]:
        url = f"{self._api_url}/text-to-speech/{quote(settings.model_id, safe='')}"
        provider_timeout = self._host.provider_timeout
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self._host.connect_timeout, sock_read=provider_timeout
        )
        yielded = False
        try:
            async with self._host.http_session().post(
                url,
                json=settings.rest_body(text),
                headers={"x-api-key": self._api_key},
                timeout=timeout,
            ) as response:
                content_type = response.headers.get("Content-Type", "")
                if response.status >= 400 or content_type.startswith("application/json"):
                    raise await self._error(response)
                decoder = PcmStreamDecoder(
                    format_from_content_type(content_type, settings.sample_rate)
                )
                async for data in response.content.iter_any():
                    if pcm := decoder.feed(data):
                        yielded = True
                        yield PcmChunk(decoder.format, pcm)
                if pcm := decoder.flush():
                    yielded = True
                    yield PcmChunk(decoder.format, pcm)
                if not yielded:
                    raise ProviderError("Faseeh answered without any audio.", provider=PROVIDER)
        except aiohttp.ConnectionTimeoutError:
            raise ProviderTimeout(
                f"Faseeh did not accept a connection within {self._host.connect_timeout:g} s",
                provider=PROVIDER,
            ) from None
        except TimeoutError:  # aiohttp's read timeout: no byte for provider_timeout seconds
            raise ProviderTimeout(
                f"Faseeh sent no audio for {provider_timeout:g} s", provider=PROVIDER
            ) from None
        except aiohttp.ClientError as err:
            if yielded:
                raise ProviderUnavailable(
                    "Faseeh dropped the connection in the middle of a reply "
                    f"({type(err).__name__}).",
                    provider=PROVIDER,
                ) from None
            raise RetryBeforeAudio(
                ProviderUnavailable(
                    f"cannot reach Faseeh ({type(err).__name__})", provider=PROVIDER
                )
            ) from None
        except ValueError as err:  # a WAV header we cannot use (after ClientError: some
            # of aiohttp's, such as a refused certificate, are ValueErrors too)
            raise ProviderError(
                f"Faseeh sent audio we cannot read: {err}", provider=PROVIDER
            ) from None

    async def _error(self, response: aiohttp.ClientResponse) -> Exception:
        """The error a failed answer stands for (5xx: worth one retry)."""
        body = redact(
            (await read_body_start(response)).decode("utf-8", "replace"),
            self._api_key,
        )
        if response.status < 400:  # 200 with a JSON body: an error in Faseeh's own shape
            try:
                error = error_from_body(parse_message(body), body)
            except ProviderError:
                error = None
            return error or ProviderError(
                "Faseeh answered with JSON instead of audio.", provider=PROVIDER, provider_text=body
            )
        error = error_for_http(response.status, body)
        if response.status >= 500:
            return RetryBeforeAudio(error)
        return error
