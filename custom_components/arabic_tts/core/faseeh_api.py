"""What both Faseeh (Munsit) transports share: hosts and regions, request settings, errors.

Facts and their sources are in providers.md (Faseeh section): the key goes in
``initConnection.x_api_key`` on the socket and in the ``x-api-key`` header over REST; the
socket sends base64 PCM in JSON, REST a raw PCM16 body; errors come as
``{"errorCode","errorMessage"}``, ``{"type":"error","message"}`` or both in one frame.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from .errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    TtsError,
    UnknownVoice,
    error_for_message,
)
from .redact import redact_text
from .voices import FASEEH_DEFAULT_MODEL, FASEEH_DEFAULT_VOICE

PROVIDER = "Faseeh"
DEFAULT_RATE = 24000
# Rates both transports can give: the socket's output formats (pcm_8000 … pcm_24000);
# REST takes any rate from 8000 to 48000.
SAMPLE_RATES: tuple[int, ...] = (8000, 16000, 22050, 24000)
DIALECT_AUTO = "auto"
DIALECTS: tuple[str, ...] = (DIALECT_AUTO, "emirati", "fusha")  # REST only
DEFAULT_STABILITY = 0.5  # REST marks stability required; this is the docs' default
DEFAULT_SPEED = 1.0
# Faseeh refuses shorter text (40001); the streaming splitter joins pieces up to this.
MIN_WORDS = 3
MIN_CHARS = 10
PROVIDER_TEXT_LIMIT = 500  # verbatim provider text kept for diagnostics (never the key)

TRANSPORT_AUTO = "auto"
TRANSPORT_WEBSOCKET = "websocket"
TRANSPORT_REST = "rest"
TRANSPORTS: tuple[str, ...] = (TRANSPORT_AUTO, TRANSPORT_WEBSOCKET, TRANSPORT_REST)


@dataclass(frozen=True, slots=True)
class FaseehRegion:
    """One of Faseeh's deployments; keys are issued per region and work only there."""

    name: str
    label: str
    api_url: str
    ws_url: str


REGION_GLOBAL = "global"
REGION_UAE = "uae"
REGIONS: dict[str, FaseehRegion] = {
    REGION_GLOBAL: FaseehRegion(
        REGION_GLOBAL,
        "Global",
        "https://api.faseeh.ai/api/v1",
        "wss://api.faseeh.ai/api/v1/websocket/text-to-speech",
    ),
    REGION_UAE: FaseehRegion(
        REGION_UAE,
        "UAE",
        "https://ae.api.faseeh.ai/api/v1",
        "wss://ae.api.faseeh.ai/api/v1/websocket/text-to-speech",
    ),
}
DEFAULT_WS_URL = REGIONS[REGION_GLOBAL].ws_url
DEFAULT_API_URL = REGIONS[REGION_GLOBAL].api_url


class WrongRegion(AuthFailed):
    """The key was refused here but another region accepts it: choose that region."""

    def __init__(self, message: str, *, region: FaseehRegion, provider_text: str | None) -> None:
        super().__init__(message, provider=PROVIDER, provider_text=provider_text)
        self.region = region


class UnreadableReply(ProviderError):
    """Faseeh sent something we cannot read (not JSON, not base64): a transport fault,
    unlike an error Faseeh reported itself."""


class TransportHost(Protocol):
    """What a transport borrows from the client: timeouts and the shared HTTP session."""

    provider_timeout: float
    connect_timeout: float
    ssl_context: ssl.SSLContext | None  # the caller's shared context for wss:// and https://

    def http_session(self) -> aiohttp.ClientSession:
        """The session REST requests share (keep-alive: connections are reused)."""
        ...


@dataclass(frozen=True, slots=True)
class FaseehVoiceSettings:
    """Everything one request needs besides the text.

    A socket is bound to model, voice, voice settings and output format by
    ``initConnection``, so sockets are pooled by these settings; ``dialect`` exists only
    over REST.
    """

    voice_id: str = FASEEH_DEFAULT_VOICE
    model_id: str = FASEEH_DEFAULT_MODEL
    stability: float | None = None
    speed: float | None = None
    sample_rate: int = DEFAULT_RATE
    dialect: str = DIALECT_AUTO

    def __post_init__(self) -> None:
        if self.sample_rate not in SAMPLE_RATES:
            rates = ", ".join(str(rate) for rate in SAMPLE_RATES)
            raise ValueError(f"sample rate must be one of {rates}, not {self.sample_rate}")
        if self.dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, not {self.dialect}")

    @property
    def needs_rest(self) -> bool:
        """Only REST can honour a dialect other than auto."""
        return self.dialect != DIALECT_AUTO

    def init_message(self, api_key: str) -> dict[str, Any]:
        """The ``initConnection`` message (the key inside it: never log this dict)."""
        voice_settings: dict[str, float] = {}
        if self.stability is not None:
            voice_settings["stability"] = self.stability
        if self.speed is not None:
            voice_settings["speed"] = self.speed
        message: dict[str, Any] = {
            "type": "initConnection",
            "model_id": self.model_id,
            "voice_id": self.voice_id,
            "output_format": f"pcm_{self.sample_rate}",
            "x_api_key": api_key,
        }
        if voice_settings:
            message["voice_settings"] = voice_settings
        return message

    def rest_body(self, text: str) -> dict[str, Any]:
        """The body of ``POST /text-to-speech/{model_id}`` (streamed raw PCM16)."""
        return {
            "voice_id": self.voice_id,
            "text": text,
            "stability": DEFAULT_STABILITY if self.stability is None else self.stability,
            "speed": DEFAULT_SPEED if self.speed is None else self.speed,
            "streaming": True,
            "sample_rate": self.sample_rate,
            "dialect": self.dialect,
        }


