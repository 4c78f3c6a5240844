"""The sentence splitter as it was before it was made linear: the oracle for its successor.

Kept verbatim (only renamed) so tests can prove the linear splitter cuts text exactly where
this one did, for any text and any way of chunking it.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex as re
from sentence_stream.sentence_stream import (
    ABBREVIATION_RE,
    BLANK_LINES_RE,
    SENTENCE_BOUNDARY_RE,
)

ARABIC_HARD_BOUNDARY_RE = re.compile(r"؛+(?=\s+\S)")
ARABIC_SENTENCE_END_RE = re.compile(r"(?:(?=\p{Arabic})\p{L}\p{Mn}*){2}[.!؟…؛]+[\"'»)\]]*\s*$")
SOFT_BOUNDARY_RE = re.compile(r"[،,:]+(?=\s+\S)")
TRAILING_SPACE_RE = re.compile(r"\s*")

DEFAULT_SOFT_LIMIT = 160


class ReferenceSplitter:
    """The quadratic original: rescans the whole buffer for every cut."""

    def __init__(
        self, *, soft_limit: int = DEFAULT_SOFT_LIMIT, min_chars: int = 0, min_words: int = 0
    ) -> None:
        self._buffer = ""
        self._soft_limit = soft_limit
        self._min_chars = min_chars
        self._min_words = min_words

    def feed(self, chunk: str) -> list[str]:
        self._buffer += chunk
        pieces: list[str] = []
        while (cut := self._find_cut()) is not None:
            pieces.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
        return pieces

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer, ""
        return [rest] if rest else []

    def _long_enough(self, piece: str) -> bool:
        stripped = piece.strip()
        return (
            has_words(stripped)
            and len(stripped) >= self._min_chars
            and len(stripped.split()) >= self._min_words
        )

    def _cut_after(self, end: int) -> int:
        match = TRAILING_SPACE_RE.match(self._buffer, end)
        return match.end() if match else end

    def _find_cut(self) -> int | None:
        text = self._buffer
        candidates: list[int] = []
        for match in SENTENCE_BOUNDARY_RE.finditer(text):
            if not ABBREVIATION_RE.search(text[: match.end()][-5:]):
                candidates.append(match.end())
        candidates.extend(match.end() for match in BLANK_LINES_RE.finditer(text))
        candidates.extend(match.end() for match in ARABIC_HARD_BOUNDARY_RE.finditer(text))
        for end in sorted(candidates):
            cut = self._cut_after(end)
            if cut < len(text) and text[:cut].strip() and self._long_enough(text[:cut]):
                return cut
        if ARABIC_SENTENCE_END_RE.search(text) and self._long_enough(text):
            return len(text)
        if len(text) > self._soft_limit:
            soft = [m.end() for m in SOFT_BOUNDARY_RE.finditer(text, 0, len(text))]
            for end in reversed(soft):
                cut = self._cut_after(end)
                if cut < len(text) and self._long_enough(text[:cut]):
                    return cut
        return None


def has_words(text: str) -> bool:
    return any(char.isalnum() for char in text)


def reference_split_sentences(text: str, **options: int) -> list[str]:
    splitter = ReferenceSplitter(**options)
    return splitter.feed(text) + splitter.flush()


def reference_split_for_limit(text: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in reference_split_sentences(text):
        for part in _cut_to_limit(text=sentence, max_chars=max_chars):
            if len(current) + len(part) <= max_chars:
                current += part
            else:
                if current:
                    pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _cut_to_limit(text: str, max_chars: int) -> Iterator[str]:
    while len(text) > max_chars:
        window = text[:max_chars]
        cut = 0
        for pattern in (SOFT_BOUNDARY_RE, re.compile(r"\s+")):
            ends = [m.end() for m in pattern.finditer(window)]
            if ends and ends[-1] > 0:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = max_chars
        yield text[:cut]
        text = text[cut:]
    if text:
        yield text
