"""What the numbers and latin steps read: counts of nouns the lexicon does not know, money,
fractions, phone numbers, feminine ordinals, negative counts, Latin words for the
offline voices, and the user's pronunciation lexicon. Each expected string is the whole
sentence a listener hears (Modern Standard Arabic, nominative unless a preposition
governs the number, as the rest of the front-end reads)."""

from __future__ import annotations

import pytest
from arabic_tts_core.frontend import EngineText, TextPolicy, UserLexicon, verbalize
from arabic_tts_core.frontend.latin import transliterate_latin
from arabic_tts_core.frontend.tashkeel import keep_letters
from arabic_tts_core.frontend.user_lexicon import EMPTY_SPOKEN, EMPTY_WRITTEN, NO_SEPARATOR

from .helpers import cpu_seconds

OFFLINE_WITHOUT_TASHKEEL = TextPolicy.of(["markup", "words", "numbers", "latin"])


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # Known now (lexicon): خطوة is feminine, 23 → ثلاث وعشرون, then the singular.
        ("مشيت اليوم 1523 خطوة", "مشيت اليوم ألف وخمسمئة وثلاث وعشرون خطوة"),
        ("تبقى 3 خطوات", "تبقى ثلاث خطوات"),
        ("لديك 2 مواعيد اليوم", "لديك موعدان اليوم"),
        ("وصلتك 4 إشعارات", "وصلتك أربعة إشعارات"),  # masculine, though its plural is in ات
        # Unknown nouns: a broken plural is masculine (كتاب، طرد), ة and ات feminine.
        ("لديك 3 كتب", "لديك ثلاثة كتب"),
        ("وصلت 4 طرود", "وصلت أربعة طرود"),
        ("لديك 7 سيارات", "لديك سبع سيارات"),
        ("لديك 12 رحلة", "لديك اثنتا عشرة رحلة"),
        ("هناك 21 مخالفة", "هناك إحدى وعشرون مخالفة"),
        ("بقي 15 كتابا", "بقي خمسة عشر كتابا"),
        ("في 13 رحلة", "في ثلاث عشرة رحلة"),
        # A decimal before a word that is not a currency: "فاصلة".
        ("السعر 12.50 للكيلو", "السعر اثنا عشر فاصلة خمسون للكيلو"),
        # Words that are not counted keep the counting form.
        ("و 3 أيضا", "و ثلاثة أيضا"),
    ],
)
def test_numbers_before_nouns_the_lexicon_does_not_know(text: str, spoken: str) -> None:
    assert verbalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("السعر 12.50 ريال", "السعر اثنا عشر ريالًا وخمسون هللة"),
        ("السعر 12.05 ريال", "السعر اثنا عشر ريالًا وخمس هللات"),
        ("السعر 12.02 ريال", "السعر اثنا عشر ريالًا وهللتان"),
        ("بقيمة 12.50 ريال", "بقيمة اثني عشر ريالًا وخمسين هللة"),
        ("المبلغ 1 ريال", "المبلغ ريال واحد"),
        ("المبلغ 2 ريال", "المبلغ ريالان"),
        ("المبلغ 3 ريال", "المبلغ ثلاثة ريالات"),
        ("المبلغ 11 ريال", "المبلغ أحد عشر ريالًا"),
        ("المبلغ 100 ريال", "المبلغ مئة ريال"),
        ("الفاتورة 350 ر.س", "الفاتورة ثلاثمئة وخمسون ريالًا"),
        ("السعر ٥٠ ﷼", "السعر خمسون ريالًا"),
        ("السعر $12.50", "السعر اثنا عشر دولارًا وخمسون سنتًا"),
        ("السعر 12.50 $", "السعر اثنا عشر دولارًا وخمسون سنتًا"),
        ("السعر 12.5$", "السعر اثنا عشر دولارًا وخمسون سنتًا"),
        ("المبلغ USD 5 فقط", "المبلغ خمسة دولارات فقط"),
        ("بقي 0.75 $", "بقي خمسة وسبعون سنتًا"),
        ("ثمنه 20 دولار", "ثمنه عشرون دولارًا"),
        ("ثمنه 12.50 درهم", "ثمنه اثنا عشر درهمًا وخمسون فلسًا"),
        ("ثمنه AED 20", "ثمنه عشرون درهمًا"),
        ("ثمنه 20 د.إ", "ثمنه عشرون درهمًا"),
        ("ثمنه 25.75 ج.م", "ثمنه خمسة وعشرون جنيهًا وخمسة وسبعون قرشًا"),
        ("ثمنه 25.75 جنيه", "ثمنه خمسة وعشرون جنيهًا وخمسة وسبعون قرشًا"),
        # The Kuwaiti and Jordanian dinars have a thousand fils.
        ("ثمنه 3.250 KWD", "ثمنه ثلاثة دنانير ومئتان وخمسون فلسًا"),
        ("ثمنه JOD 1.5", "ثمنه دينار واحد وخمسمئة فلس"),
        ("ثمنه 7 دينار", "ثمنه سبعة دنانير"),
        ("ثمنه £5", "ثمنه خمسة جنيهات إسترلينية"),
        ("ثمنه €3.20", "ثمنه ثلاثة يورو وعشرون سنتًا"),
        # More decimals than the currency's minor unit: a decimal number.
        ("ثمنه 12.505 $", "ثمنه اثنا عشر فاصلة خمسمئة وخمسة دولار"),
        ("الرصيد -5 $", "الرصيد سالب خمسة دولارات"),
    ],
)
def test_money(text: str, spoken: str) -> None:
    assert verbalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("أضف 1/2 كوب من الماء", "أضف نصف كوب من الماء"),
        ("انتظر 1/4 ساعة", "انتظر ربع ساعة"),
        ("اكتمل 1/3 التحميل", "اكتمل ثلث التحميل"),
        ("مضى 3/4 الوقت", "مضى ثلاثة أرباع الوقت"),
        ("اكتمل 2/3 التحميل", "اكتمل ثلثا التحميل"),
        ("البطارية عند 2/3", "البطارية عند ثلثين"),
        ("اكتمل 2/3", "اكتمل ثلثان"),
        ("أضف الماء و1/2 كوب حليب", "أضف الماء ونصف كوب حليب"),
        ("النتيجة 5/8", "النتيجة خمسة من ثمانية"),
        ("التقييم 8/10", "التقييم ثمانية من عشرة"),
        ("تستغرق 1 1/2", "تستغرق واحد ونصف"),
        ("الدعم متاح 24/7", "الدعم متاح على مدار الساعة"),
        # A date stays a date; day/month without a year, a ≥ b, b > 10: digits stay.
        ("الموعد 12/05/2026", "الموعد الثاني عشر من مايو ألفين وستة وعشرين"),
        ("الموعد في 12/05", "الموعد في 12/05"),
        ("النسبة 3/2", "النسبة 3/2"),
        ("الجزء 5/12", "الجزء 5/12"),
    ],
)
def test_fractions(text: str, spoken: str) -> None:
    assert verbalize(text) == spoken