# --- errors ---------------------------------------------------------------------------


def verbatim(text: str) -> str:
    """What the provider said, bounded, for ``TtsError.provider_text``."""
    return text if len(text) <= PROVIDER_TEXT_LIMIT else text[:PROVIDER_TEXT_LIMIT] + "…"


def redact(text: str, secret: str) -> str:
    """``text`` without any piece of ``secret`` (a provider that echoes the key, or part
    of it, must not leak it)."""
    return redact_text(text, [secret])


def error_for_code(code: int, message: str, *, provider_text: str | None = None) -> TtsError:
    """Map Faseeh's numeric error codes onto the shared family."""
    options: dict[str, Any] = {"provider": PROVIDER, "provider_text": provider_text}
    if code == 40101:
        return AuthFailed(f"Faseeh refused the API key ({message}).", **options)
    if code == 40201:
        return InsufficientFunds(f"The Faseeh wallet is too low: {message}", **options)
    if code == 40301:
        return BadRequest(
            f"This Faseeh account has no access to the chosen model ({message}).", **options
        )
    if code == 40401:
        return UnknownVoice(f"Faseeh does not know this voice or model ({message}).", **options)
    if code == 42901:
        return RateLimited(
            f"Faseeh's concurrency limit for this plan was reached ({message}).", **options
        )
    if code == 40001:
        return BadRequest(f"Faseeh refused the request ({code}: {message}).", **options)
    if code == 50001:
        return ProviderError(f"Faseeh reported an internal error ({message}).", **options)
    error = error_for_message(message, provider=PROVIDER)
    error.provider_text = provider_text
    return error


def error_from_body(data: dict[str, Any], raw: str | None = None) -> TtsError | None:
    """Any of the three error shapes, or None for a message that is not an error."""
    provider_text = verbatim(raw if raw is not None else json.dumps(data, ensure_ascii=False))
    if "errorCode" in data:
        try:
            code = int(data["errorCode"])
        except (TypeError, ValueError):
            code = 0
        message = str(data.get("errorMessage") or data.get("message") or "")
        return error_for_code(code, message, provider_text=provider_text)
    if data.get("type") == "error":
        message = str(data.get("message") or data.get("errorMessage") or "unknown error")
        error = error_for_message(message, provider=PROVIDER)
        error.provider_text = provider_text
        return error
    return None


def error_for_http(status: int, body: str) -> TtsError:
    """A REST error: the status decides the code, Faseeh's body gives the words.

    403 is "no access to this model" (40301), not a bad key: a new key would not help,
    a different model would.
    """
    message = body.strip()
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = str(data.get("errorMessage") or data.get("message") or message)
    options: dict[str, Any] = {"provider": PROVIDER, "provider_text": verbatim(f"{status} {body}")}
    detail = f" ({message})" if message else ""
    if status == 401:
        return AuthFailed(f"Faseeh refused the API key{detail}.", **options)
    if status == 402:
        return InsufficientFunds(f"The Faseeh wallet is too low{detail}.", **options)
    if status == 403:
        return BadRequest(
            f"This Faseeh account has no access to the chosen model{detail}.", **options
        )
    if status == 404:
        return UnknownVoice(f"Faseeh does not know this voice or model{detail}.", **options)
    if status == 429:
        return RateLimited(
            f"Faseeh's concurrency limit for this plan was reached{detail}.", **options
        )
    if status >= 500:
        return ProviderUnavailable(f"Faseeh had a server error ({status}){detail}.", **options)
    return BadRequest(f"Faseeh refused the request ({status}){detail}.", **options)


def parse_message(message: str | bytes) -> dict[str, Any]:
    """One socket message as a dict (ProviderError for anything else)."""
    try:
        data = json.loads(message)
    except ValueError:
        message_error = "Faseeh sent a message that is not JSON."
        raise UnreadableReply(message_error, provider=PROVIDER) from None
    if not isinstance(data, dict):
        raise UnreadableReply("Faseeh sent an unexpected message.", provider=PROVIDER)
    return data
