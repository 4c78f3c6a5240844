"""Keeping API keys out of everything a person may paste somewhere: reports, diagnostics.

Replacing the whole key is not enough: a provider may echo part of it ("key abc123… is
invalid"), a URL may carry it percent-encoded, a text may be cut in the middle of it. So
every run of text that is a piece of a key at least ``MIN_FRAGMENT`` characters long is
replaced. Any such piece is covered by the key's 6-character windows, so the text is
scanned once for those windows (linear in the text, whatever the number of keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from .errors import TtsError

REDACTED = "**REDACTED**"
# The shortest piece of a key that is redacted on its own. Shorter pieces are too common
# in ordinary text ("-key-", "2026") to remove without destroying the evidence.
MIN_FRAGMENT = 6


class Redactor:
    """Removes every piece (``MIN_FRAGMENT`` characters or more) of some secrets."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        keys = {secret for secret in secrets if secret}
        # A key as it may appear in a URL, too (percent-encoded).
        keys |= {quote(key, safe="", errors="replace") for key in keys}
        self._short = sorted((key for key in keys if len(key) < MIN_FRAGMENT), key=len)[::-1]
        self._windows = {
            key[start : start + MIN_FRAGMENT]
            for key in keys
            if len(key) >= MIN_FRAGMENT
            for start in range(len(key) - MIN_FRAGMENT + 1)
        }

    def __bool__(self) -> bool:
        return bool(self._short or self._windows)

    def text(self, text: str) -> str:
        """``text`` with every key piece replaced by ``REDACTED``."""
        if not self or not text:
            return text
        covered = bytearray(len(text))
        windows = self._windows
        for start in range(len(text) - MIN_FRAGMENT + 1):
            if text[start : start + MIN_FRAGMENT] in windows:
                covered[start : start + MIN_FRAGMENT] = b"\x01" * MIN_FRAGMENT
        for key in self._short:  # keys too short for windows: whole occurrences only
            start = text.find(key)
            while start != -1:
                covered[start : start + len(key)] = b"\x01" * len(key)
                start = text.find(key, start + len(key))
        if not any(covered):
            return text
        parts: list[str] = []
        index = 0
        while index < len(text):
            if covered[index]:
                while index < len(text) and covered[index]:
                    index += 1
                parts.append(REDACTED)
            else:
                end = covered.find(1, index)
                end = len(text) if end == -1 else end
                parts.append(text[index:end])
                index = end
        return "".join(parts)

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data (dicts, lists, strings) with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.data(key): self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.data(item) for item in value]
        return value


AUTH_HEADERS = frozenset({"x-api-key", "authorization"})


def redact_text(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` without any piece of the secrets (see ``Redactor``)."""
    return Redactor(secrets).text(text)


def redact_data(value: Any, secrets: Iterable[str | None]) -> Any:
    """JSON-like ``value`` without any piece of the secrets in any string."""
    return Redactor(secrets).data(value)


def redact_error[ErrorT: TtsError](error: ErrorT, secrets: Iterable[str | None]) -> ErrorT:
    """``error`` with every piece of the secrets removed from its message and from the
    provider's words: a provider may echo the key it refused, and both end up in logs,
    Home Assistant errors and reports."""
    redactor = Redactor(secrets)
    if redactor:
        error.message = redactor.text(error.message)
        error.args = (error.message,)
        if error.provider_text:
            error.provider_text = redactor.text(error.provider_text)
    return error


def request_secrets(url: str, headers: Mapping[str, str]) -> list[str]:
    """The credentials a request carries: its auth headers' values (without a scheme
    word such as ``Token``) and its query's key or token values."""
    secrets = [
        value.split()[-1]
        for name, value in headers.items()
        if name.lower() in AUTH_HEADERS and value.split()
    ]
    secrets += [
        value
        for name, value in parse_qsl(urlsplit(url).query)
        if value and ("key" in name.lower() or "token" in name.lower())
    ]
    return secrets


def url_without_query(url: str) -> str:
    """A URL fit to print: no query string, no fragment, no user information."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
