"""Incremental sentence splitting for Arabic (and Latin) text streams, in linear time.

Built on ``sentence-stream``'s boundary rules (``. ! ? … ؟`` followed by a new word, blank
lines, Latin abbreviations), with the Arabic semicolon ``؛`` as a hard boundary, a sentence
ending in an Arabic word released at its final mark without waiting for the next word, and the
commas ``، ,`` as soft boundaries used only once a clause grows long, so an LLM's long
sentences start speaking early. Pieces keep their trailing whitespace: joining every
piece gives back the text exactly, so nothing is lost or glued together.

The splitter never rescans text it has already judged: each boundary pattern resumes where
it stopped (a boundary the text so far cannot decide yet, such as ``.`` at the very end, is
looked at again when more text arrives), and "is this piece long enough" is a threshold
found once per piece. A whole text, or a chunk of any size, costs time proportional to its
length, so a 100,000-character request cannot hold the event loop.
"""

from __future__ import annotations

import asyncio
import heapq
import time
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
# language model's stream is one token (~50 ms) away. Matched backwards from the end of
# the text, so the check costs the length of the ending, not of the text.
ARABIC_SENTENCE_END_RE = re.compile(r"(?r)(?:(?=\p{Arabic})\p{L}\p{Mn}*){2}[.!؟…؛]+[\"'»)\]]*\s*$")
SOFT_BOUNDARY_RE = re.compile(r"[،,:]+(?=\s+\S)")
TRAILING_SPACE_RE = re.compile(r"\s*")
ENDING_SPACE_RE = re.compile(r"(?r)\s*")  # the whitespace a text ends with
ALL_SPACE_RE = re.compile(r"\s*")
SPACE_RUN_RE = re.compile(r"\s+")

# What Python's str.strip() and str.split() treat as whitespace (str.isspace), which is
# what "long enough" counts words and characters with; `\s` in `regex` lacks \x1c-\x1f.
PY_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
PY_NON_SPACE_RE = re.compile(f"[^{PY_SPACE}]")
PY_WORD_RE = re.compile(f"[^{PY_SPACE}]+")
# Every str.isalnum() character is a letter or a number; confirmed with isalnum().
MAYBE_ALNUM_RE = re.compile(r"[\p{L}\p{N}]")

DEFAULT_SOFT_LIMIT = 160
# A piece with no boundary at all is cut (at a comma, else a space) once it is this long:
# the most any provider takes in one request (Hamsa: 2000), and a bound on the work per chunk.
MAX_PIECE_CHARS = 2000
# A large chunk is taken in steps of this size, so sentences come out while the rest is read.
FEED_STEP = 1024


class _BoundaryScan:
    """One boundary pattern, scanned incrementally.

    Each complete match is reported once. A match the text so far cannot decide (a ``.``
    at the very end, a ``؛`` followed only by spaces) is a *partial* match to ``regex``:
    scanning resumes at its start when more text arrives, and never earlier.
    """

    __slots__ = ("pattern", "resume")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.resume = 0

    def scan(self, text: str, start: int, end: int) -> list[int]:
        """Ends of the complete matches in ``text[start:end]`` not reported before."""
        ends: list[int] = []
        resume = end
        for match in self.pattern.finditer(text, max(self.resume, start), end, partial=True):
            if match.partial:
                resume = match.start()
                break
            ends.append(match.end())
        self.resume = resume
        return ends

    def shift(self, offset: int) -> None:
        self.resume = max(0, self.resume - offset)


