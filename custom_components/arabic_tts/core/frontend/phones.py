"""Phone numbers read in groups of digits, as people say them, not as one huge number.

Each group is read digit by digit (صفر خمسة خمسة), with a comma between groups so the
voice pauses there: "050 123 4567" → صفر خمسة صفر، واحد اثنان ثلاثة، أربعة خمسة ستة سبعة.
A leading ``+`` is زائد.

What is a phone number:

- ``+`` and 7 to 15 digits (+966 50 123 4567, +966501234567);
- ``00`` and 8 to 15 more digits (00966501234567);
- ``0`` and 8 to 11 more digits (0501234567, 050-123-4567, (011) 234 5678);
- two groups of 3–4 and 4 digits joined by a space or a dash (2345-6789, 234 5678), unless
  both end in 00 (a range: 1000-2000);
- 10 digits or more without separators (a quantity that large is written with them);
- after a word about phones (هاتف، جوال، اتصل، واتساب، الطوارئ… within the four words
  before it), any number of 3 digits or more that no counted noun follows: اتصل بـ 997,
  رقم الجوال 501234567 (but not اتصل الجهاز منذ 120 دقيقة).

Groups: the writer's, when the number is written in groups. Otherwise a ``+``/``00``
number loses its country code first (the ITU codes are prefix-free: 1 and 7, a known
set of two-digit codes, else three digits), and the rest is cut from the right into a
last group of four and groups of three before it, a single leading digit joining the
next group: 0501234567 → 050 123 4567, 501234567 → 50 123 4567, 23456789 → 2345 6789.
"""

from __future__ import annotations

import regex as re

from .counting import known_noun
from .money import find_currency
from .numbers import digits

D = r"[0-9\u0660-\u0669\u06F0-\u06F9]"
_FOLD = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
PLUS = "زائد"
GROUP_SEPARATOR = "، "

# A run of digits, maybe with a +, groups joined by one space or dash, parentheses around
# the first group. Later groups have 2–4 digits, so "3 0501234567" is not one candidate.
PHONE_RE = re.compile(
    rf"""
    (?<![\p{{L}}\p{{M}}\p{{N}}_.,٫٬/:+\-−])
    (?P<plus>\+)?
    (?P<number>\(?{D}+\)?(?:[ \-]\(?{D}{{2,4}}\)?)*)
    (?![\p{{L}}\p{{N}}_]|[.,٫٬/:\-]{D})
    """,
    re.VERBOSE,
)
_SEPARATOR_RE = re.compile(r"[ \-]")
_PREVIOUS_WORDS_RE = re.compile(r"[\p{L}\p{M}]+")
_CLAUSE_END_RE = re.compile(r"[.!?؟،,:؛\n]")
_NEXT_WORD_RE = re.compile(r"[ \t]+((?:(?=\p{Arabic})\p{L}\p{M}*)+)")

PHONE_WORDS = frozenset(
    {
        "هاتف",
        "هواتف",
        "جوال",
        "موبايل",
        "تلفون",
        "تليفون",
        "واتساب",
        "واتس",
        "الطوارئ",
        "طوارئ",
        "اتصل",
        "اتصلي",
        "اتصلوا",
        "فاكس",
    }
)
_CLITICS = ("وبال", "وال", "بال", "لل", "ال", "و", "ب", "ل")
# Two-digit country codes (ITU-T E.164); 1 and 7 are one digit, every other code three.
_TWO_DIGITS = (20, 27, *range(30, 35), 36, 39, 40, 41, *range(43, 50), *range(51, 59))
_TWO_DIGITS += (*range(60, 67), 81, 82, 84, 86, *range(90, 96), 98)
_TWO_DIGIT_CODES = frozenset(str(code) for code in _TWO_DIGITS)
MIN_KEYWORD_DIGITS = 3
MAX_DIGITS = 15
MIN_RUN_DIGITS = 10


def _is_phone_word(word: str) -> bool:
    if word in PHONE_WORDS:
        return True
    return any(
        word.startswith(clitic) and word[len(clitic) :] in PHONE_WORDS for clitic in _CLITICS
    )


def after_phone_word(text: str, start: int) -> bool:
    """One of the four words before ``start`` (in the same clause) is about phones."""
    before = text[max(0, start - 60) : start]
    clause = _CLAUSE_END_RE.split(before)[-1]
    words: list[str] = _PREVIOUS_WORDS_RE.findall(clause)[-4:]
    return any(_is_phone_word(word) for word in words)


def country_code_length(number: str) -> int:
    """Length of the country code at the start of an international number."""
    if number[:1] in ("1", "7"):
        return 1
    return 2 if number[:2] in _TWO_DIGIT_CODES else 3


def national_groups(number: str) -> list[str]:
    """A last group of four, groups of three before it; one digit alone joins the next."""
    groups: list[str] = []
    rest = number
    size = 4
    while len(rest) > size:
        groups.insert(0, rest[-size:])
        rest = rest[:-size]
        size = 3
    if len(rest) == 1 and groups:
        groups[0] = rest + groups[0]
    elif rest:
        groups.insert(0, rest)
    return groups


def phone_groups(plus: bool, written: str, keyword: bool) -> list[str] | None:
    """The digit groups to read, or None when this is not a phone number."""
    groups = [group.strip("()") for group in _SEPARATOR_RE.split(written.translate(_FOLD))]
    number = "".join(groups)
    count = len(number)
    separated = len(groups) > 1
    if count > MAX_DIGITS:
        return None
    if plus:
        if count < 7:
            return None
        if separated:
            return groups
        code = country_code_length(number)
        return [number[:code], *national_groups(number[code:])]
    if number.startswith("00") and count >= 10:
        if separated:
            return groups
        code = country_code_length(number[2:])
        return [number[: 2 + code], *national_groups(number[2 + code :])]
    if number.startswith("0") and 9 <= count <= 12:
        return groups if separated else national_groups(number)
    if keyword and count >= MIN_KEYWORD_DIGITS:
        return groups if separated else national_groups(number)
    if (
        len(groups) == 2
        and len(groups[0]) in (3, 4)
        and len(groups[1]) == 4
        and not (groups[0].endswith("00") and groups[1].endswith("00"))
    ):
        return groups
    if not separated and count >= MIN_RUN_DIGITS:
        return national_groups(number)
    return None


def phone(match: re.Match[str]) -> str:
    """A PHONE_RE match read in digit groups (unchanged when it is not a phone number)."""
    next_word = _NEXT_WORD_RE.match(match.string, match.end())
    keyword = after_phone_word(match.string, match.start()) and not (
        next_word and (known_noun(next_word.group(1)) or find_currency(next_word.group(1)))
    )
    groups = phone_groups(bool(match.group("plus")), match.group("number"), keyword)
    if groups is None:
        return str(match.group(0))
    spoken = GROUP_SEPARATOR.join(digits(group) for group in groups)
    return f"{PLUS} {spoken}" if match.group("plus") else spoken
