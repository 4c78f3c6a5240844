"""Sentence splitting: early pieces for streaming, nothing lost, limits respected."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import sys
from collections.abc import AsyncIterator, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.arabic_tts.core import text as text_module
from custom_components.arabic_tts.core.frontend import clean_markup, clean_markup_stream
from custom_components.arabic_tts.core.text import (
    SentenceSplitter,
    iter_for_limit,
    iter_sentences,
    split_for_limit,
    split_sentences,
    stream_sentences,
)

from .helpers import cpu_seconds
from .reference_text import (
    ReferenceSplitter,
    reference_split_for_limit,
    reference_split_sentences,
)

ARABIC = "الباب الأمامي مفتوح. هل تريد أن أغلقه؟ الجو بارد اليوم؛ شغّل المدفأة من فضلك."


def test_arabic_sentences_split_at_arabic_punctuation() -> None:
    assert [piece.strip() for piece in split_sentences(ARABIC)] == [
        "الباب الأمامي مفتوح.",
        "هل تريد أن أغلقه؟",
        "الجو بارد اليوم؛",
        "شغّل المدفأة من فضلك.",
    ]


def test_pieces_keep_whitespace_so_join_gives_text_back() -> None:
    assert "".join(split_sentences(ARABIC)) == ARABIC


def test_arabic_sentence_is_released_at_its_final_mark() -> None:
    """No waiting for the next token: Arabic has no abbreviation or decimal to rule out."""
    splitter = SentenceSplitter()
    assert splitter.feed("الباب الأمامي ") == []
    assert splitter.feed("مفتوح") == []
    assert splitter.feed(".") == ["الباب الأمامي مفتوح."]
    assert splitter.feed(" هل تريد أن أغلقه") == []
    assert splitter.feed("؟ ") == [" هل تريد أن أغلقه؟ "]
    assert splitter.feed("حسناً.") == ["حسناً."]


def test_latin_sentence_waits_for_the_next_word() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("The door is open.") == []
    assert splitter.feed(" Shall") == ["The door is open. "]
    assert splitter.flush() == ["Shall"]


def test_one_letter_abbreviation_and_digits_are_not_released_early() -> None:
    assert SentenceSplitter().feed("اتصل بـ د.") == []
    splitter = SentenceSplitter()
    assert splitter.feed("الحرارة ١٢.") == []
    assert splitter.feed("٥ درجة.") == ["الحرارة ١٢.٥ درجة."]


def test_punctuation_alone_is_never_a_piece() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("انتظر.") == ["انتظر."]
    assert splitter.feed("..") == []
    assert splitter.feed(" ثم قال شيئاً.") == [".. ثم قال شيئاً."]


def test_latin_abbreviation_is_not_a_boundary() -> None:
    assert len(split_sentences("Dr. Smith is here. He waits.")) == 2


def test_long_clause_splits_at_arabic_comma() -> None:
    clause = "كلمة " * 40
    pieces = SentenceSplitter(soft_limit=100).feed(f"{clause}، {clause}، وبعد")
    assert pieces and pieces[0].rstrip().endswith("،")


def test_minimum_size_joins_short_sentences() -> None:
    splitter = SentenceSplitter(min_chars=10, min_words=3)
    assert splitter.feed("نعم. حسناً. سأفتح الباب الآن. ثم") == ["نعم. حسناً. سأفتح الباب الآن. "]


def test_split_for_limit_respects_limit_at_sentence_boundaries() -> None:
    text = ARABIC * 60
    pieces = split_for_limit(text, 2000)
    assert len(pieces) > 1
    assert all(len(piece) <= 2000 for piece in pieces)
    assert "".join(pieces) == text
    assert all(piece.rstrip()[-1] in ".؟؛" for piece in pieces)


text_alphabet = st.sampled_from(list("ابت ثجح. ؟؛،,!\nabc"))


@given(st.text(alphabet=text_alphabet, max_size=400), st.lists(st.integers(0, 400), max_size=20))
def test_streamed_pieces_conserve_text(text: str, cuts: list[int]) -> None:
    splitter = SentenceSplitter(soft_limit=40)
    pieces: list[str] = []
    start = 0
    for cut in sorted(set(cuts)):
        pieces.extend(splitter.feed(text[start:cut]))
        start = max(start, cut)
    pieces.extend(splitter.feed(text[start:]))
    pieces.extend(splitter.flush())
    assert "".join(pieces) == text


@given(st.text(alphabet=text_alphabet, max_size=600), st.integers(min_value=5, max_value=80))
def test_split_for_limit_conserves_and_bounds(text: str, limit: int) -> None:
    pieces = split_for_limit(text, limit)
    assert "".join(pieces) == text
    assert all(0 < len(piece) <= limit for piece in pieces)


# --- linear time (issue 12: one long text froze every client) ------------------------------

# Linear work grows 5x when the text grows 5x; the quadratic splitter this replaced grew
# 25x. The ratio of two CPU times of this process says which, on a fast or a slow machine,
# idle or busy (other processes do not count in process_time); absolute times are in the
# benchmarks.
GROWTH = 5
LINEAR_RATIO_LIMIT = 12


def _ordinary_text(chars: int) -> str:
    sentences = ARABIC + " "
    return (sentences * (chars // len(sentences) + 1))[:chars]


def _growth(work: Callable[[int], object], small: int) -> float:
    return cpu_seconds(lambda: work(small * GROWTH)) / cpu_seconds(lambda: work(small))


def test_a_long_text_is_split_in_linear_time() -> None:
    text = _ordinary_text(100_000)
    assert "".join(split_for_limit(text, 2000)) == text
    assert "".join(split_sentences(text)) == text

    def split(chars: int) -> None:
        sample = _ordinary_text(chars)
        split_for_limit(sample, 2000)
        split_sentences(sample)

    ratio = _growth(split, 20_000)
    assert ratio < LINEAR_RATIO_LIMIT, f"5x the text took {ratio:.1f}x the CPU"


def test_a_stream_without_sentence_end_is_split_in_linear_time() -> None:
    def feed(chars: int) -> str:
        text = ("كلمة " * (chars // 5 + 1))[:chars]
        splitter = SentenceSplitter()
        pieces: list[str] = []
        for start in range(0, len(text), 10):
            pieces.extend(splitter.feed(text[start : start + 10]))
        pieces.extend(splitter.flush())
        assert "".join(pieces) == text
        return text

    ratio = _growth(feed, 10_000)
    assert ratio < LINEAR_RATIO_LIMIT, f"5x the text took {ratio:.1f}x the CPU"


# --- the linear splitter cuts exactly where the original did -------------------------------

# Every character class the rules look at: Arabic letters and marks, Latin capitals (next
# sentence, abbreviations), digits (decimals, numbered lists), every sentence end and
# closer, the Arabic semicolon, commas, blank lines, \r, no-break space, a Python-only
# space (\x1c), emoji.
oracle_alphabet = st.sampled_from(
    [
        *"ابتثجح",
        *("\u064b", "\u0651"),
        *"aADr",
        *"0912١",
        *".!?…؟",
        *"\"')»]}”",
        *"؛،,:",
        *(" ", " ", "\n", "\r", "\t", "\xa0", "\x1c"),
        *("😀", "د."),
    ]
)


@given(
    st.lists(oracle_alphabet, max_size=300).map("".join),
    st.lists(st.integers(0, 300), max_size=30),
    st.integers(0, 60),
    st.sampled_from([(0, 0), (10, 3), (4, 2), (1, 0), (0, 1)]),
    st.integers(1, 9),
)
def test_linear_splitter_cuts_where_the_original_did(
    text: str, cuts: list[int], soft_limit: int, minimum: tuple[int, int], step: int
) -> None:
    min_chars, min_words = minimum
    ours = SentenceSplitter(
        soft_limit=soft_limit, min_chars=min_chars, min_words=min_words, step=step
    )
    reference = ReferenceSplitter(soft_limit=soft_limit, min_chars=min_chars, min_words=min_words)
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        chunk = text[start:cut]
        start = max(start, cut)
        assert ours.feed(chunk) == reference.feed(chunk), (text, chunk)
    assert ours.flush() == reference.flush()


@given(st.lists(oracle_alphabet, max_size=600).map("".join), st.integers(1, 80))
def test_split_for_limit_is_unchanged(text: str, limit: int) -> None:
    assert split_for_limit(text, limit) == reference_split_for_limit(text, limit)
    assert split_sentences(text) == reference_split_sentences(text)


def test_python_whitespace_is_what_the_splitter_counts_as_whitespace() -> None:
    """The word and character counts use str.isspace() through a regex class: same set."""
    spaces = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert spaces == {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if text_module.PY_NON_SPACE_RE.match(chr(code)) is None
    }


def test_whitespace_streamed_after_a_sentence_end_keeps_the_boundary() -> None:
    """Whitespace-only chunks are skipped without rescanning; the boundary still counts."""
    splitter = SentenceSplitter()
    reference = ReferenceSplitter()
    chunks = ["The door is open.", *([" "] * 1900), "\n", "Shall I close it?"]
    assert [splitter.feed(c) for c in chunks] == [reference.feed(c) for c in chunks]
    assert splitter.flush() == reference.flush()


def test_a_piece_without_any_boundary_is_cut_at_a_space_once_it_is_too_long() -> None:
    text = "كلمة " * 1000
    pieces = SentenceSplitter(max_chars=300).feed(text)
    assert pieces
    assert all(len(piece) <= 300 and piece.endswith(" ") for piece in pieces)
    assert "".join(pieces) + "".join(SentenceSplitter(max_chars=300).flush()) != ""
    splitter = SentenceSplitter(max_chars=300)
    assert "".join(splitter.feed(text) + splitter.flush()) == text


def test_sentences_of_a_whole_text_come_out_lazily() -> None:
    text = _ordinary_text(100_000)
    sentences = iter_sentences(text)
    assert next(sentences).strip() == "الباب الأمامي مفتوح."
    pieces = iter_for_limit(text, 2000)
    first = next(pieces)
    assert len(first) <= 2000
    assert text.startswith(first)


class _SteppingClock:
    """A clock that moves a fixed step each time it is read: the splitter's idea of how
    long it has kept the loop no longer depends on how fast this machine is."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step
        self.reads = 0

    def __call__(self) -> float:
        self.now += self.step
        self.reads += 1
        return self.now