PHONE_050 = "صفر خمسة صفر، واحد اثنان ثلاثة، أربعة خمسة ستة سبعة"
PHONE_966 = "تسعة ستة ستة، خمسة صفر، واحد اثنان ثلاثة، أربعة خمسة ستة سبعة"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("اتصل على +966 50 123 4567", f"اتصل على زائد {PHONE_966}"),
        ("اتصل على +966501234567", f"اتصل على زائد {PHONE_966}"),
        ("اتصل على 00966501234567", f"اتصل على صفر صفر {PHONE_966}"),
        ("اتصل على 0501234567", f"اتصل على {PHONE_050}"),
        ("اتصل على 050-123-4567", f"اتصل على {PHONE_050}"),
        ("اتصل على ٠٥٠١٢٣٤٥٦٧", f"اتصل على {PHONE_050}"),
        ("الرقم (011) 234 5678", "الرقم صفر واحد واحد، اثنان ثلاثة أربعة، خمسة ستة سبعة ثمانية"),
        (
            "اتصل على +1 555 123 4567",
            "اتصل على زائد واحد، خمسة خمسة خمسة، واحد اثنان ثلاثة، أربعة خمسة ستة سبعة",
        ),
        (
            "اتصل على +14155551234",
            "اتصل على زائد واحد، أربعة واحد خمسة، خمسة خمسة خمسة، واحد اثنان ثلاثة أربعة",
        ),
        ("الهاتف الأرضي 2345-6789", "الهاتف الأرضي اثنان ثلاثة أربعة خمسة، ستة سبعة ثمانية تسعة"),
        ("المكتب 2345 6789", "المكتب اثنان ثلاثة أربعة خمسة، ستة سبعة ثمانية تسعة"),
        ("رقم الجوال 501234567", "رقم الجوال خمسة صفر، واحد اثنان ثلاثة، أربعة خمسة ستة سبعة"),
        ("رقم الطوارئ هو 911", "رقم الطوارئ هو تسعة واحد واحد"),
        (
            "رمز التتبع 1234567890123",
            "رمز التتبع واحد اثنان ثلاثة، أربعة خمسة ستة، سبعة ثمانية تسعة، صفر واحد اثنان ثلاثة",
        ),
        # Not phone numbers: a quantity, a count after a phone word, a round range, a year.
        (
            "العدد 123456789",
            "العدد مئة وثلاثة وعشرون مليونًا وأربعمئة وستة وخمسون ألفًا وسبعمئة وتسعة وثمانون",
        ),
        ("اتصل الجهاز منذ 120 دقيقة", "اتصل الجهاز منذ مئة وعشرين دقيقة"),
        ("من 1000-2000 واط", "من ألف-ألفان واط"),
        ("عام 2026", "عام ألفين وستة وعشرين"),
    ],
)
def test_phone_numbers(text: str, spoken: str) -> None:
    assert verbalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("للمرة الـ3", "للمرة الثالثة"),
        ("المرة الـ1", "المرة الأولى"),
        ("هذه المرة الـ11", "هذه المرة الحادية عشرة"),
        ("في الغرفة الـ2", "في الغرفة الثانية"),
        ("الحلقة الـ5", "الحلقة الخامسة"),  # not in the lexicon: ة
        ("الدورة الـ10", "الدورة العاشرة"),
        ("الطابق الـ2", "الطابق الثاني"),
        ("اليوم الـ7 من الشهر", "اليوم السابع من الشهر"),
    ],
)
def test_ordinals_agree_with_the_noun_before_them(text: str, spoken: str) -> None:
    assert verbalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("خلال الـ24 ساعة الماضية", "خلال الأربع والعشرين ساعة الماضية"),
        ("في الـ3 أيام الماضية", "في الثلاثة أيام الماضية"),
        ("آخر الـ10 دقائق كانت هادئة", "آخر العشر دقائق كانت هادئة"),
        ("استهلك المنزل في الـ7 أيام 12 كيلوواط", None),  # the count only; the rest as before
        ("وفي الـ5 أيام القادمة", "وفي الخمسة أيام القادمة"),
        # Still ordinals: after the noun they describe, or not before a counted form.
        ("في الطابق الـ12 غرفة واحدة", "في الطابق الثاني عشر غرفة واحدة"),
        ("الحلقة الـ3 ساعة كاملة", "الحلقة الثالثة ساعة كاملة"),
    ],
)
def test_al_before_a_count_of_a_noun_is_a_definite_number_not_an_ordinal(
    text: str, spoken: str | None
) -> None:
    """ "خلال الـ24 ساعة الماضية" is the last twenty-four hours; read as an ordinal it was
    "during the twenty-fourth hour" (خلال الرابع والعشرون ساعة). A number written الـN
    before the form of a noun it counts (a plural for 3-10, the singular from 11) and not
    after a noun it would describe is read as a definite number, ال on each of its parts."""
    result = verbalize(text)
    if spoken is None:
        assert result.startswith("استهلك المنزل في السبعة أيام ")
    else:
        assert result == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("الحرارة -5 درجات", "الحرارة سالب خمس درجات"),
        ("الحرارة \u22125 درجات", "الحرارة سالب خمس درجات"),  # the Unicode minus
        ("الحرارة -12 درجة", "الحرارة سالب اثنتا عشرة درجة"),
        ("الحرارة -1 درجة", "الحرارة سالب درجة واحدة"),
        ("النتيجة -3 نقاط", "النتيجة سالب ثلاث نقاط"),
    ],
)
def test_negative_counts(text: str, spoken: str) -> None:
    assert verbalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("شغل Netflix على تلفاز Samsung", "شغل نتفليكس على تلفاز سامسونج"),
        # Capitals and letters without vowels: the letters' names, vowelled.
        ("وصل كابل HDMI", "وصل كابل إِتْش دِي إِمْ آي"),
        ("الموديل A3 جاهز", "الموديل إِيه ثلاثة جاهز"),
        ("جهاز PS5 في الغرفة", "جهاز بِي إِسْ خمسة في الغرفة"),
        ("ضوء Living Room مطفأ", "ضوء ليفينج روم مطفأ"),
        ("نظام HomeKit جاهز", "نظام هوم كيت جاهز"),
        ("جهاز Z-Wave متصل", "جهاز زد ويف متصل"),
        ("ملف mp3", "ملف إِمْ بِي ثلاثة"),
        # By spelling: a silent e, sh, ch, a soft c.
        ("مستشعر Bosch Home", "مستشعر بوش هوم"),
        ("زر Sharp Time", "زر شارب تايم"),
        ("مقبس Nice Check", "مقبس نايس تشيك"),
        # An English sentence is the English voice's to read.
        ("The lights are on", "The lights are on"),
    ],
)
def test_latin_words_in_arabic_letters(text: str, spoken: str) -> None:
    assert transliterate_latin(text) == spoken


