"""The last few failures of an entry, kept for its diagnostics.

A support question is answered by what the provider said when the voice did not speak:
each record keeps the time, our error code and message, and the provider's own words,
with every piece of the key removed (the core's redaction, as in the account probe).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from homeassistant.util import dt as dt_util

from .core.errors import TtsError
from .core.redact import Redactor

MAX_FAILURES = 5


@dataclass(frozen=True, slots=True)
class Failure:
    """One failure as diagnostics show it."""

    time: str  # ISO 8601, UTC
    where: str  # "setup", "voices", "preload" or "speak"
    code: str  # the stable code: auth_failed, insufficient_funds, ...
    message: str  # our sentence
    provider_text: str | None  # what the provider said, verbatim (key removed)


class FailureLog:
    """The last ``MAX_FAILURES`` failures, newest last."""

    def __init__(self, secrets: Iterable[str | None], previous: FailureLog | None = None) -> None:
        """``previous``: an earlier setup's log of the same entry, carried on."""
        self._redactor = Redactor(secrets)
        self._failures: deque[Failure] = deque(maxlen=MAX_FAILURES)
        if previous is not None:
            self._failures.extend(previous._failures)

    def record(self, where: str, error: TtsError) -> None:
        """Keep one failure (the key removed from every text)."""
        redact = self._redactor.text
        self._failures.append(
            Failure(
                time=dt_util.utcnow().isoformat(timespec="seconds"),
                where=where,
                code=error.code,
                message=redact(error.message),
                provider_text=redact(error.provider_text) if error.provider_text else None,
            )
        )

    def as_list(self) -> list[dict[str, Any]]:
        """The failures as plain values, oldest first."""
        return [asdict(failure) for failure in self._failures]