class _Ticker:
    """Counts how often the event loop ran another task."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0)

    async def __aenter__(self) -> _Ticker:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)  # started: its first tick is not the splitter's doing
        self.ticks = 0
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def _ready_chunks(chunk: str, count: int) -> AsyncIterator[str]:
    for _ in range(count):
        yield chunk  # ready at once, like a queue that filled up meanwhile


async def test_queued_chunks_do_not_keep_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of chunks ready at once, no sentence end among them: other tasks still
    run while they are split (the loop is handed back once per slice of clock time)."""
    clock = _SteppingClock(text_module.LOOP_SLICE / 4)
    monkeypatch.setattr(text_module, "clock", clock)
    async with _Ticker() as ticker:
        pieces = [piece async for piece in stream_sentences(_ready_chunks("كلمة أخرى ", 2000))]
    assert "".join(pieces) == "كلمة أخرى " * 2000
    # One hand-back per slice: at least one per four clock reads (the clock reads past
    # the slice every fourth time), less the last few.
    assert ticker.ticks >= clock.reads // 8, (ticker.ticks, clock.reads)


async def test_sentences_to_a_consumer_that_never_waits_do_not_keep_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every chunk completes a sentence and the consumer never gives the loop back itself:
    the slice is counted from the last real hand-back, not from the last sentence."""
    clock = _SteppingClock(text_module.LOOP_SLICE / 4)
    monkeypatch.setattr(text_module, "clock", clock)
    sentence = "الباب مفتوح. "
    async with _Ticker() as ticker:
        pieces = [piece async for piece in stream_sentences(_ready_chunks(sentence, 2000))]
    assert pieces == [sentence] * 2000
    assert ticker.ticks >= clock.reads // 8, (ticker.ticks, clock.reads)


async def test_sentences_of_one_large_chunk_do_not_keep_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One chunk holding thousands of sentences hands the loop back between them."""
    clock = _SteppingClock(text_module.LOOP_SLICE / 4)
    monkeypatch.setattr(text_module, "clock", clock)
    text = "الباب مفتوح. " * 2000

    async def one_chunk() -> AsyncIterator[str]:
        yield text

    async with _Ticker() as ticker:
        pieces = [piece async for piece in stream_sentences(one_chunk())]
    assert "".join(pieces) == text
    assert len(pieces) == 2000
    assert ticker.ticks >= clock.reads // 8, (ticker.ticks, clock.reads)


