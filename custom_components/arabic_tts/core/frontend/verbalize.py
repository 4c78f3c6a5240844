"""Digits, clock times, dates, units and Latin state words → what a listener should hear.

Three steps, each optional (see policy.py):

- **words**: the Latin words Home Assistant writes into Arabic replies (``on``, ``off``,
  ``unavailable``…) and unit symbols after a number (``°C``, ``kWh``, ``%``) become Arabic;
  the digits stay as they are, for engines that read digits well in their own dialect.
- **numbers**: digits (Western and Eastern Arabic) become Modern Standard Arabic words:
  clock times with صباحًا/مساءً, dates, decimals, percentages, negatives, temperatures and
  other units, ordinals (الـ3) agreeing with the noun before them, counted nouns with
  gender and number agreement, money (money.py), fractions (fractions.py) and phone
  numbers in digit groups (phones.py).
- **latin** (offline voices): the Latin words still left become Arabic letters (latin.py).

Rules that keep it from making things worse:

- A sentence without Arabic letters is left alone (Hamsa's English voices, code names).
- A Latin word is replaced only when it stands alone: next to another Latin word it is
  part of a name or an English phrase ("Living Room on Timer").
- A number before an Arabic noun the lexicon does not know is read with the gender its
  ending suggests (counting.py: ة and ات feminine, else masculine), the noun as written.
- Identifiers (leading zeros, more than twelve digits), versions (2.1.0), numbers glued to
  Latin letters (A3, 3D, mp3) are not numbers to read (the latin step spells the last).
"""

from __future__ import annotations

import itertools

import regex as re

from .counting import counted, definite, guess_gender, number_words
from .fractions import FRACTION_RE, fraction
from .latin import transliterate_latin
from .lexicon import (
    ARABIC_FIXES,
    EVENING,
    GENITIVE_BEFORE,
    GENITIVE_PREFIXES,
    LATIN_WORDS,
    MONTH_NAMES_BY_NUMBER,
    MONTHS,
    NOUN_FORMS,
    PERIODS,
    UNITS,
    YEAR_BEFORE,
    Noun,
    Unit,
    bare,
    find_noun,
)
from .money import CURRENCY_SYMBOLS, Currency, amount, find_currency
from .numbers import Case, cardinal, digits, ordinal
from .phones import PHONE_RE, phone

ARABIC_LETTER_RE = re.compile(r"(?=\p{Arabic})\p{L}")
LATIN_LETTER_RE = re.compile(r"\p{Latin}")
_FOLD = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
D = r"[0-9\u0660-\u0669\u06F0-\u06F9]"
NEGATIVE = "سالب"

# Words after a number that are not what it counts (و ٣ أيضًا، ٥٠ في المئة).
_NOT_COUNTED = frozenset(
    {
        "في",
        "من",
        "إلى",
        "الى",
        "على",
        "عن",
        "و",
        "أو",
        "او",
        "ثم",
        "هو",
        "هي",
        "فقط",
        "تقريبا",
        "تقريبًا",
        "ايضا",
        "أيضا",
        "أيضًا",
        "اخرى",
        "أخرى",
        "آخرين",
        "بالمئة",
        "بالمائة",
        "مع",
        "حتى",
        "لا",
        "تم",
        "الآن",
    }
)

_PERIOD_ALTERNATION = "|".join(
    re.escape(word) for word in sorted(PERIODS, key=len, reverse=True) if not word.isascii()
)
TIME_RE = re.compile(
    rf"(?<![\p{{N}}:.])(?P<h>{D}{{1,2}}):(?P<m>{D}{{2}})(?::(?P<s>{D}{{2}}))?(?![\p{{N}}]|:{D})"
    rf"(?:\s*(?P<period>{_PERIOD_ALTERNATION}|[AaPp]\.?[Mm]\.?)(?![\p{{L}}\p{{M}}]))?"
)
ISO_DATE_RE = re.compile(
    rf"(?<![\p{{N}}\-/])(?P<y>{D}{{4}})-(?P<mo>{D}{{1,2}})-(?P<d>{D}{{1,2}})(?![\p{{N}}\-/])"
)
DMY_DATE_RE = re.compile(
    rf"(?<![\p{{N}}/\-])(?P<d>{D}{{1,2}})/(?P<mo>{D}{{1,2}})/(?P<y>{D}{{4}})(?![\p{{N}}/\-])"
)