class _PieceMeasure:
    """Where a piece becomes long enough to be worth a request, found once per piece.

    "Long enough" (something to say, ``min_chars`` after stripping, ``min_words``) only
    grows as a piece grows, so it holds for ``text[start:cut]`` exactly when ``cut`` is at
    least a threshold. Each part of the threshold is searched for from where the last
    search stopped.
    """

    __slots__ = (
        "_alnum_at",
        "_alnum_from",
        "_chars_at",
        "_first_text",
        "_in_word",
        "_min_chars",
        "_min_words",
        "_text_from",
        "_word_from",
        "_words",
        "_words_at",
    )

    def __init__(self, min_chars: int, min_words: int) -> None:
        self._min_chars = min_chars
        self._min_words = min_words
        self.reset(0)

    @property
    def has_minimum(self) -> bool:
        """True when a piece must reach a size before it may be sent."""
        return self._min_chars > 0 or self._min_words > 0

    def copy_empty(self) -> _PieceMeasure:
        """A measure with the same limits and no text seen."""
        return _PieceMeasure(self._min_chars, self._min_words)

    def reset(self, start: int) -> None:
        """A new piece starts at ``start``."""
        self._alnum_from = start
        self._alnum_at: int | None = None
        self._text_from = start
        self._first_text: int | None = None
        self._chars_at: int | None = None if self._min_chars > 0 else start
        self._word_from = start
        self._words = 0
        self._in_word = False
        self._words_at: int | None = None if self._min_words > 0 else start

    def shift(self, offset: int) -> None:
        """The text lost its first ``offset`` characters."""
        self._alnum_from -= offset
        self._text_from -= offset
        self._word_from -= offset
        if self._alnum_at is not None:
            self._alnum_at -= offset
        if self._first_text is not None:
            self._first_text -= offset
        if self._chars_at is not None:
            self._chars_at -= offset
        if self._words_at is not None:
            self._words_at -= offset

    def threshold(self, text: str, end: int) -> int | None:
        """The shortest prefix end that is long enough, or None if none is yet."""
        if self._alnum_at is None:
            self._find_alnum(text, end)
        if self._chars_at is None:
            self._find_chars(text, end)
        if self._words_at is None:
            self._find_words(text, end)
        if self._alnum_at is None or self._chars_at is None or self._words_at is None:
            return None
        return max(self._alnum_at, self._chars_at, self._words_at)

    def _find_alnum(self, text: str, end: int) -> None:
        position = self._alnum_from
        while (match := MAYBE_ALNUM_RE.search(text, position, end)) is not None:
            position = match.end()
            if match.group().isalnum():
                self._alnum_at = position
                return
        self._alnum_from = end

    def _find_chars(self, text: str, end: int) -> None:
        if self._first_text is None:
            match = PY_NON_SPACE_RE.search(text, self._text_from, end)
            if match is None:
                self._text_from = end
                return
            self._first_text = match.start()
            self._text_from = self._first_text + self._min_chars - 1
        match = PY_NON_SPACE_RE.search(text, max(self._text_from, self._first_text), end)
        if match is None:
            self._text_from = max(self._text_from, end)
            return
        self._chars_at = match.end()

    def _find_words(self, text: str, end: int) -> None:
        for match in PY_WORD_RE.finditer(text, self._word_from, end):
            if self._in_word and match.start() == self._word_from:
                continue  # the word the last search stopped in goes on
            self._words += 1
            if self._words == self._min_words:
                self._words_at = match.start() + 1
                return
        if end > self._word_from:
            self._in_word = not text[end - 1].isspace()
            self._word_from = end


