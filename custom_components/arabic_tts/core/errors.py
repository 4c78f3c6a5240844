"""One exception family with stable codes, shared by both front doors.

The Wyoming server sends ``code`` in its ``error`` event and Home Assistant maps it to
reauth, repair issues and translated errors, so the codes never change. Messages are
sentences for a person and never contain an API key.
"""

from __future__ import annotations

from typing import ClassVar


class TtsError(Exception):
    """Base class: a synthesis or account call failed for a reason the user can act on."""

    code: ClassVar[str] = "provider_error"

    def __init__(
        self, message: str, *, provider: str | None = None, provider_text: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        # What the provider itself said (error text, close code), verbatim: the evidence a
        # user pastes into a bug report. Callers that show it redact the key first.
        self.provider_text = provider_text

    def __str__(self) -> str:
        return self.message


class AuthFailed(TtsError):
    """The API key was refused."""

    code = "auth_failed"


class InsufficientFunds(TtsError):
    """The prepaid wallet cannot pay for the request."""

    code = "insufficient_funds"


class RateLimited(TtsError):
    """Too many requests or concurrent generations for the plan."""

    code = "rate_limited"


class BadRequest(TtsError):
    """The provider refused the text or settings (too short, too long, no model access)."""

    code = "bad_request"


class UnknownVoice(TtsError):
    """The voice, speaker or dialect does not exist (or a cloned voice is not preloaded)."""

    code = "unknown_voice"


class ProviderTimeout(TtsError):
    """The provider stopped answering within the configured time."""

    code = "timeout"


class ProviderUnavailable(TtsError):
    """The provider could not be reached or went away mid-reply."""

    code = "provider_unavailable"


class CircuitOpen(ProviderUnavailable):
    """Every way to reach the provider failed recently and is being checked in the
    background (breaker.py): skipped at once so the next voice can speak."""


class ProviderError(TtsError):
    """The provider reported an internal error or sent something we cannot use."""

    code = "provider_error"


ERROR_CODES: tuple[str, ...] = (
    AuthFailed.code,
    InsufficientFunds.code,
    RateLimited.code,
    BadRequest.code,
    UnknownVoice.code,
    ProviderTimeout.code,
    ProviderUnavailable.code,
    ProviderError.code,
)


def quota_exhausted(message: str, *, provider: str) -> InsufficientFunds:
    """The plan's allowance is used up: no retry helps until it renews or is upgraded."""
    return InsufficientFunds(
        f"The {provider} plan's text-to-speech allowance is used up ({message}). Upgrade the "
        "plan or wait until its allowance renews.",
        provider=provider,
        provider_text=message,
    )


# Words tested in this order: the first group that matches decides. Rate and quota words
# come before key words because Hamsa says "Rate limit exceeded for this API key", and
# request-shape words before voice words because it says "speaker is required".
_QUOTA_WORDS = ("usage limit", "quota")
_RATE_WORDS = ("rate limit", "concurren", "too many")
_FUNDS_WORDS = ("wallet", "balance", "insufficient", "credit")
_KEY_WORDS = ("api key", "apikey", "unauthori", "authenticat")
_REQUEST_WORDS = ("required", "invalid payload", "invalid message", "validation", "too long")
_VOICE_WORDS = (
    "not owned",
    "voice not found",
    "unknown voice",
    "invalid voice",
    "speaker",
    "dialect",
    "model not found",
)
_BAD_REQUEST_WORDS = ("text", "payload", "not supported", "invalid")


def error_for_message(message: str, *, provider: str) -> TtsError:
    """Classify a free-text provider error (no numeric code) by what it says.

    The provider's text is kept verbatim in ``provider_text``.
    """
    lowered = message.lower()

    def has(words: tuple[str, ...]) -> bool:
        return any(word in lowered for word in words)

    text = {"provider": provider, "provider_text": message}
    if has(_QUOTA_WORDS):
        return quota_exhausted(message, provider=provider)
    if has(_RATE_WORDS):
        return RateLimited(f"{provider} is rate limiting requests: {message}", **text)
    if has(_FUNDS_WORDS):
        return InsufficientFunds(f"{provider} wallet has insufficient balance: {message}", **text)
    if has(_KEY_WORDS):
        return AuthFailed(f"{provider} refused the API key: {message}", **text)
    if has(_REQUEST_WORDS):
        return BadRequest(f"{provider} refused the request: {message}", **text)
    if has(_VOICE_WORDS):
        return UnknownVoice(f"{provider} does not know this voice: {message}", **text)
    if has(_BAD_REQUEST_WORDS):
        return BadRequest(f"{provider} refused the request: {message}", **text)
    return ProviderError(f"{provider} reported an error: {message}", **text)
