"""Logging set-up with a last line of defence: API keys never reach a log line.

The core already keeps keys out of its messages and silences websockets' header logging;
this filter also catches anything a dependency might print at ``--debug``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from arabic_tts_core.redact import REDACTED, Redactor

__all__ = ["REDACTED", "RedactingFilter", "setup_logging"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Replaces every secret in a record's message and traceback text."""

    def __init__(self, secrets: Iterable[str | None], *, pieces: bool = False) -> None:
        """``pieces``: also every piece of a secret (6 characters or more), as the
        account probe's output must be; the server replaces whole secrets only."""
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pieces = Redactor(self._secrets) if pieces else None
        self._formatter = logging.Formatter()

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced."""
        if self._pieces is not None:
            return self._pieces.text(text)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def setup_logging(*, debug: bool, secrets: Iterable[str]) -> None:
    """Log to stderr (stdout may carry Wyoming events with ``stdio://``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