# An Arabic word (letters and marks, not digits) that is not glued to a number (و٣٠).
_WORD = r"(?:(?=\p{Arabic})\p{L}\p{M}*)+(?![\p{N}\p{M}])"
_UNIT_ALTERNATION = "|".join(re.escape(symbol) for symbol in sorted(UNITS, key=len, reverse=True))
_CURRENCY_ALTERNATION = "|".join(
    re.escape(symbol) for symbol in sorted(CURRENCY_SYMBOLS, key=len, reverse=True)
)
NUMBER_RE = re.compile(
    rf"""
    (?:(?<![\p{{L}}\p{{M}}\p{{N}}_])(?P<pre>[وف]?[بلك]|[وف]|[وف]?الـ?))?
    (?(pre)|(?<![\p{{L}}\p{{M}}\p{{N}}_.,٫٬:/]))
    (?:(?P<curpre>{_CURRENCY_ALTERNATION})[ ]?(?=[-−]?{D}))?
    (?P<sign>[-−](?={D}))?
    (?P<int>{D}{{1,3}}(?:[,٬]{D}{{3}})+|{D}+)
    (?P<frac>[.٫]{D}+)?
    (?:
        (?(curpre)(?!)|[ ]?(?P<cur>{_CURRENCY_ALTERNATION})(?![\p{{L}}\p{{N}}]))
      | \s?(?P<unit>{_UNIT_ALTERNATION})(?![\p{{L}}\p{{N}}])
      | (?![\p{{N}}\p{{Latin}}_]|[.,٫٬:/]{D})
        (?:\s+(?P<word>{_WORD})(?:\s+(?P<word2>{_WORD}))?)?
    )
    """,
    re.VERBOSE,
)
LATIN_RUN_RE = re.compile(
    r"(?<![\p{Latin}\p{N}_\-'])[A-Za-z][A-Za-z_\-']*(?:[ \t]+[A-Za-z][A-Za-z_\-']*)*"
    r"(?![\p{Latin}\p{N}_\-'])"
)
_FIXES_RE = re.compile(
    r"(?<![\p{L}\p{M}])(" + "|".join(map(re.escape, ARABIC_FIXES)) + r")(?![\p{L}\p{M}])"
)
_AMPERSAND_RE = re.compile(r"(?<=\s)&(?=\s)")
_PREVIOUS_WORD_RE = re.compile(r"(\p{L}[\p{L}\p{M}]*)[^\p{L}\p{N}]*$")


def is_arabic_context(text: str) -> bool:
    """True unless the text is written in Latin letters only (an English sentence, a name):
    Arabic text, and text of digits and symbols alone (a bare "22.5"), is ours to read."""
    return ARABIC_LETTER_RE.search(text) is not None or LATIN_LETTER_RE.search(text) is None


def verbalize(text: str, *, numbers: bool = True, words: bool = True, latin: bool = False) -> str:
    """Apply the numbers, words and/or latin steps to one sentence or a whole text."""
    if not (numbers or words or latin) or not is_arabic_context(text):
        return text
    if words:
        text = _FIXES_RE.sub(lambda match: ARABIC_FIXES[match.group(1)], text)
    if numbers:
        text = ISO_DATE_RE.sub(_iso_date, text)
        text = DMY_DATE_RE.sub(_dmy_date, text)
        text = PHONE_RE.sub(phone, text)
        text = FRACTION_RE.sub(_fraction, text)
        text = TIME_RE.sub(_time, text)
        text = NUMBER_RE.sub(_number, text)
    elif words:
        text = NUMBER_RE.sub(_unit_only, text)
    if words:
        text = LATIN_RUN_RE.sub(_latin, text)
        text = _AMPERSAND_RE.sub("و", text)
    if latin:
        text = transliterate_latin(text)
    return text


# --- words ------------------------------------------------------------------------------


def _latin_key(run: str) -> str:
    """not_home, "Not Home", "not  home" → "not home"."""
    return " ".join(run.replace("_", " ").split()).lower()


_LATIN_LOOKUP = {_latin_key(word): spoken for word, spoken in LATIN_WORDS.items()}


def _latin(match: re.Match[str]) -> str:
    run: str = match.group(0)
    return _LATIN_LOOKUP.get(_latin_key(run), run)


def _unit_only(match: re.Match[str]) -> str:
    """Words step without numbers: the unit becomes Arabic, the digits stay."""
    symbol = match.group("unit")
    if symbol is None:
        return str(match.group(0))
    unit = UNITS[symbol]
    number = match.group(0)[: match.start("unit") - match.start()].rstrip()
    name = unit.singular
    if unit.noun is not None and not match.group("frac"):
        value = int(_fold(match.group("int")).replace(",", ""))
        if 3 <= value <= 10:
            name = unit.noun.plural
    return f"{number} {name}"


