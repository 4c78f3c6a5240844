"""JSON over HTTPS with every failure mapped onto the shared error codes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from .errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TtsError,
    UnknownVoice,
    quota_exhausted,
)
from .redact import redact_error, request_secrets

_LOGGER = logging.getLogger(__name__)

ERROR_BODY_LIMIT = 4096  # an error answer's body is read up to this many bytes


async def read_body_start(response: aiohttp.ClientResponse, limit: int = ERROR_BODY_LIMIT) -> bytes:
    """The first ``limit`` bytes of a body, or all of a shorter one.

    ``content.read(limit)`` returns whatever has arrived: a chunked error answer may come in
    pieces, and half a JSON body would hide the code that tells the plan's used-up allowance
    from a passing rate limit. Bounded by the response's own read timeout.
    """
    body = bytearray()
    while len(body) < limit:
        part = await response.content.read(limit - len(body))
        if not part:
            break
        body += part
    return bytes(body)


def dicts_under(container: Any, key: str) -> list[dict[str, Any]]:
    """The objects listed under ``key`` in a provider's JSON; anything else is skipped,
    so an unexpected shape reads as an empty list rather than an exception."""
    if isinstance(container, dict):
        items = container.get(key)
        if isinstance(items, list):
            return [item for item in items if isinstance(item, dict)]
    return []


def error_for_status(status: int, detail: str, *, provider: str, what: str) -> TtsError:
    """Map an HTTP status onto the error family."""
    detail = f": {detail}" if detail else ""
    if status in (401, 403):
        return AuthFailed(f"{provider} refused the API key while {what}{detail}", provider=provider)
    if status == 402:
        return InsufficientFunds(f"{provider} wallet is empty{detail}", provider=provider)
    if status == 404:
        return UnknownVoice(f"{provider} found nothing while {what}{detail}", provider=provider)
    if status == 429:
        return RateLimited(f"{provider} is rate limiting requests{detail}", provider=provider)
    if 400 <= status < 500:
        return BadRequest(f"{provider} refused the request while {what}{detail}", provider=provider)
    if status >= 500:
        return ProviderUnavailable(
            f"{provider} had a server error ({status}) while {what}{detail}", provider=provider
        )
    return ProviderError(f"{provider} answered {status} while {what}{detail}", provider=provider)


# Hamsa answers HTTP 429 both for a rate limit ({"code": 429, ...}) and for a plan whose
# allowance is used up ({"code": 10429, "message": "You have reached your text-to-speech
# usage limit!"}): the second is not worth retrying.
QUOTA_BODY_CODE = 10429


def _is_quota(status: int, body: Any) -> bool:
    return status == 429 and isinstance(body, dict) and body.get("code") == QUOTA_BODY_CODE


def _provider_text(status: int, body: Any, detail: str) -> str:
    """The provider's own words, verbatim: status, body code and message."""
    code = body.get("code", body.get("errorCode")) if isinstance(body, dict) else None
    parts = [f"HTTP {status}", *([f"code {code}"] if code is not None else [])]
    return ", ".join(parts) + (f": {detail}" if detail else "")


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("errorMessage", "message", "error", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return ""


def http_error(
    status: int,
    body: Any,
    *,
    provider: str,
    what: str,
    status_errors: dict[int, type[TtsError]] | None = None,
) -> TtsError:
    """The error a failed answer (status and JSON body, or None) stands for, with the
    provider's own words in ``provider_text``; whoever raises it redacts the key first."""
    detail = _detail(body)
    if status_errors and status in status_errors:
        error: TtsError = status_errors[status](
            f"{provider} refused the request while {what}" + (f": {detail}" if detail else ""),
            provider=provider,
        )
    elif _is_quota(status, body):
        error = quota_exhausted(detail or "usage limit", provider=provider)
    else:
        error = error_for_status(status, detail, provider=provider, what=what)
    error.provider_text = _provider_text(status, body, detail)
    return error


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    provider: str,
    what: str,
    headers: dict[str, str],
    json_body: Any = None,
    timeout: float = 10.0,
    status_errors: dict[int, type[TtsError]] | None = None,
) -> Any:
    """Send one request and return its JSON body, raising TtsError on any failure."""
    try:
        async with asyncio.timeout(timeout):
            async with session.request(method, url, headers=headers, json=json_body) as response:
                try:
                    body: Any = await response.json(content_type=None)
                except ValueError:
                    body = None
                if response.status >= 400:
                    error = http_error(
                        response.status,
                        body,
                        provider=provider,
                        what=what,
                        status_errors=status_errors,
                    )
                    raise redact_error(error, request_secrets(url, headers))
                return body
    except TimeoutError as err:
        raise ProviderTimeout(f"{provider} did not answer in {timeout:g} s while {what}") from err
    except aiohttp.ClientError as err:
        raise ProviderUnavailable(
            f"cannot reach {provider} while {what} ({type(err).__name__})", provider=provider
        ) from err
