"""The redaction helper both front doors use: no piece of a key survives, evidence does."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from custom_components.arabic_tts.core.errors import AuthFailed
from custom_components.arabic_tts.core.redact import (
    MIN_FRAGMENT,
    REDACTED,
    Redactor,
    redact_data,
    redact_error,
    redact_text,
    request_secrets,
    url_without_query,
)

KEY = "sk_Q7mZ2xR9vLp4TcW8"


def pieces(key: str) -> list[str]:
    """Every substring of ``key`` at least MIN_FRAGMENT long."""
    return [
        key[start:end]
        for start in range(len(key))
        for end in range(start + MIN_FRAGMENT, len(key) + 1)
    ]


def test_whole_key_and_every_piece_are_replaced() -> None:
    for piece in pieces(KEY):
        text = f"Invalid API key '{piece}' for project 42"
        redacted = redact_text(text, [KEY])
        assert piece not in redacted
        assert redacted == f"Invalid API key '{REDACTED}' for project 42"


def test_shorter_pieces_and_unrelated_text_stay() -> None:
    text = "code 40101: key sk_Q7 is invalid; model faseeh-v1-preview"
    assert redact_text(text, [KEY]) == text  # 6 characters of the key are needed


def test_two_keys_and_adjacent_pieces() -> None:
    other = "hk-9f8e7d6c5b4a"
    text = f"{KEY}{other} and {other[2:9]}"
    assert redact_text(text, [KEY, other]) == f"{REDACTED} and {REDACTED}"


def test_percent_encoded_key_in_a_url() -> None:
    key = "a+b/c=d&e f"
    url = f"wss://host/ws?x-api-key={quote(key, safe='')}"
    assert quote(key, safe="") not in redact_text(url, [key])


def test_short_keys_are_replaced_whole() -> None:
    assert redact_text("key abc refused, abcd", ["abc"]) == f"key {REDACTED} refused, {REDACTED}d"


def test_no_secret_changes_nothing() -> None:
    assert redact_text("anything", [None, ""]) == "anything"
    assert not Redactor([])


def test_data_is_walked_keys_included() -> None:
    data = {"url": f"x?k={KEY}", KEY: [KEY[:8], 3, None, ("t", KEY)], "n": 1.5}
    assert redact_data(data, [KEY]) == {
        "url": f"x?k={REDACTED}",
        REDACTED: [REDACTED, 3, None, ["t", REDACTED]],
        "n": 1.5,
    }


def test_urls_lose_query_fragment_and_credentials() -> None:
    assert (
        url_without_query(f"wss://user:{KEY}@api.example:8443/v1/ws?api_key={KEY}#x")
        == "wss://api.example:8443/v1/ws"
    )
    assert url_without_query("ws://[::1]:80/p?q=1") == "ws://[::1]:80/p"


# Keys without the marker's own letters: a piece of "**REDACTED**" is not a leak.
KEY_TEXT = st.text(st.characters(exclude_characters="*REDACT"), min_size=MIN_FRAGMENT, max_size=40)


@given(KEY_TEXT, st.text(max_size=30), st.text(max_size=30))
def test_no_piece_of_a_random_key_survives(key: str, before: str, after: str) -> None:
    redacted = redact_text(before + key + after, [key])
    assert all(piece not in redacted for piece in pieces(key))


def test_an_error_loses_the_key_in_its_message_and_provider_text() -> None:
    error = AuthFailed(f"Faseeh refused the API key (Invalid key {KEY})", provider_text=KEY)
    same = redact_error(error, [KEY])
    assert same is error
    assert KEY[:MIN_FRAGMENT] not in str(error) and KEY[-MIN_FRAGMENT:] not in str(error)
    assert error.args == (error.message,)
    assert error.provider_text == REDACTED
    assert str(error).startswith("Faseeh refused the API key (Invalid key ")


def test_a_request_carries_its_auth_header_values_and_query_values() -> None:
    url = f"wss://example.test/ws?x-api-key={quote(KEY)}&lang=ar"
    headers = {"Authorization": "Token other-key-123", "Content-Type": "application/json"}
    assert request_secrets(url, headers) == ["other-key-123", KEY]
