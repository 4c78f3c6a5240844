"""Numbers as Modern Standard Arabic words: cardinals, ordinals, decimals, clock hours.

Agreement rules that matter to a listener and are done here:

- ``gender`` is the gender of the *counted noun*. Arabic numbers 3–10 take the opposite
  form (ثلاثة أيام, ثلاث ساعات); 1, 2, 11, 12 agree (أحد عشر يومًا, إحدى عشرة ساعة); the
  units of 13–19 and of 21–99 follow the 3–10 rule. Counting with no noun uses the
  masculine-noun forms (واحد، اثنان، ثلاثة), as people do.
- ``case`` only changes the sound-plural and dual endings (عشرون/عشرين, اثنان/اثنين,
  مئتان/مئتين, ألفان/ألفين); "genitive" also stands for the accusative, which has the same
  endings. Other case endings are short vowels that unvowelled text does not write.

The digits of a number are read as a whole up to 999 999 999 999; longer strings are
identifiers and are read digit by digit by the caller.
"""

from __future__ import annotations

from typing import Literal

Gender = Literal["m", "f"]
Case = Literal["nom", "gen"]

MAX_CARDINAL = 999_999_999_999

ZERO = "صفر"
# Index = value; forms used before a masculine noun (and for counting) / a feminine noun.
_UNITS_M = ["", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة"]
_UNITS_F = ["", "واحدة", "اثنتان", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع", "عشر"]
_TENS_NOM = ["", "", "عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون"]
_HUNDREDS = [
    "",
    "مئة",
    "مئتان",
    "ثلاثمئة",
    "أربعمئة",
    "خمسمئة",
    "ستمئة",
    "سبعمئة",
    "ثمانمئة",
    "تسعمئة",
]
# (singular, dual nominative, plural) of the scale words; all masculine.
_SCALES = [
    (10**9, "مليار", "ملياران", "مليارات"),
    (10**6, "مليون", "مليونان", "ملايين"),
    (10**3, "ألف", "ألفان", "آلاف"),
]

# Ordinals (masculine / feminine), 1–10; 11–19 add عشر/عشرة; tens use the cardinal.
_ORDINALS_M = [
    "",
    "الأول",
    "الثاني",
    "الثالث",
    "الرابع",
    "الخامس",
    "السادس",
    "السابع",
    "الثامن",
    "التاسع",
    "العاشر",
]
_ORDINALS_F = [
    "",
    "الأولى",
    "الثانية",
    "الثالثة",
    "الرابعة",
    "الخامسة",
    "السادسة",
    "السابعة",
    "الثامنة",
    "التاسعة",
    "العاشرة",
]


def _oblique(word: str) -> str:
    """Genitive/accusative of a dual or sound masculine plural ending (-ان → -ين, -ون → -ين)."""
    if word.endswith("ان"):
        return word[:-2] + "ين"
    if word.endswith("ون"):
        return word[:-2] + "ين"
    if word.endswith("تا"):  # اثنتا عشرة → اثنتي عشرة
        return word[:-1] + "ي"
    if word == "اثنا":
        return "اثني"
    return word


def _case(word: str, case: Case) -> str:
    return _oblique(word) if case == "gen" else word


def _below_hundred(n: int, gender: Gender, case: Case) -> str:
    units = _UNITS_F if gender == "f" else _UNITS_M
    if n <= 10:
        return _case(units[n], case) if n in (2,) else units[n]
    if n == 11:
        return "إحدى عشرة" if gender == "f" else "أحد عشر"
    if n == 12:
        head = "اثنتا" if gender == "f" else "اثنا"
        return f"{_case(head, case)} {'عشرة' if gender == 'f' else 'عشر'}"
    if n < 20:
        # Units reverse gender, عشر agrees: ثلاثة عشر يومًا, ثلاث عشرة ساعة.
        return f"{units[n - 10]} {'عشرة' if gender == 'f' else 'عشر'}"
    tens, unit = divmod(n, 10)
    tens_word = _case(_TENS_NOM[tens], case)
    if unit == 0:
        return tens_word
    if unit == 1:
        unit_word = "إحدى" if gender == "f" else "واحد"
    elif unit == 2:
        unit_word = _case("اثنتان" if gender == "f" else "اثنان", case)
    else:
        unit_word = units[unit]
    return f"{unit_word} و{tens_word}"


def _below_thousand(n: int, gender: Gender, case: Case) -> str:
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds:
        parts.append(_case(_HUNDREDS[hundreds], case))
    if rest:
        parts.append(_below_hundred(rest, gender, case))
    return " و".join(parts)


def _scale(count: int, singular: str, dual: str, plural: str, case: Case) -> str:
    """ألف، ألفان، ثلاثة آلاف، أحد عشر ألفًا، مئة ألف … (scale words are masculine)."""
    if count == 1:
        return singular
    if count == 2:
        return _case(dual, case)
    if 3 <= count <= 10:
        return f"{_UNITS_M[count]} {plural}"
    rest = count % 100
    if rest == 0 and count // 100 == 2:
        words = "مئتي" if case == "gen" else "مئتا"  # construct state: مئتا ألف
    else:
        words = _below_thousand(count, "m", case)
    if 11 <= rest <= 99:
        return f"{words} {singular}ًا"  # tamyiz: أحد عشر ألفًا
    return f"{words} {singular}"


def cardinal(n: int, gender: Gender = "m", case: Case = "nom") -> str:
    """The number as words (0 ≤ n ≤ 999 999 999 999)."""
    if n < 0 or n > MAX_CARDINAL:
        raise ValueError(f"{n} is out of range")
    if n == 0:
        return ZERO
    parts: list[str] = []
    rest = n
    for value, singular, dual, plural in _SCALES:
        count, rest = divmod(rest, value)
        if count:
            parts.append(_scale(count, singular, dual, plural, case))
    if rest:
        parts.append(_below_thousand(rest, gender, case))
    return " و".join(parts)


def ordinal(n: int, gender: Gender = "m") -> str | None:
    """الأول، الحادي عشر، الخامس والعشرون… (1–99); None where no ordinal form is made."""
    ordinals = _ORDINALS_F if gender == "f" else _ORDINALS_M
    if 1 <= n <= 10:
        return ordinals[n]
    if 11 <= n <= 19:
        unit = n - 10
        head = ("الحادية" if gender == "f" else "الحادي") if unit == 1 else ordinals[unit]
        return f"{head} {'عشرة' if gender == 'f' else 'عشر'}"
    if 20 <= n <= 99:
        tens, unit = divmod(n, 10)
        tens_word = "ال" + _TENS_NOM[tens]
        if unit == 0:
            return tens_word
        head = ("الحادية" if gender == "f" else "الحادي") if unit == 1 else ordinals[unit]
        return f"{head} و{tens_word}"
    return None


def digits(text: str) -> str:
    """Each digit on its own: identifiers, phone numbers, leading zeros."""
    return " ".join(cardinal(int(char)) for char in text if char.isdigit())


def fraction_digits(text: str) -> str:
    """The digits after a decimal point: as one number (٥ → خمسة, ٢٥ → خمسة وعشرون),
    digit by digit when they start with zeros (٠٥ → صفر خمسة)."""
    if text.startswith("0") or len(text) > 3:
        return digits(text)
    return cardinal(int(text))
