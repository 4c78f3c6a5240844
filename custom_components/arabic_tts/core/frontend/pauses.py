"""Pauses travel inside the text as one private-use character each, until a voice speaks.

SSML's ``<break>`` must survive the sentence splitter and the fallback chain, and each
engine renders it its own way (Faseeh: its ``<break time>`` tag; Hamsa and espeak-ng:
silence we insert). A marker is one code point from Unicode's Supplementary Private Use
Area-A (never in real text; not a letter or digit, so the splitter and ``has_words``
ignore it) whose offset is the pause in units of 10 ms.
"""

from __future__ import annotations

import regex as re

_BASE = 0xF0000
STEP_MS = 10
MAX_PAUSE_MS = 10_000  # longer breaks are clamped: a client cannot make us sit silent
PAUSE_RE = re.compile("[\U000f0000-\U000f03e8]")

# Faseeh reads <break time="…ms"/> itself: at most 3 s per tag and 20 tags per request.
FASEEH_MAX_BREAK_MS = 3000
FASEEH_MAX_BREAKS = 20


def pause_marker(ms: float) -> str:
    """The marker for a pause of ``ms`` milliseconds (clamped to 0–10 s, 10 ms steps)."""
    steps = round(max(0.0, min(float(ms), MAX_PAUSE_MS)) / STEP_MS)
    return chr(_BASE + steps)


def marker_ms(marker: str) -> int:
    """The pause a marker stands for, in milliseconds."""
    return (ord(marker) - _BASE) * STEP_MS


def has_pauses(text: str) -> bool:
    """True when the text carries at least one pause."""
    return PAUSE_RE.search(text) is not None


def strip_pauses(text: str) -> str:
    """The text without its pauses (for logs and engines that cannot pause)."""
    return PAUSE_RE.sub(" ", text) if has_pauses(text) else text


def split_pauses(text: str) -> list[str | int]:
    """Text pieces and pause lengths (ms) in order; pauses with only spaces between them
    are added up."""
    parts: list[str | int] = []
    position = 0
    for match in PAUSE_RE.finditer(text):
        between = text[position : match.start()]
        position = match.end()
        if between.strip():
            parts.append(between)
        elif between and parts and isinstance(parts[-1], str):
            parts[-1] += between
        if parts and isinstance(parts[-1], int):
            parts[-1] += marker_ms(match.group(0))
        else:
            parts.append(marker_ms(match.group(0)))
    if position < len(text):
        parts.append(text[position:])
    return parts


def to_break_tags(
    text: str, *, max_tag_ms: int = FASEEH_MAX_BREAK_MS, max_tags: int = FASEEH_MAX_BREAKS
) -> str:
    """Markers → ``<break time="…ms"/>`` tags within the engine's limits.

    A pause longer than one tag allows becomes several tags; once a request has used its
    tags, later pauses become a comma (a short natural pause) rather than a refusal.
    """
    if not has_pauses(text):
        return text
    out: list[str] = []
    used = 0
    for part in split_pauses(text):
        if isinstance(part, str):
            out.append(part)
            continue
        remaining = part
        while remaining > 0 and used < max_tags:
            tag_ms = min(remaining, max_tag_ms)
            out.append(f' <break time="{tag_ms}ms"/> ')
            remaining -= tag_ms
            used += 1
        if remaining > 0:
            out.append("، ")
    return "".join(out)
