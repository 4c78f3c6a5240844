"""The text front-end: the corpus, streaming, SSML pauses, numbers, policy, tashkeel guards."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncGenerator, AsyncIterator

import pytest
from arabic_tts_core.audio import AudioFormat, PcmChunk
from arabic_tts_core.frontend import (
    EngineText,
    MarkupCleaner,
    TextPolicy,
    clean_markup,
    clean_markup_stream,
    parse_steps,
    verbalize,
)
from arabic_tts_core.frontend.numbers import cardinal, ordinal
from arabic_tts_core.frontend.offload import OFF_LOOP_CHARS, run_text_step
from arabic_tts_core.frontend.pauses import (
    PAUSE_RE,
    marker_ms,
    pause_marker,
    split_pauses,
    to_break_tags,
)
from arabic_tts_core.frontend.tashkeel import keep_letters, pausal_form
from arabic_tts_core.text import SentenceSplitter

from .frontend_corpus import CORPUS, Case

FULL = TextPolicy.of(["markup", "words", "numbers"])
CLOUD = TextPolicy.default_for("hamsa")


def shown(text: str) -> str:
    """Pauses written as ⏸ms, as the corpus writes them."""
    return PAUSE_RE.sub(lambda match: f"⏸{marker_ms(match.group(0))}", text)


def front_end(text: str, policy: TextPolicy) -> str:
    cleaned = clean_markup(text) if policy.markup else text
    return shown(EngineText(policy, name="test").prepare(cleaned))


def chunked(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_corpus_is_large_and_varied() -> None:
    assert len(CORPUS) >= 60
    origins = {case.origin.split(":")[0] for case in CORPUS}
    assert origins == {"intents", "automation", "llm", "ssml"}


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.text[:40])
def test_corpus_spoken_form(case: Case) -> None:
    """Markup, Latin words and numbers: what the offline voice and HA (if chosen) say."""
    assert front_end(case.text, FULL) == case.spoken


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.text[:40])
def test_corpus_cloud_default(case: Case) -> None:
    """Hamsa's and Faseeh's default leaves digits to the engine."""
    assert front_end(case.text, CLOUD) == (case.cloud or case.spoken)


@pytest.mark.parametrize("case", [c for c in CORPUS if c.origin in ("llm", "ssml")])
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_markup_streamed_in_any_chunks_equals_whole(case: Case, size: int) -> None:
    """A ``**``, a link, an SSML tag or a number split across chunks changes nothing."""
    cleaner = MarkupCleaner()
    streamed = "".join(cleaner.feed(piece) for piece in chunked(case.text, size))
    streamed += cleaner.flush()
    assert streamed == clean_markup(case.text)


async def test_markup_stream_releases_text_before_the_end() -> None:
    """Streaming stays streaming: plain words leave at once, only open markup waits."""
    cleaner = MarkupCleaner()
    assert cleaner.feed("الجو ") == "الجو "
    assert cleaner.feed("**جميل") == "جميل"  # markers go, paired or not
    assert cleaner.feed("*") == ""  # one "*" more may follow
    assert cleaner.feed("* اليوم") == " اليوم"
    assert cleaner.feed(" [رابط](http") == " "
    assert cleaner.feed("s://x.y) و 23.") == "رابط و 23."
    assert cleaner.flush() == ""

    async def source() -> AsyncIterator[str]:
        for piece in ["<spe", "ak>مرحبا <break ti", 'me="1s"/> بك</speak>']:
            yield piece

    pieces = [piece async for piece in clean_markup_stream(source())]
    assert "".join(pieces) == f"مرحبا {pause_marker(1000)} بك"


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_struck_out_words_are_spoken_without_the_marks(size: int) -> None:
    """ "~~الأحد~~" is what the meeting moved from: dropping it would change the meaning."""
    text = "نُقل الاجتماع من ~~الأحد~~ إلى **الاثنين**"
    cleaner = MarkupCleaner()
    streamed = "".join(cleaner.feed(piece) for piece in chunked(text, size)) + cleaner.flush()
    assert streamed == "نُقل الاجتماع من الأحد إلى الاثنين"


def test_number_split_across_chunks_is_read_whole() -> None:
    """The splitter gives the verbaliser whole sentences: "23." + "5 °C" is one number."""
    splitter = SentenceSplitter()
    pieces = splitter.feed("الحرارة 23.") + splitter.feed("5 °C الآن. ") + splitter.flush()
    spoken = [verbalize(piece) for piece in pieces]
    assert spoken[0].startswith("الحرارة ثلاث وعشرون فاصلة خمسة درجة مئوية")


def test_ssml_explicit_and_detected() -> None:
    assert clean_markup("<speak>أهلا</speak>") == "أهلا"
    # The client said plain text: no SSML reading, though tags are still not read out.
    assert clean_markup("<speak>أهلا <break/> بك</speak>", ssml=False).split() == ["أهلا", "بك"]
    assert PAUSE_RE.search(clean_markup("أهلا <break/> بك", ssml=True))


def test_break_lengths_and_limits() -> None:
    text = clean_markup(
        '<speak>أ <break time="250ms"/> ب <break time="2.5s"/> ج <break strength="weak"/>'
        ' د <break time="60s"/> هـ</speak>'
    )
    assert [part for part in split_pauses(text) if isinstance(part, int)] == [
        250,
        2500,
        250,
        10000,
    ]
    tags = to_break_tags(text)
    assert '<break time="250ms"/>' in tags
    assert tags.count('<break time="3000ms"/>') == 3  # 10 s as tags of at most 3 s
    many = " ".join(f"كلمة {pause_marker(100)}" for _ in range(25))
    assert to_break_tags(many).count("<break") == 20  # Faseeh's limit per request


async def fake_speak(text: str) -> AsyncGenerator[PcmChunk]:
    """An engine that says each character as one sample of its code point."""
    yield PcmChunk(AudioFormat(16000), b"".join(ord(c).to_bytes(2, "little") for c in text))


async def collect(audio: AsyncGenerator[PcmChunk]) -> list[PcmChunk]:
    async with contextlib.aclosing(audio):
        return [chunk async for chunk in audio]


async def test_pauses_become_silence_for_engines_without_break() -> None:
    sent: list[str] = []

    async def speak(text: str) -> AsyncGenerator[PcmChunk]:
        sent.append(text)
        async for chunk in fake_speak(text):
            yield chunk

    engine = EngineText(TextPolicy(), name="hamsa-test")
    text = f"{pause_marker(100)} مرحبا {pause_marker(500)} بك"
    chunks = await collect(engine.wrap(speak)(text))
    assert [s.strip() for s in sent] == ["مرحبا", "بك"]
    silence_100 = bytes(16000 * 100 // 1000 * 2)
    silence_500 = bytes(16000 * 500 // 1000 * 2)
    assert [c.pcm for c in chunks] == [
        silence_100,  # owed until the engine's format was known
        (await collect(fake_speak(sent[0])))[0].pcm,
        silence_500,
        (await collect(fake_speak(sent[1])))[0].pcm,
    ]


async def test_faseeh_gets_break_tags() -> None:
    sent: list[str] = []

    async def speak(text: str) -> AsyncGenerator[PcmChunk]:
        sent.append(text)
        async for chunk in fake_speak(text):
            yield chunk

    engine = EngineText(TextPolicy(), name="faseeh-test", break_tags=True)
    await collect(engine.wrap(speak)(f"مرحبا {pause_marker(500)} بك في البيت"))
    assert sent == ['مرحبا  <break time="500ms"/>  بك في البيت']


@pytest.mark.parametrize(
    ("value", "gender", "case", "words"),
    [
        (3, "f", "nom", "ثلاث"),
        (3, "m", "nom", "ثلاثة"),
        (11, "f", "nom", "إحدى عشرة"),
        (12, "m", "gen", "اثني عشر"),
        (18, "f", "nom", "ثماني عشرة"),
        (21, "f", "gen", "إحدى وعشرين"),
        (200, "m", "nom", "مئتان"),
        (2026, "m", "gen", "ألفين وستة وعشرين"),
        (200_000, "m", "nom", "مئتا ألف"),
        (13_000, "m", "nom", "ثلاثة عشر ألفًا"),
        (1_250_000, "m", "nom", "مليون ومئتان وخمسون ألفًا"),
    ],
)
def test_cardinals(value: int, gender: str, case: str, words: str) -> None:
    assert cardinal(value, gender, case) == words  # type: ignore[arg-type]


def test_ordinals() -> None:
    assert ordinal(1, "f") == "الأولى"
    assert ordinal(12, "f") == "الثانية عشرة"
    assert ordinal(21, "m") == "الحادي والعشرون"
    assert ordinal(100) is None


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("لدي 3 كتب", "لدي ثلاثة كتب"),  # unknown noun: masculine, the counting form
        ("لدي 20 كتابا", "لدي عشرون كتابا"),  # no gender in 20: read
        ("الإصدار 2.1.0 جاهز", "الإصدار 2.1.0 جاهز"),
        ("الموديل A3 و 3D", "الموديل A3 و 3D"),
        ("The light is on at 5 PM", "The light is on at 5 PM"),  # English: untouched
        ("Living Room on Timer مطفأ", "Living Room on Timer مطفأ"),  # on inside a name
        ("الساعة 25:99", "الساعة 25:99"),  # not a time
        ("الساعة 12:00", "الساعة الثانية عشرة"),
        ("في 00:30", "في الثانية عشرة والنصف"),
        ("١٥/٠٣/٢٠٢٦", "الخامس عشر من مارس ألفين وستة وعشرين"),
        ("و2 ساعات", "وساعتان"),
        ("مدة 13 يوما", "مدة ثلاثة عشر يومًا"),
    ],
)
def test_verbalize_edges(text: str, spoken: str) -> None:
    assert verbalize(text) == spoken


def test_policy_parsing() -> None:
    assert parse_steps("none") == TextPolicy()
    assert parse_steps("numbers, markup").describe() == "markup,numbers"
    assert TextPolicy.default_for("offline").describe() == "markup,words,numbers,latin,tashkeel"
    assert TextPolicy.default_for("hamsa").describe() == "markup,words"
    with pytest.raises(ValueError, match="unknown"):
        parse_steps("markup,emoji")
    with pytest.raises(ValueError):
        parse_steps("")


def test_tashkeel_never_changes_letters_and_pauses_without_case_endings() -> None:
    # The model "restored" a hamza in the second word: that word stays as written.
    assert keep_letters("باب المرآب", "بَابُ المَرَابِ") == "بَابُ المرآب"
    assert keep_letters("كلمة واحدة", "كَلِمَةٌ") == "كلمة واحدة"  # words lost: keep all
    assert pausal_form("فَتَحَ البَابُ. مَرْحَبًا") == "فَتَحَ البَاب. مَرْحَبًا"


async def test_long_text_steps_run_off_the_event_loop() -> None:
    """Past OFF_LOOP_CHARS a text step runs in a worker thread (the loop keeps serving);
    short texts stay on the loop, where a thread hop would cost more than the work."""
    threads: list[threading.Thread] = []

    def step(text: str) -> str:
        threads.append(threading.current_thread())
        return text.upper()

    assert await run_text_step(step, "a" * OFF_LOOP_CHARS) == "A" * OFF_LOOP_CHARS
    assert await run_text_step(step, "b" * (OFF_LOOP_CHARS + 1)) == "B" * (OFF_LOOP_CHARS + 1)
    assert threads[0] is threading.main_thread()
    assert threads[1] is not threading.main_thread()
