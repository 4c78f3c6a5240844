"""Fractions written with a slash: 1/2 → نصف, 3/4 → ثلاثة أرباع, 5/8 → خمسة من ثمانية.

Halves, thirds and quarters have names people use (نصف، ثلث، ثلثان، ربع، ثلاثة أرباع);
every other a/b is read "a من b" (five out of eight). That reading is right for a score
or a rating (التقييم 8/10: ثمانية من عشرة) as well as for a part of a whole, where
"خمسة أثمان" would be right for a measure and odd for a score; the listener cannot be
misled by it. Before a noun a named fraction is in construct (ثلثا الكمية, نصف كوب).

Not fractions: dates (12/05/2026 is read as a date before this runs), "24/7" (read
على مدار الساعة, what it means), and a/b with a zero in front, a ≥ b or b above 10 (12/05
may be a day and a month; those keep their digits).
"""

from __future__ import annotations

import regex as re

from .numbers import Case, cardinal

D = r"[0-9\u0660-\u0669\u06F0-\u06F9]"
_FOLD = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

AROUND_THE_CLOCK = "على مدار الساعة"
# (numerator, denominator) → standalone form, construct form (before a noun).
_NAMED: dict[tuple[int, int], tuple[str, str]] = {
    (1, 2): ("نصف", "نصف"),
    (1, 3): ("ثلث", "ثلث"),
    (2, 3): ("ثلثان", "ثلثا"),
    (1, 4): ("ربع", "ربع"),
    (2, 4): ("نصف", "نصف"),
    (3, 4): ("ثلاثة أرباع", "ثلاثة أرباع"),
}
_OBLIQUE = {"ثلثان": "ثلثين", "ثلثا": "ثلثي"}
MAX_DENOMINATOR = 10

# "و" or "ف" glued in front, a whole number before the fraction (1 1/2), the fraction, and
# whether a word follows.
FRACTION_RE = re.compile(
    rf"""
    (?:(?<![\p{{L}}\p{{M}}\p{{N}}_])(?P<pre>[وف]))?
    (?(pre)|(?<![\p{{L}}\p{{M}}\p{{N}}_.,٫٬:/\-−]))
    (?:(?P<whole>{D}{{1,3}})[ ])?
    (?P<a>{D}{{1,2}})/(?P<b>{D}{{1,2}})
    (?![\p{{N}}\p{{L}}_]|[/.,٫٬:\-]{D})
    (?P<noun>[ ]+(?=(?=\p{{Arabic}})\p{{L}}))?
    """,
    re.VERBOSE,
)


def spoken_fraction(a_text: str, b_text: str, before_noun: bool, case: Case) -> str | None:
    """The words for a/b, or None when a/b is not read as a fraction."""
    if a_text.translate(_FOLD) == "24" and b_text.translate(_FOLD) == "7":
        return AROUND_THE_CLOCK
    if a_text.startswith(("0", "٠", "۰")) or b_text.startswith(("0", "٠", "۰")):
        return None
    a, b = int(a_text.translate(_FOLD)), int(b_text.translate(_FOLD))
    if not 0 < a < b <= MAX_DENOMINATOR:
        return None
    if (a, b) in _NAMED:
        standalone, construct = _NAMED[(a, b)]
        words = construct if before_noun else standalone
        return _OBLIQUE.get(words, words) if case == "gen" else words
    return f"{cardinal(a)} من {cardinal(b)}"


def fraction(match: re.Match[str], case: Case) -> str:
    """A FRACTION_RE match in words (unchanged when it is not a fraction to read)."""
    spoken = spoken_fraction(match.group("a"), match.group("b"), bool(match.group("noun")), case)
    if spoken is None:
        return str(match.group(0))
    whole = match.group("whole")
    if whole is not None:
        if spoken == AROUND_THE_CLOCK:
            return str(match.group(0))
        spoken = f"{cardinal(int(whole.translate(_FOLD)), 'm', case)} و{spoken}"
    return (match.group("pre") or "") + spoken + (match.group("noun") or "")
