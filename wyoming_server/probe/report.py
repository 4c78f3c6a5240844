"""What the probe found: steps, verdicts, and their two forms (a table, JSON).

The JSON shape is stable (``SCHEMA``; docs/probe.md documents it) and the
table is drawn from the very same data, after redaction, so both say the same thing
and neither can carry a key.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "arabic-tts-probe/1"

OK = "ok"
REFUSED = "refused"  # the provider answered and said no (key, wallet, request)
FAILED = "failed"  # no usable answer (timeout, unreachable, silent, implausible audio)
SKIPPED = "skipped"  # not run; the details say why
OUTCOMES = (OK, REFUSED, FAILED, SKIPPED)

WIDTH = 100
PROVIDER_TEXT_LIMIT = 1000  # a provider's error page is evidence, but not all of it
_COLUMNS = (("PROVIDER", 8), ("STEP", 20), ("OUTCOME", 7), ("TIMINGS", 16))
# Short names for the timings column (the JSON keeps the full ones).
_TIMING_NAMES = {"first_audio": "1st audio"}
_DETAILS_WIDTH = WIDTH - sum(width + 1 for _, width in _COLUMNS)


@dataclass
class Step:
    """One thing the probe tried, with its own time limit."""

    id: str  # stable, for JSON readers: "key", "socket_auth_header", "synthesis_rest", …
    label: str  # for people
    outcome: str = SKIPPED
    started_ms: float | None = None  # since the probe started
    duration_ms: float | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None  # our stable code (auth_failed, timeout, …)
    provider_text: str | None = None  # what the provider said, verbatim

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (docs/probe.md documents every field)."""
        return {
            "id": self.id,
            "label": self.label,
            "outcome": self.outcome,
            "started_ms": _ms(self.started_ms),
            "duration_ms": _ms(self.duration_ms),
            "timings_ms": {name: _ms(value) for name, value in self.timings_ms.items()},
            "details": list(self.details),
            "data": self.data,
            "error_code": self.error_code,
            "provider_text": _bounded(self.provider_text),
        }


@dataclass
class Verdict:
    """What the server would do with this account, and whether it can speak."""

    can_speak: bool
    transport: str | None  # "websocket" | "rest" | None (nothing works)
    summary: str
    settings: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "can_speak": self.can_speak,
            "transport": self.transport,
            "summary": self.summary,
            "settings": self.settings,
            "reasons": list(self.reasons),
            "unknown": list(self.unknown),
        }


@dataclass
class ProviderReport:
    """Everything the probe learned about one provider account."""

    provider: str  # "hamsa" | "faseeh"
    name: str  # "Hamsa" | "Faseeh"
    endpoints: dict[str, str]  # printed without their query strings
    steps: list[Step] = field(default_factory=list)
    verdict: Verdict | None = None

    def step(self, step_id: str) -> Step | None:
        """The step with this id, if it was recorded."""
        return next((step for step in self.steps if step.id == step_id), None)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "provider": self.provider,
            "name": self.name,
            "endpoints": dict(self.endpoints),
            "steps": [step.as_dict() for step in self.steps],
            "verdict": self.verdict.as_dict() if self.verdict is not None else None,
        }


