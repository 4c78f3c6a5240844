"""A number and the noun it counts, agreeing in gender, number and case.

Also the gender of a word the lexicon does not know, guessed from its ending, for the
numbers whose words depend on it (ثلاثة كتب / ثلاث سيارات) and for ordinals after a noun
(المرة الثالثة): a singular ending in ة (رحلة، مخالفة) and a plural ending in ات
(سيارات) are taken as feminine, anything else as masculine, the form people count with.
The plural rule is wrong for masculine nouns with an ات plural (حمامات، ملفات); the common
ones in a smart home are in the lexicon (إشعارات، تنبيهات، تحديثات، مستشعرات…).
"""

from __future__ import annotations

from .lexicon import Gender, Noun, bare, find_noun
from .numbers import Case, cardinal, fraction_digits

DECIMAL_POINT = "فاصلة"

# Letters a word may carry in front (و، ف، ب، ل، ك، ال) before its noun: للمرة → مرة.
_CLITICS = ("وبال", "وال", "ولل", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")


def number_words(value: int, fraction: str = "", gender: Gender = "m", case: Case = "nom") -> str:
    """23 → ثلاثة وعشرون; with a fraction: ثلاثة وعشرون فاصلة خمسة."""
    words = cardinal(value, gender, case)
    if fraction:
        words += f" {DECIMAL_POINT} {fraction_digits(fraction)}"
    return words


def counted(value: int, noun: Noun, case: Case = "nom", fraction: str = "") -> str:
    """A number and the noun it counts, agreeing in gender and number."""
    one = "واحدة" if noun.gender == "f" else "واحد"
    if fraction:
        return f"{number_words(value, fraction, noun.gender, case)} {noun.singular}"
    if value == 0:
        return f"{cardinal(0)} {noun.singular}"
    if value == 1:
        return f"{noun.singular} {one}"
    if value == 2:
        if noun.dual == noun.singular:  # a compound unit without a dual form
            return f"{cardinal(2, noun.gender, case)} {noun.singular}"
        return noun.dual_gen if case == "gen" else noun.dual
    rest = value % 100
    words = cardinal(value, noun.gender, case)
    if 3 <= rest <= 10:
        return f"{words} {noun.plural}"
    if 11 <= rest <= 99:
        return f"{words} {noun.tamyiz}"
    return f"{words} {noun.singular}"


def definite(number: str) -> str:
    """A number's words with the article, as before the noun it counts: أربع وعشرون →
    الأربع والعشرون (ال on the first word and on each one joined by و)."""
    words: list[str] = []
    for index, word in enumerate(number.split(" ")):
        if index == 0:
            words.append("ال" + word)
        elif word.startswith("و"):
            words.append("وال" + word[1:])
        else:
            words.append(word)  # the second part of 11-19, آلاف after its count
    return " ".join(words)


def known_noun(word: str) -> Noun | None:
    """The lexicon's noun for a word, with or without the letters in front (للمرة)."""
    if (noun := find_noun(word)) is not None:
        return noun
    for clitic in _CLITICS:
        stem = word[len(clitic) :]
        if word.startswith(clitic) and len(stem) >= 2 and (noun := find_noun(stem)) is not None:
            return noun
    return None


def guess_gender(word: str | None) -> Gender:
    """The gender of a noun: the lexicon's when it knows it, else from the ending."""
    if not word:
        return "m"
    if (noun := known_noun(word)) is not None:
        return noun.gender
    plain = bare(word)
    return "f" if plain.endswith(("ة", "ات")) and len(plain) > 2 else "m"