class SentenceSplitter:
    """Feed text as it arrives; get complete sentences back as soon as they end.

    ``min_chars``/``min_words`` hold back pieces a provider would refuse as too short
    (Faseeh wants at least 3 words and 10 characters): they are joined to what follows.
    A piece with no boundary for ``max_chars`` characters is cut at a comma or a space.
    """

    def __init__(
        self,
        *,
        soft_limit: int = DEFAULT_SOFT_LIMIT,
        min_chars: int = 0,
        min_words: int = 0,
        max_chars: int = MAX_PIECE_CHARS,
        step: int = FEED_STEP,
    ) -> None:
        self._soft_limit = soft_limit
        self._max_chars = max_chars
        self._step = step
        # text[start:] is the piece being built; text[:start] is spoken and dropped lazily.
        self._text = ""
        self._start = 0
        self._hard = [
            _BoundaryScan(SENTENCE_BOUNDARY_RE),
            _BoundaryScan(BLANK_LINES_RE),
            _BoundaryScan(ARABIC_HARD_BOUNDARY_RE),
        ]
        self._soft = _BoundaryScan(SOFT_BOUNDARY_RE)
        self._boundaries: list[int] = []  # heap: ends of hard boundaries not judged yet
        self._last_soft: int | None = None
        self._space_from = 0  # the text ends with whitespace from here
        self._measure = _PieceMeasure(min_chars, min_words)

    def feed(self, chunk: str) -> list[str]:
        """Add a chunk of text; return the sentences it completed."""
        return list(self.feed_iter(chunk))

    def feed_iter(self, chunk: str) -> Iterator[str]:
        """Like ``feed``, but yields each sentence as soon as it is found."""
        for offset in range(0, len(chunk), self._step):
            self._append(chunk[offset : offset + self._step])
            while (cut := self._hard_cut()) is not None or (cut := self._forced_cut()) is not None:
                yield self._take(cut)
        # Only at the end of what the caller gave: the rules that look at the end of the text.
        while (cut := self._find_cut()) is not None:
            yield self._take(cut)

    @property
    def has_minimum(self) -> bool:
        """True when pieces have a minimum size (a provider refuses shorter text)."""
        return self._measure.has_minimum

    def rest_long_enough_alone(self, text: str) -> bool:
        """True when ``text`` on its own reaches this splitter's minimum size."""
        return self._measure.copy_empty().threshold(text, len(text)) is not None

    def rest_long_enough(self) -> bool:
        """True when the text after the last piece could already be a piece of its own."""
        return self._measure.threshold(self._text, len(self._text)) is not None

    def flush(self) -> list[str]:
        """End of text: return whatever is left as the last piece."""
        rest = self._text[self._start :]
        self._text = ""
        self._start = 0
        self._reset_piece()
        return [rest] if rest else []

    # --- text and state --------------------------------------------------------------------

    def _append(self, part: str) -> None:
        text = self._text
        old_end = len(text)
        only_space = ALL_SPACE_RE.fullmatch(part) is not None
        ended_in_space = old_end > self._start and self._space_from < old_end
        self._text = text = text + part
        end = len(text)
        if not only_space:
            ending = ENDING_SPACE_RE.match(text, old_end, end)
            self._space_from = ending.start() if ending is not None else end
        elif not ended_in_space:
            self._space_from = old_end
        if only_space and ended_in_space:
            # Whitespace after whitespace decides no boundary: every boundary pattern needs
            # a following word, and the ones already waiting keep waiting.
            return
        start = self._start
        for scan in self._hard:
            for boundary in scan.scan(text, start, end):
                if scan.pattern is SENTENCE_BOUNDARY_RE and ABBREVIATION_RE.search(
                    text, max(start, boundary - 5), boundary
                ):
                    continue  # "Dr." or "U.S.": no sentence ends here
                heapq.heappush(self._boundaries, boundary)
        soft = self._soft.scan(text, start, end)
        if soft:
            self._last_soft = soft[-1]

    def _take(self, cut: int) -> str:
        """Cut the piece at ``cut`` and start the next one there."""
        piece = self._text[self._start : cut]
        self._start = cut
        self._reset_piece()
        if cut > len(self._text) // 2 and cut > self._max_chars:
            self._compact()
        return piece

    def _reset_piece(self) -> None:
        start = self._start
        self._measure.reset(start)
        self._space_from = max(self._space_from, start)
        for scan in (*self._hard, self._soft):
            scan.resume = max(scan.resume, start)
        if self._last_soft is not None and self._last_soft <= start:
            self._last_soft = None

    def _compact(self) -> None:
        """Drop the spoken text so the buffer stays the size of one piece."""
        offset = self._start
        self._text = self._text[offset:]
        self._start = 0
        self._space_from -= offset
        self._boundaries = [end - offset for end in self._boundaries if end > offset]
        heapq.heapify(self._boundaries)
        if self._last_soft is not None:
            self._last_soft -= offset
        for scan in (*self._hard, self._soft):
            scan.shift(offset)
        self._measure.shift(offset)

    # --- where to cut ------------------------------------------------------------------------

    def _cut_after(self, end: int) -> int:
        """Extend a boundary over the whitespace after it."""
        match = TRAILING_SPACE_RE.match(self._text, end)
        return match.end() if match else end

    def _hard_cut(self) -> int | None:
        """The first sentence end followed by more text, once the piece is long enough."""
        boundaries = self._boundaries
        while boundaries:
            end = boundaries[0]
            if end <= self._start:
                heapq.heappop(boundaries)  # inside a piece already cut
                continue
            if end >= self._space_from:
                return None  # only whitespace follows yet: wait for the next word
            heapq.heappop(boundaries)
            cut = self._cut_after(end)
            threshold = self._measure.threshold(self._text, len(self._text))
            if threshold is not None and cut >= threshold:
                return cut
        return None

    def _find_cut(self) -> int | None:
        if (cut := self._hard_cut()) is not None:
            return cut
        text, start, end = self._text, self._start, len(self._text)
        if end == start:
            return None
        threshold = self._measure.threshold(text, end)
        if threshold is None:
            return self._forced_cut()
        if ARABIC_SENTENCE_END_RE.match(text, start, end):
            return end
        if end - start > self._soft_limit and self._last_soft is not None:
            cut = self._cut_after(self._last_soft)
            if cut < end and cut >= threshold:
                return cut
        return self._forced_cut()

    def _forced_cut(self) -> int | None:
        """A piece that grew past ``max_chars`` with no boundary: cut it at a comma or space."""
        if len(self._text) - self._start <= self._max_chars:
            return None
        return _limit_cut(self._text, self._start, self._start + self._max_chars)


def has_words(text: str) -> bool:
    """True when the text has a letter or digit to speak (not only punctuation)."""
    return any(map(str.isalnum, text))


