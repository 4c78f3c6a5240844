"""Incremental sentence splitting for Arabic (and Latin) text streams.

Built on ``sentence-stream``'s boundary rules (``. ! ? … ؟`` followed by a new word, blank
lines, Latin abbreviations), with the Arabic semicolon ``؛`` as a hard boundary, a sentence
ending in an Arabic word released at its final mark without waiting for the next word, and the
commas ``، ,`` as soft boundaries used only once a clause grows long, so an LLM's long
sentences start speaking early. Pieces keep their trailing whitespace: joining every
piece gives back the text exactly, so nothing is lost or glued together.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Iterator

import regex as re
from sentence_stream.sentence_stream import (
    ABBREVIATION_RE,
    BLANK_LINES_RE,
    SENTENCE_BOUNDARY_RE,
)

ARABIC_HARD_BOUNDARY_RE = re.compile(r"؛+(?=\s+\S)")
# A sentence that ends in an Arabic word (two letters or more: "د." is an abbreviation)
# and final punctuation is complete as it stands: Arabic has no decimal points between
# letters and no capitals to wait for, so it need not wait for the next word, which in a
# language model's stream is one token (~50 ms) away.
ARABIC_SENTENCE_END_RE = re.compile(r"(?:(?=\p{Arabic})\p{L}\p{Mn}*){2}[.!؟…؛]+[\"'»)\]]*\s*$")
SOFT_BOUNDARY_RE = re.compile(r"[،,:]+(?=\s+\S)")
TRAILING_SPACE_RE = re.compile(r"\s*")

DEFAULT_SOFT_LIMIT = 160


class SentenceSplitter:
    """Feed text as it arrives; get complete sentences back as soon as they end.

    ``min_chars``/``min_words`` hold back pieces a provider would refuse as too short
    (Faseeh wants at least 3 words and 10 characters): they are joined to what follows.
    """

    def __init__(
        self, *, soft_limit: int = DEFAULT_SOFT_LIMIT, min_chars: int = 0, min_words: int = 0
    ) -> None:
        self._buffer = ""
        self._soft_limit = soft_limit
        self._min_chars = min_chars
        self._min_words = min_words

    def feed(self, chunk: str) -> list[str]:
        """Add a chunk of text; return the sentences it completed."""
        self._buffer += chunk
        pieces: list[str] = []
        while (cut := self._find_cut()) is not None:
            pieces.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
        return pieces

    def flush(self) -> list[str]:
        """End of text: return whatever is left as the last piece."""
        rest, self._buffer = self._buffer, ""
        return [rest] if rest else []

    def _long_enough(self, piece: str) -> bool:
        """Worth a request: something to say (not just punctuation) and the minimum size."""
        stripped = piece.strip()
        return (
            has_words(stripped)
            and len(stripped) >= self._min_chars
            and len(stripped.split()) >= self._min_words
        )

    def _cut_after(self, end: int) -> int:
        """Extend a boundary over the whitespace after it."""
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
    """True when the text has a letter or digit to speak (not only punctuation)."""
    return any(char.isalnum() for char in text)


def split_sentences(text: str, **options: int) -> list[str]:
    """Split a whole text into sentences (same rules as the streaming splitter)."""
    splitter = SentenceSplitter(**options)
    return splitter.feed(text) + splitter.flush()


def split_for_limit(text: str, max_chars: int) -> list[str]:
    """Split text into pieces of at most ``max_chars``, at sentence boundaries if possible.

    Sentences are packed greedily; a sentence that is itself too long is cut at a comma,
    then at whitespace, then anywhere. ``"".join(pieces) == text``.
    """
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        for part in _cut_to_limit(sentence, max_chars):
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


async def stream_sentences(chunks: AsyncIterable[str], **options: int) -> AsyncGenerator[str]:
    """Turn an async stream of text chunks into an async stream of sentences."""
    splitter = SentenceSplitter(**options)
    async for chunk in chunks:
        for sentence in splitter.feed(chunk):
            yield sentence
    for sentence in splitter.flush():
        yield sentence