@pytest.mark.parametrize("end", ["é", "_", "٣"])
def test_a_long_latin_word_is_read_in_linear_time(end: str) -> None:
    """One long Latin "word" that does not end the way a word does (a pasted hash, a
    hostile request) took time in the square of its length: 100,000 characters held
    the event loop's thread for most of a minute. 5x the length must cost about 5x the
    CPU, not 25x (a ratio of this process's CPU times, whatever the machine)."""

    def transliterate(chars: int) -> None:
        transliterate_latin("نص " + "aB1" * (chars // 3) + end)

    ratio = cpu_seconds(lambda: transliterate(20_000)) / cpu_seconds(lambda: transliterate(4_000))
    assert ratio < 12, f"5x the text took {ratio:.1f}x the CPU"


def test_latin_step_runs_after_the_words_step_and_only_when_chosen() -> None:
    """``on`` alone is a state word (قيد التشغيل), not أون; clouds keep brand names."""
    offline = EngineText(OFFLINE_WITHOUT_TASHKEEL, name="offline-ar")
    assert offline.prepare("حالة Netflix هي on") == "حالة نتفليكس هي قيد التشغيل"
    cloud = EngineText(TextPolicy.default_for("hamsa"), name="hamsa")
    assert cloud.prepare("حالة Netflix هي on") == "حالة Netflix هي قيد التشغيل"


LEXICON = """\
# people
Salma = سلمى
سلمى = سَلْمى   # vowelled for the offline voice
Living Room = غرفة المعيشة
R2 = آر 2
وليد = وَلِيد
"""


def test_user_lexicon_file_format_and_problems() -> None:
    lexicon, problems = UserLexicon.parse(
        "\ufeffSalma = سلمى\nno equals sign here\n= سلمى\nSalma =\n\n  # only a comment\n"
    )
    assert len(lexicon) == 1
    assert [(p.line, p.reason) for p in problems] == [
        (2, NO_SEPARATOR),
        (3, EMPTY_WRITTEN),
        (4, EMPTY_SPOKEN),
    ]
    assert str(problems[0]) == "line 2: no '=' (write: written = spoken): 'no equals sign here'"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("هاتف Salma مشحون", "هاتف سلمى مشحون"),  # applied once: سلمى is not looked up again
        ("هاتف SALMA مشحون", "هاتف سلمى مشحون"),
        ("أرسل لسلمى رسالة", "أرسل لسَلْمى رسالة"),
        ("ضوء Living  Room مطفأ", "ضوء غرفة المعيشة مطفأ"),
        ("وليد في البيت", "وَلِيد في البيت"),  # the longer entry, not و + ليد
        ("Salmanova هنا", "Salmanova هنا"),  # whole words only
    ],
)
def test_user_lexicon_replaces_whole_words(text: str, spoken: str) -> None:
    lexicon, problems = UserLexicon.parse(LEXICON)
    assert problems == []
    assert lexicon.apply(text) == spoken


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ("ΟΔΟΣ = أودوس", "الشارع οδοσ هنا"),  # σ matches Σ, but "ΟΔΟΣ".lower() ends in ς
        ("Işık = إيشيك", "ضوء IŞIK مطفأ"),  # ı matches I, but "IŞIK".lower() has an i
    ],
)
def test_user_lexicon_matches_what_its_pattern_matches(entry: str, text: str) -> None:
    """The pattern matches without case more widely than str.lower() folds: such a match
    is spoken as its entry says (it was a KeyError that failed the whole reply)."""
    lexicon, _ = UserLexicon.parse(entry)
    spoken = entry.split(" = ")[1]
    assert lexicon.apply(text).split() == [*text.split()[:1], spoken, *text.split()[2:]]


def test_user_lexicon_comes_before_numbers_for_every_policy() -> None:
    lexicon, _ = UserLexicon.parse(LEXICON)
    offline = EngineText(OFFLINE_WITHOUT_TASHKEEL, name="offline-ar", lexicon=lexicon)
    assert offline.prepare("الروبوت R2 في Living Room") == "الروبوت آر اثنان في غرفة المعيشة"
    untouched = EngineText(TextPolicy(), name="hamsa", lexicon=lexicon)
    assert untouched.prepare("أين Salma؟") == "أين سلمى؟"


def test_tashkeel_keeps_a_word_the_writer_vowelled() -> None:
    """The lexicon's سَلْمى keeps its marks; a word with a tanween only gets the model's."""
    assert keep_letters("مرحباً سَلْمى", "مَرْحَبًا سَلْمَى") == "مَرْحَبًا سَلْمى"