# --- a provider's minimum length at the end of a stream ------------------------------------

FASEEH_MINIMUM = {"min_chars": 10, "min_words": 3}


def _long_enough(piece: str) -> bool:
    text = piece.strip()
    return len(text) >= FASEEH_MINIMUM["min_chars"] and len(text.split()) >= 3


async def _stream(chunks: list[str], **options: int) -> list[str]:
    async def source() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    return [piece async for piece in stream_sentences(source(), **options)]


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
async def test_a_short_last_sentence_joins_the_piece_before_it(size: int) -> None:
    """ "حسنا." alone is below Faseeh's minimum: it goes with the sentence before it, so the
    provider never refuses the end of a reply that has already started playing."""
    text = "الباب الأمامي مفتوح الآن. درجة الحرارة في المطبخ عشرون. حسنا."
    pieces = await _stream(chunked_text(text, size), **FASEEH_MINIMUM)
    assert "".join(pieces) == text
    assert all(_long_enough(piece) for piece in pieces), pieces
    assert pieces[0].strip() == "الباب الأمامي مفتوح الآن."  # first audio is not held back
    assert pieces[-1].strip() == "درجة الحرارة في المطبخ عشرون. حسنا."


async def test_a_held_piece_leaves_once_the_text_after_it_is_long_enough() -> None:
    """A piece waits only until what follows could stand alone, not for a whole sentence."""
    splitter_input = ["الباب الأمامي مفتوح الآن. ", "درجة الحرارة عشرون. ", "والرطوبة", " عالية"]
    released: list[str] = []

    async def source() -> AsyncIterator[str]:
        for chunk in splitter_input:
            yield chunk
            await asyncio.sleep(0)
            snapshot.append(list(released))

    snapshot: list[list[str]] = []
    async for piece in stream_sentences(source(), **FASEEH_MINIMUM):
        released.append(piece)
    assert "".join(released) == "".join(splitter_input)
    # After "والرطوبة" (one word) the second sentence still waits; after " عالية" two words
    # follow it: still short of three. It leaves at the end, on its own (the tail is long
    # enough to stand alone only with three words), joined with the tail.
    assert snapshot[1] == ["الباب الأمامي مفتوح الآن. "]
    assert snapshot[2] == ["الباب الأمامي مفتوح الآن. "]
    assert released[-1] == "درجة الحرارة عشرون. والرطوبة عالية"