@dataclass
class Report:
    """The whole run: what was allowed to cost credits, and each provider's findings."""

    version: str
    started_at: str  # ISO 8601, UTC
    synthesis: dict[str, Any]
    providers: list[ProviderReport] = field(default_factory=list)

    @property
    def can_speak(self) -> bool:
        """Whether every configured provider can speak (what the exit status says)."""
        return bool(self.providers) and all(
            report.verdict is not None and report.verdict.can_speak for report in self.providers
        )

    @property
    def exit_status(self) -> int:
        """0 when every configured provider can speak, else 1."""
        return 0 if self.can_speak else 1

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``SCHEMA``)."""
        return {
            "schema": SCHEMA,
            "version": self.version,
            "started_at": self.started_at,
            "synthesis": self.synthesis,
            "providers": [report.as_dict() for report in self.providers],
            "can_speak": self.can_speak,
            "exit_status": self.exit_status,
        }


def to_json(data: dict[str, Any]) -> str:
    """The JSON text (Arabic left readable)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_text(data: dict[str, Any]) -> str:
    """The report as plain text that fits ``WIDTH`` columns, fit to paste into a bug
    report. ``data`` is ``Report.as_dict()`` (after redaction)."""
    lines = [
        f"Arabic TTS account probe (wyoming-arabic-tts {data['version']}), {data['started_at']}",
    ]
    synthesis = data["synthesis"]
    spoken = "yes" if synthesis["allowed"] else "no"
    lines += _wrap(
        f"Synthesis: {spoken} ({synthesis['reason']}). Text: {synthesis['text']} "
        f"({synthesis['characters']} characters).",
        WIDTH,
    )
    for provider in data["providers"]:
        endpoints = ", ".join(f"{kind} {url}" for kind, url in provider["endpoints"].items())
        lines += ["", *_wrap(f"{provider['name']}: {endpoints}", WIDTH)]
    lines += ["", _row([title for title, _ in _COLUMNS] + ["DETAILS"])]
    lines.append(_row(["-" * width for _, width in _COLUMNS] + ["-" * _DETAILS_WIDTH]))
    for provider in data["providers"]:
        for step in provider["steps"]:
            lines += _step_lines(provider["name"], step)
    lines += ["", "Verdict"]
    for provider in data["providers"]:
        lines += _verdict_lines(provider["name"], provider["verdict"])
    status = data["exit_status"]
    lines += [
        "",
        f"Exit status {status}: "
        + (
            "every configured provider can speak."
            if status == 0
            else "at least one configured provider cannot speak (see the verdict)."
        ),
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _step_lines(provider: str, step: dict[str, Any]) -> list[str]:
    timings = [f"total {_duration(step['duration_ms'])}"] if step["duration_ms"] else []
    timings += [
        f"{_TIMING_NAMES.get(name, name)} {_duration(value)}"
        for name, value in step["timings_ms"].items()
    ]
    timing_lines = [line for item in timings for line in _wrap(item, _COLUMNS[3][1])]
    details = [line for item in step["details"] for line in _wrap(item, _DETAILS_WIDTH)]
    cells = [
        [provider],
        _wrap(step["label"], _COLUMNS[1][1]),
        [step["outcome"]],
        timing_lines,
        details,
    ]
    height = max(len(cell) for cell in cells)
    lines = [
        _row([cell[index] if index < len(cell) else "" for cell in cells])
        for index in range(height)
    ]
    if step["provider_text"]:
        indent = " " * (_COLUMNS[0][1] + 1)
        said = f"provider said: {step['provider_text']}"
        lines += [indent + line for line in _wrap(said, WIDTH - len(indent))]
    return lines


def _verdict_lines(provider: str, verdict: dict[str, Any] | None) -> list[str]:
    if verdict is None:
        return [f"  {provider}: no verdict"]
    state = "CAN SPEAK" if verdict["can_speak"] else "CANNOT SPEAK"
    lines = _wrap(f"{provider}: {state}. {verdict['summary']}", WIDTH - 2, indent="  ")
    settings = ", ".join(f"{name}={_value(value)}" for name, value in verdict["settings"].items())
    if settings:
        lines += _wrap(f"settings: {settings}", WIDTH - 4, indent="    ")
    for reason in verdict["reasons"]:
        lines += _wrap(f"why: {reason}", WIDTH - 4, indent="    ")
    for unknown in verdict["unknown"]:
        lines += _wrap(f"not known yet: {unknown}", WIDTH - 4, indent="    ")
    return lines


def _row(cells: list[str]) -> str:
    widths = [width for _, width in _COLUMNS] + [_DETAILS_WIDTH]
    return " ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))


def _wrap(text: str, width: int, *, indent: str = "") -> list[str]:
    """Wrapped lines; long words (URLs, ids) are broken rather than overflowing."""
    wrapped = textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + ("  " if indent else ""),
        break_long_words=True,
        break_on_hyphens=False,
    )
    return wrapped or [indent]


def _duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "(" + "; ".join(f"{key} {_value(item)}" for key, item in value.items()) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _bounded(text: str | None) -> str | None:
    """A provider's text, verbatim up to ``PROVIDER_TEXT_LIMIT`` characters."""
    if text is None or len(text) <= PROVIDER_TEXT_LIMIT:
        return text
    return text[:PROVIDER_TEXT_LIMIT] + f"… ({len(text)} characters)"


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
