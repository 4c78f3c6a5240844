"""Free-text and REST provider errors onto the stable codes, with the exact texts seen live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from custom_components.arabic_tts.core.errors import (
    AuthFailed,
    BadRequest,
    InsufficientFunds,
    ProviderError,
    RateLimited,
    TtsError,
    UnknownVoice,
    error_for_message,
)
from custom_components.arabic_tts.core.rest import request_json
from tests.fakes.hamsa import (
    INSUFFICIENT_FUNDS_MESSAGE,
    INVALID_FORMAT_MESSAGE,
    INVALID_PAYLOAD_MESSAGE,
    KEY_INACTIVE_MESSAGE,
    NOT_OWNED_MESSAGE,
    NOT_SUPPORTED_MESSAGE,
    QUOTA_BODY,
    RATE_LIMIT_BODY,
    RATE_LIMIT_MESSAGE,
    SPEAKER_REQUIRED_BODY,
    UNAUTHORIZED_BODY,
    USAGE_LIMIT_MESSAGE,
    FakeHamsa,
)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (RATE_LIMIT_MESSAGE, RateLimited),  # "api key" in it, yet a rate limit
        (USAGE_LIMIT_MESSAGE, InsufficientFunds),  # "text" in it, yet the quota
        ("usage limit exceeded", InsufficientFunds),
        (INSUFFICIENT_FUNDS_MESSAGE, InsufficientFunds),
        (KEY_INACTIVE_MESSAGE, AuthFailed),
        (NOT_OWNED_MESSAGE, UnknownVoice),
        (INVALID_PAYLOAD_MESSAGE, BadRequest),
        (INVALID_FORMAT_MESSAGE, BadRequest),
        (NOT_SUPPORTED_MESSAGE, UnknownVoice),  # a dialect the service does not have
        ("speaker is required", BadRequest),
        ("Text too long (max 2000 characters)", BadRequest),
        ("Unauthorized", AuthFailed),
        ("Insufficient wallet balance", InsufficientFunds),
        ("Concurrency limit reached", RateLimited),
        ("TTS stream error: aborted", ProviderError),
        ("Something broke", ProviderError),
    ],
)
def test_error_for_message(message: str, error: type[TtsError]) -> None:
    result = error_for_message(message, provider="Hamsa")
    assert type(result) is error
    assert result.provider == "Hamsa"
    assert result.provider_text == message
    assert message in result.message


def test_usage_limit_says_the_plan_allowance_is_used_up() -> None:
    result = error_for_message(USAGE_LIMIT_MESSAGE, provider="Hamsa")
    assert "allowance is used up" in result.message
    assert "plan" in result.message


@pytest.fixture
async def fake() -> AsyncIterator[FakeHamsa]:
    async with FakeHamsa() as server:
        yield server


async def rest_error(fake: FakeHamsa, answer: tuple[int, dict[str, Any]]) -> TtsError:
    fake.rest_errors["/v1/projects/by-api-key"] = answer
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TtsError) as caught:
            await request_json(
                session,
                "GET",
                f"{fake.api_url}/v1/projects/by-api-key",
                provider="Hamsa",
                what="checking the API key",
                headers={"Authorization": "Token hamsa-key"},
            )
    return caught.value


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (QUOTA_BODY, InsufficientFunds, "HTTP 429, code 10429: " + USAGE_LIMIT_MESSAGE),
        (RATE_LIMIT_BODY, RateLimited, "HTTP 429, code 429: " + RATE_LIMIT_MESSAGE),
        (UNAUTHORIZED_BODY, AuthFailed, "HTTP 401, code 401: Unauthorized"),
        (SPEAKER_REQUIRED_BODY, BadRequest, "HTTP 400, code 400: speaker is required"),
    ],
)
async def test_rest_error_bodies(
    fake: FakeHamsa, answer: tuple[int, dict[str, Any]], error: type[TtsError], text: str
) -> None:
    result = await rest_error(fake, answer)
    assert type(result) is error
    assert result.provider_text == text
    assert str(answer[1]["message"]) in result.message


async def test_rest_quota_body_is_the_plan_allowance_not_a_rate_limit(fake: FakeHamsa) -> None:
    result = await rest_error(fake, QUOTA_BODY)
    assert "allowance is used up" in result.message