def iter_sentences(text: str, **options: int) -> Iterator[str]:
    """Split a whole text into sentences, lazily (same rules as the streaming splitter)."""
    splitter = SentenceSplitter(**options)
    yield from splitter.feed_iter(text)
    yield from splitter.flush()


def split_sentences(text: str, **options: int) -> list[str]:
    """Split a whole text into sentences (same rules as the streaming splitter)."""
    return list(iter_sentences(text, **options))


def iter_for_limit(text: str, max_chars: int) -> Iterator[str]:
    """Pieces of at most ``max_chars``, at sentence boundaries if possible, lazily.

    Sentences are packed greedily; a sentence that is itself too long is cut at a comma,
    then at whitespace, then anywhere. ``"".join(pieces) == text``.
    """
    current = ""
    for sentence in iter_sentences(text):
        for part in _cut_to_limit(sentence, max_chars):
            if len(current) + len(part) <= max_chars:
                current += part
            else:
                if current:
                    yield current
                current = part
    if current:
        yield current


def split_for_limit(text: str, max_chars: int) -> list[str]:
    """Every piece of ``iter_for_limit`` at once."""
    return list(iter_for_limit(text, max_chars))


def _cut_to_limit(text: str, max_chars: int) -> Iterator[str]:
    start = 0
    while len(text) - start > max_chars:
        cut = _limit_cut(text, start, start + max_chars)
        yield text[start:cut]
        start = cut
    if start < len(text):
        yield text[start:]


def _limit_cut(text: str, start: int, end: int) -> int:
    """Where to cut ``text[start:]`` so the piece ends by ``end``: the last comma, else the
    last whitespace, else ``end`` itself (the window ends at ``end`` for the lookaheads)."""
    for pattern in (SOFT_BOUNDARY_RE, SPACE_RUN_RE):
        last = start
        for match in pattern.finditer(text, start, end):
            last = match.end()
        if last > start:
            return last
    return end


# How long text processing may keep the event loop before letting other clients in.
LOOP_SLICE = 0.002
clock = time.perf_counter  # read through the module, so tests can give it a clock of their own


async def stream_sentences(chunks: AsyncIterable[str], **options: int) -> AsyncGenerator[str]:
    """Turn an async stream of text chunks into an async stream of sentences.

    Chunks that queued up while a sentence was being spoken are all ready at once; the
    loop is handed back every few milliseconds so other connections are not kept waiting.
    The slice is counted from the last time this generator gave the loop back, not from the
    last sentence it yielded: a consumer that does not wait between sentences (its
    provider's audio already buffered, say) would otherwise never let anyone in.

    With a minimum size (Faseeh refuses fewer than 3 words or 10 characters), a stream may
    end in a tail too short to send alone ("حسنا."). So every piece after the first is held
    until the text after it could stand alone, and a short tail goes out joined to it. The
    held piece costs no time: the one before it is still being spoken. The first piece is
    never held (first audio comes first); a short tail right after it goes alone.
    """
    splitter = SentenceSplitter(**options)
    held = _HeldPiece(splitter)
    handed_back = clock()
    async for chunk in chunks:
        for sentence in splitter.feed_iter(chunk):
            for piece in held.add(sentence):
                yield piece
                if clock() - handed_back > LOOP_SLICE:
                    await asyncio.sleep(0)
                    handed_back = clock()
        for piece in held.release_if_followed():
            yield piece
        if clock() - handed_back > LOOP_SLICE:
            await asyncio.sleep(0)
            handed_back = clock()
    for piece in held.finish(splitter.flush()):
        yield piece


class _HeldPiece:
    """The last piece of a stream, kept back while a short tail could still need it."""

    def __init__(self, splitter: SentenceSplitter) -> None:
        self._splitter = splitter
        self._hold = splitter.has_minimum
        self._piece: str | None = None
        self._released_any = False

    def add(self, piece: str) -> list[str]:
        """A new complete piece: what may be sent now."""
        if not self._hold or not self._released_any:
            self._released_any = True
            return [piece]
        out = [self._piece] if self._piece is not None else []
        self._piece = piece
        return out

    def release_if_followed(self) -> list[str]:
        """The held piece, once the text after it is long enough to go on its own."""
        if self._piece is None or not self._splitter.rest_long_enough():
            return []
        piece, self._piece = self._piece, None
        return [piece]

    def finish(self, tail: list[str]) -> list[str]:
        """End of the stream: a tail that cannot stand alone joins the held piece."""
        held, self._piece = self._piece, None
        if held is None:
            return tail
        if tail and not self._splitter.rest_long_enough_alone(tail[0]):
            return [held + tail[0]]
        return [held, *tail]
