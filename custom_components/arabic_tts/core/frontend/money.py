"""Amounts of money: "12.50 ريال" → اثنا عشر ريالًا وخمسون هللة.

A currency is its main noun and its minor unit (هللة، سنت، فلس، قرش، بنس) with how many
minor units make one (100; 1000 for the Kuwaiti, Jordanian and Bahraini dinar). The
decimals of an amount are read as minor units when there are no more of them than the
currency has (12.5 → fifty halalas; 3.250 dinars → two hundred and fifty fils); more
decimals than that (12.505 $) are read as a decimal number.

A currency is written as an Arabic word after the amount (ريال، دولار، درهم، جنيه، دينار،
يورو، ليرة, in any of their forms), or as a symbol or code before or after it ($, €, £,
﷼, USD, SAR, AED, EGP, KWD, ر.س, د.إ, ج.م …). A code names the country's currency, but
what is read is the currency's own noun (SAR → ريال, AED → درهم), as people say it at home.
"""

from __future__ import annotations

from dataclasses import dataclass

from .counting import counted
from .lexicon import Noun, bare, make_noun
from .numbers import Case


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency's noun, its minor unit's noun, and minor units per one."""

    noun: Noun
    minor: Noun
    minor_per_unit: int = 100

    @property
    def minor_digits(self) -> int:
        """Decimals the minor unit can hold (2 for cents, 3 for fils of a dinar)."""
        return len(str(self.minor_per_unit)) - 1


_HALALA = make_noun("هللة", "هللتان", "هللات", "f")
_CENT = make_noun("سنت", "سنتان", "سنتات", "m")
_FILS = make_noun("فلس", "فلسان", "فلوس", "m")
_PIASTRE = make_noun("قرش", "قرشان", "قروش", "m")
_PENNY = make_noun("بنس", "بنسان", "بنسات", "m")

RIYAL = Currency(make_noun("ريال", "ريالان", "ريالات", "m"), _HALALA)
DOLLAR = Currency(make_noun("دولار", "دولاران", "دولارات", "m"), _CENT)
DIRHAM = Currency(make_noun("درهم", "درهمان", "دراهم", "m"), _FILS)
POUND = Currency(make_noun("جنيه", "جنيهان", "جنيهات", "m"), _PIASTRE)
DINAR = Currency(make_noun("دينار", "ديناران", "دنانير", "m"), _FILS, 1000)
# A foreign word ending in a vowel takes no case endings: يورو in every form (ثلاثة يورو).
EURO = Currency(
    Noun("يورو", "يورو", "يورو", "يورو", "m", accusative="يورو"),
    _CENT,
)
STERLING = Currency(
    make_noun(
        "جنيه إسترليني",
        "جنيهان إسترلينيان",
        "جنيهات إسترلينية",
        "m",
        accusative="جنيهًا إسترلينيًا",
    ),
    _PENNY,
)
LIRA = Currency(make_noun("ليرة", "ليرتان", "ليرات", "f"), _PIASTRE)

# Symbols and codes, before or after the amount. Only unambiguous ones: "$" is the dollar
# everywhere, "£" is sterling (the Egyptian pound is ج.م / EGP).
CURRENCY_SYMBOLS: dict[str, Currency] = {
    "$": DOLLAR,
    "US$": DOLLAR,
    "USD": DOLLAR,
    "€": EURO,
    "EUR": EURO,
    "£": STERLING,
    "GBP": STERLING,
    "﷼": RIYAL,
    "SAR": RIYAL,
    "SR": RIYAL,
    "ر.س": RIYAL,
    "QAR": RIYAL,
    "ر.ق": RIYAL,
    "AED": DIRHAM,
    "د.إ": DIRHAM,
    "EGP": POUND,
    "ج.م": POUND,
    "KWD": DINAR,
    "د.ك": DINAR,
    "JOD": DINAR,
    "د.أ": DINAR,
    "BHD": DINAR,
    "د.ب": DINAR,
}

# Every written form of a currency's noun (without vowel marks) → the currency.
CURRENCY_WORDS: dict[str, Currency] = {}
for _currency in (RIYAL, DOLLAR, DIRHAM, POUND, DINAR, EURO, LIRA):
    _item = _currency.noun
    for _form in (_item.singular, _item.dual, _item.dual_gen, _item.plural, _item.accusative):
        CURRENCY_WORDS.setdefault(bare(_form), _currency)


def find_currency(word: str | None) -> Currency | None:
    """The currency a word after an amount names (ريال، ريالات، دولارًا…), if any."""
    return CURRENCY_WORDS.get(bare(word)) if word else None


def amount(value: int, fraction: str, currency: Currency, case: Case = "nom") -> str | None:
    """The amount in words with its nouns; None when the decimals are not minor units."""
    if len(fraction) > currency.minor_digits:
        return None
    minor = int(fraction.ljust(currency.minor_digits, "0")) if fraction else 0
    parts: list[str] = []
    if value or not minor:
        parts.append(counted(value, currency.noun, case))
    if minor:
        parts.append(counted(minor, currency.minor, case))
    return " و".join(parts)