# --- numbers ----------------------------------------------------------------------------


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _previous_word(text: str, end: int) -> str:
    match = _PREVIOUS_WORD_RE.search(text, max(0, end - 40), end)
    return match.group(1) if match else ""


def _number(match: re.Match[str]) -> str:
    raw: str = match.group(0)
    text: str = match.string
    prefix = match.group("pre") or ""
    int_text = _fold(match.group("int")).replace(",", "")
    fraction = _fold(match.group("frac") or "")[1:]
    negative = bool(match.group("sign"))
    unit_symbol = match.group("unit")
    currency_symbol = match.group("cur") or match.group("curpre")
    word = match.group("word")
    word2 = match.group("word2")
    is_ordinal = prefix.rstrip("ـ").endswith("ال")
    if (len(int_text) > 1 and int_text.startswith("0")) or len(int_text) > 12:
        if fraction or negative or is_ordinal or unit_symbol or currency_symbol:
            return raw
        return prefix + digits(int_text) + _rest_after_number(match)
    value = int(int_text)
    previous = _previous_word(text, match.start())
    case: Case = (
        "gen"
        if (prefix and prefix[-1] in GENITIVE_PREFIXES and not is_ordinal)
        or previous in GENITIVE_BEFORE
        or _governed_through_and(text, match.start(), prefix, previous)
        else "nom"
    )
    sign = f"{NEGATIVE} " if negative else ""

    if is_ordinal:
        if negative or fraction or unit_symbol or currency_symbol:
            return raw
        head = prefix.rstrip("ـ")[:-2]  # "وال" → "و"
        if (noun := _counted_after_al(value, word, previous)) is not None:
            # خلال الـ24 ساعة: the last twenty-four hours, not the twenty-fourth hour.
            case = "gen" if head.endswith(GENITIVE_PREFIXES) else case
            return head + definite(cardinal(value, noun.gender, case)) + _rest_after_number(match)
        # An ordinal follows the noun it describes and agrees with it: المرة الثالثة.
        rank = ordinal(value, guess_gender(previous))
        if rank is None:
            return raw
        return head + rank + _rest_after_number(match)

    if currency_symbol is not None:
        spoken = _money(value, fraction, CURRENCY_SYMBOLS[currency_symbol], case)
        after = _rest_after_number(match) if match.group("curpre") else ""  # $5 شهريا
        return prefix + sign + spoken + after

    if unit_symbol is not None:
        unit = UNITS[unit_symbol]
        if unit.noun is not None:
            spoken = counted(value, unit.noun, case, fraction)
        else:
            spoken = f"{number_words(value, fraction, 'm', case)} {unit.phrase}"
        return prefix + sign + spoken

    if word is None:
        if (previous in YEAR_BEFORE or previous in MONTHS) and 1000 <= value <= 2999:
            case = "gen"  # عام ألفين وستة وعشرين، يناير ألفين وستة وعشرين
        return prefix + sign + number_words(value, fraction, "m", case)

    tail = f" {word2}" if word2 is not None else ""
    if (currency := find_currency(word)) is not None:
        return prefix + sign + _money(value, fraction, currency, case) + tail

    noun = find_noun(word)
    if noun is not None:
        spoken = counted(value, noun, case, fraction)
        if word2 is not None and value == 2 and not fraction and word2 in noun.dual_adjectives:
            nominative, genitive = noun.dual_adjectives[word2]
            tail = " " + (genitive if case == "gen" else nominative)
        return prefix + sign + spoken + tail

    month = _month_after(word, word2)
    if month and 1 <= value <= 31 and not fraction and not negative:
        day = ordinal(value, "m")
        assert day is not None
        return f"{prefix}{day} من {_rest_after_number(match).lstrip()}"

    # A noun the lexicon does not know: its gender is guessed from its ending (counting.py);
    # the words after the number stay as written.
    gender = "m" if word in _NOT_COUNTED else guess_gender(word)
    spoken = number_words(value, fraction, gender, case)
    return prefix + sign + spoken + _rest_after_number(match)


def _counted_after_al(value: int, word: str | None, previous: str) -> Noun | None:
    """The noun a number written الـN counts, when it counts one: the word after it is
    that noun in the form the number asks for (a plural after 3-10, else the singular),
    and the word before it is no definite noun the number would be the rank of
    (الطابق الـ12 غرفة: the twelfth floor)."""
    noun = find_noun(word)
    if noun is None or word is None or value < 3 or bare(previous).startswith("ال"):
        return None
    forms = {noun.plural} if 3 <= value % 100 <= 10 else {noun.singular, noun.tamyiz}
    return noun if bare(word) in {bare(form) for form in forms} else None