async def test_a_held_piece_leaves_before_the_next_sentence_ends() -> None:
    chunks = ["الباب الأمامي مفتوح الآن. ", "درجة الحرارة عشرون. ", "والرطوبة عالية جدا", " اليوم."]
    seen_before_last: list[str] = []

    async def source() -> AsyncIterator[str]:
        for chunk in chunks[:-1]:
            yield chunk
        await asyncio.sleep(0)
        seen_before_last.extend(released)
        yield chunks[-1]

    released: list[str] = []
    async for piece in stream_sentences(source(), **FASEEH_MINIMUM):
        released.append(piece)
    # Three words of the next sentence are enough: the second piece did not wait for its end.
    assert seen_before_last == ["الباب الأمامي مفتوح الآن. ", "درجة الحرارة عشرون. "]
    assert released[-1] == "والرطوبة عالية جدا اليوم."


async def test_without_a_minimum_nothing_is_held_back() -> None:
    text = "الباب مفتوح. نعم. حسنا."
    pieces = await _stream(chunked_text(text, 2))
    assert "".join(pieces) == text
    assert [piece.strip() for piece in pieces] == ["الباب مفتوح.", "نعم.", "حسنا."]


def chunked_text(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


_SENTENCES = st.sampled_from(
    [
        "The front door is open.",
        "Door open.",
        "درجة الحرارة عشرون.",
        "نعم.",
        "حسنا!",
        "هل تريد أن أغلقه؟",
        "الجو بارد اليوم؛",
        "**مهم**:",
        "- بند",
    ]
)
_SEPARATORS = st.sampled_from([" ", "\n", "  ", "\n\n", " \n", "\t"])


@given(
    st.lists(st.tuples(_SENTENCES, _SEPARATORS), min_size=2, max_size=6),
    st.lists(st.integers(1, 6), min_size=1, max_size=40),
    st.booleans(),
)
async def test_streamed_words_are_never_glued(
    parts: list[tuple[str, str]], sizes: list[int], gpt_tokens: bool
) -> None:
    """What each request carries, stripped as the clients strip it, has the words of the
    text as written: no sentence end glued to the next word ("open.درجة"), in chunks of
    any size or as GPT-style tokens (a space leads a word, punctuation stands alone)."""
    text = "".join(sentence + separator for sentence, separator in parts)
    if gpt_tokens:
        chunks = re.findall(r"\s*[^\s.!?؟؛:]+|[.!?؟؛:]|\s+", text)
    else:
        chunks, start = [], 0
        for size in itertools.cycle(sizes):
            if start >= len(text):
                break
            chunks.append(text[start : start + size])
            start += size
    assert "".join(chunks) == text

    async def source() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    cleaned = clean_markup(text)
    pieces = [
        piece.strip()
        async for piece in stream_sentences(clean_markup_stream(source()), **FASEEH_MINIMUM)
    ]
    assert " ".join(pieces).split() == cleaned.split()