def _money(value: int, fraction: str, currency: Currency, case: Case) -> str:
    """An amount with its currency; more decimals than the minor unit holds: a decimal."""
    spoken = amount(value, fraction, currency, case)
    if spoken is None:
        noun = currency.noun
        spoken = f"{number_words(value, fraction, noun.gender, case)} {noun.singular}"
    return spoken


def _fraction(match: re.Match[str]) -> str:
    case: Case = "gen" if _previous_word(match.string, match.start()) in GENITIVE_BEFORE else "nom"
    return fraction(match, case)


def _governed_through_and(text: str, start: int, prefix: str, previous: str) -> bool:
    """A number joined by "و" shares the case of what came before it in the same clause:
    لمدة ثلاث ساعات وعشر دقائق وعشرين ثانية."""
    if not (prefix.startswith("و") or previous == "و"):
        return False
    before = text[max(0, start - 60) : start]
    if prefix.startswith("و"):
        before += " و"
    clause = re.split(r"[.!?؟،,:؛\n]", before)[-1]
    tokens: list[str] = re.findall(r"[\p{L}\p{M}]+|\p{N}+", clause)[-7:-1]
    # The governing word must head a count: "لمدة ٣ ساعات و…", "لمدة ساعتين و…".
    return any(
        word in GENITIVE_BEFORE and (following.isdigit() or find_noun(following) is not None)
        for word, following in itertools.pairwise(tokens)
    )


def _rest_after_number(match: re.Match[str]) -> str:
    """The words captured after the number, unchanged (with their spacing)."""
    end = match.end("frac") if match.group("frac") else match.end("int")
    return str(match.string[end : match.end()])


def _month_after(word: str | None, word2: str | None) -> str | None:
    if word is None:
        return None
    if word2 is not None and f"{word} {word2}" in MONTHS:
        return f"{word} {word2}"
    return word if word in MONTHS else None


# --- times and dates -------------------------------------------------------------------


def _time(match: re.Match[str]) -> str:
    hour = int(_fold(match.group("h")))
    minute = int(_fold(match.group("m")))
    second = int(_fold(match.group("s"))) if match.group("s") else None
    if hour > 24 or minute > 59 or (second is not None and second > 59):
        return str(match.group(0))
    period_text = match.group("period")
    period = PERIODS.get(period_text.lower()) if period_text else None
    if period is None and 13 <= hour <= 23:
        period = EVENING  # a 24-hour clock says which half of the day it is
    hour12 = hour % 12 or 12
    next_hour = hour12 % 12 + 1
    minutes = NOUN_FORMS["دقيقة"]
    seconds = NOUN_FORMS["ثانية"]
    if second:
        spoken = ordinal(hour12, "f") or ""
        if minute:
            spoken += " و" + counted(minute, minutes)
        spoken += " و" + counted(second, seconds)
    elif minute == 0:
        spoken = ordinal(hour12, "f") or ""
    elif minute in (15, 20, 30):
        part = {15: "الربع", 20: "الثلث", 30: "النصف"}[minute]
        spoken = f"{ordinal(hour12, 'f')} و{part}"
    elif minute in (40, 45):
        part = {40: "ثلثًا", 45: "ربعًا"}[minute]
        spoken = f"{ordinal(next_hour, 'f')} إلا {part}"
    else:
        spoken = f"{ordinal(hour12, 'f')} و{counted(minute, minutes)}"
    return f"{spoken} {period}" if period else spoken


def _date(day: int, month: int, year: int, raw: str) -> str:
    day_words = ordinal(day, "m")
    if day_words is None or not 1 <= month <= 12 or not 1000 <= year <= 2999:
        return raw
    return f"{day_words} من {MONTH_NAMES_BY_NUMBER[month - 1]} {cardinal(year, 'm', 'gen')}"


def _iso_date(match: re.Match[str]) -> str:
    year, month, day = (int(_fold(match.group(key))) for key in ("y", "mo", "d"))
    return _date(day, month, year, match.group(0))


def _dmy_date(match: re.Match[str]) -> str:
    year, month, day = (int(_fold(match.group(key))) for key in ("y", "mo", "d"))
    return _date(day, month, year, match.group(0))


__all__ = ["Unit", "counted", "is_arabic_context", "number_words", "verbalize"]
