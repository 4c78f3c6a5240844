"""Words the front-end knows: counted nouns, units, months and the Latin words Home
Assistant puts into Arabic replies.

Deliberately small. A noun is listed only when its singular, dual, plural and gender are
certain, because a number before an unknown noun is left as it was (see verbalize.py):
a lexicon that guesses is worse than one that admits it does not know the word. The
entries come from home-assistant-intents' Arabic responses (timers, states, weather,
dates) and from the units Home Assistant sensors report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import regex as re

Gender = Literal["m", "f"]


@dataclass(frozen=True, slots=True)
class Noun:
    """A counted noun (or unit) in each form a number can ask for.

    ``accusative`` is the singular after 11–99 (أحد عشر يومًا); ``dual_gen`` the dual after
    a preposition. ``dual_adjectives`` turns an adjective written after the plural into
    its dual (مؤقتات نشطة → مؤقتان نشطان), for Home Assistant's own timer phrases.
    """

    singular: str
    dual: str
    dual_gen: str
    plural: str
    gender: Gender
    accusative: str = ""
    dual_adjectives: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def tamyiz(self) -> str:
        """The singular after 11–99."""
        return self.accusative or self.singular


def make_noun(
    singular: str,
    dual: str,
    plural: str,
    gender: Gender,
    *,
    accusative: str = "",
    adjectives: dict[str, tuple[str, str]] | None = None,
) -> Noun:
    """A noun's forms; the genitive dual is made from the dual (درجتان مئويتان → درجتين مئويتين)."""
    dual_gen = " ".join(word[:-2] + "ين" if word.endswith("ان") else word for word in dual.split())
    if gender == "m" and not accusative and not singular.endswith(("ء", "ة", "ى")):
        accusative = singular + "ًا"
    return Noun(singular, dual, dual_gen, plural, gender, accusative, adjectives or {})


_TIMER_ADJECTIVES = {
    "نشطة": ("نشطان", "نشطين"),
    "متوقفة": ("متوقفان", "متوقفين"),
    "مفعلة": ("مفعلان", "مفعلين"),
}

NOUNS: tuple[Noun, ...] = (
    make_noun("ثانية", "ثانيتان", "ثوان", "f"),
    make_noun("دقيقة", "دقيقتان", "دقائق", "f"),
    make_noun("ساعة", "ساعتان", "ساعات", "f"),
    make_noun("يوم", "يومان", "أيام", "m"),
    make_noun("أسبوع", "أسبوعان", "أسابيع", "m"),
    make_noun("شهر", "شهران", "أشهر", "m"),
    make_noun("سنة", "سنتان", "سنوات", "f"),
    make_noun("مرة", "مرتان", "مرات", "f"),
    make_noun("درجة", "درجتان", "درجات", "f"),
    make_noun("مؤقت", "مؤقتان", "مؤقتات", "m", adjectives=_TIMER_ADJECTIVES),
    make_noun("منبه", "منبهان", "منبهات", "m", adjectives=_TIMER_ADJECTIVES),
    make_noun("جهاز", "جهازان", "أجهزة", "m"),
    make_noun("ضوء", "ضوءان", "أضواء", "m", accusative="ضوءًا"),
    make_noun("مصباح", "مصباحان", "مصابيح", "m"),
    make_noun("باب", "بابان", "أبواب", "m"),
    make_noun("نافذة", "نافذتان", "نوافذ", "f"),
    make_noun("غرفة", "غرفتان", "غرف", "f"),
    make_noun("مروحة", "مروحتان", "مراوح", "f"),
    make_noun("شخص", "شخصان", "أشخاص", "m"),
    make_noun("رسالة", "رسالتان", "رسائل", "f"),
    make_noun("عنصر", "عنصران", "عناصر", "m"),
    make_noun("مستشعر", "مستشعران", "مستشعرات", "m"),
    make_noun("حساس", "حساسان", "حساسات", "m"),
    make_noun("كاميرا", "كاميرتان", "كاميرات", "f"),
    make_noun("نقطة", "نقطتان", "نقاط", "f"),
    make_noun("خطوة", "خطوتان", "خطوات", "f"),
    make_noun("موعد", "موعدان", "مواعيد", "m"),
    make_noun("إشعار", "إشعاران", "إشعارات", "m"),
    make_noun("تنبيه", "تنبيهان", "تنبيهات", "m"),
    make_noun("تحديث", "تحديثان", "تحديثات", "m"),
    make_noun("مكالمة", "مكالمتان", "مكالمات", "f"),
)

_MARKS_RE = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # short vowels, tanween, tatweel


def bare(word: str) -> str:
    """A word without short vowels, tanween or tatweel (يومًا → يوما)."""
    return str(_MARKS_RE.sub("", word))


# Every written form (singular, dual, plural, and Home Assistant's variants), without
# vowel marks → its noun.
NOUN_FORMS: dict[str, Noun] = {}
for _item in NOUNS:
    for _form in (_item.singular, _item.dual, _item.dual_gen, _item.plural, _item.accusative):
        if _form:
            NOUN_FORMS.setdefault(bare(_form), _item)
_SECONDS = NOUN_FORMS["ثانية"]
NOUN_FORMS.update({"ثواني": _SECONDS, "ثوانى": _SECONDS})
NOUN_FORMS.update({"سنين": NOUN_FORMS["سنة"], "شهور": NOUN_FORMS["شهر"]})


def find_noun(word: str | None) -> Noun | None:
    """The counted noun a written word is a form of, if this lexicon knows it."""
    return NOUN_FORMS.get(bare(word)) if word else None


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit symbol after a number: a noun that agrees, or a fixed phrase (بالمئة)."""

    noun: Noun | None = None
    phrase: str = ""

    @property
    def singular(self) -> str:
        """The unit's name, as read after a number that needs no agreement."""
        return self.noun.singular if self.noun is not None else self.phrase


def _unit_noun(singular: str, plural: str | None = None, gender: Gender = "m") -> Unit:
    """Loan units (واط، فولت…) have no settled plural: the singular stands for it."""
    plural = plural or singular
    dual = singular + "ان" if gender == "m" and " " not in singular else singular
    return Unit(make_noun(singular, dual, plural, gender))


_CELSIUS = Unit(make_noun("درجة مئوية", "درجتان مئويتان", "درجات مئوية", "f"))
_FAHRENHEIT = Unit(make_noun("درجة فهرنهايت", "درجتا فهرنهايت", "درجات فهرنهايت", "f"))
_DEGREE = Unit(NOUN_FORMS["درجة"])
_PERCENT = Unit(phrase="بالمئة")

# Symbol → unit. Letters-only symbols count only right after a number (verbalize.py).
UNITS: dict[str, Unit] = {
    "°C": _CELSIUS,
    "℃": _CELSIUS,
    "° C": _CELSIUS,
    "°F": _FAHRENHEIT,
    "℉": _FAHRENHEIT,
    "°": _DEGREE,
    "%": _PERCENT,
    "٪": _PERCENT,
    "kWh": _unit_noun("كيلوواط ساعة"),
    "Wh": _unit_noun("واط ساعة"),
    "MWh": _unit_noun("ميغاواط ساعة"),
    "kW": _unit_noun("كيلوواط"),
    "W": _unit_noun("واط"),
    "MW": _unit_noun("ميغاواط"),
    "V": _unit_noun("فولت"),
    "mV": _unit_noun("ملي فولت"),
    "A": _unit_noun("أمبير"),
    "mA": _unit_noun("ملي أمبير"),
    "VA": _unit_noun("فولت أمبير"),
    "Hz": _unit_noun("هرتز"),
    "kHz": _unit_noun("كيلوهرتز"),
    "lx": _unit_noun("لوكس"),
    "lux": _unit_noun("لوكس"),
    "ppm": Unit(phrase="جزء في المليون"),
    "ppb": Unit(phrase="جزء في المليار"),
    "µg/m³": Unit(phrase="ميكروغرام لكل متر مكعب"),
    "μg/m³": Unit(phrase="ميكروغرام لكل متر مكعب"),
    "ug/m3": Unit(phrase="ميكروغرام لكل متر مكعب"),
    "µg/m3": Unit(phrase="ميكروغرام لكل متر مكعب"),
    "km/h": Unit(phrase="كيلومتر في الساعة"),
    "m/s": Unit(phrase="متر في الثانية"),
    "mph": Unit(phrase="ميل في الساعة"),
    "mm": _unit_noun("مليمتر", "مليمترات"),
    "cm": _unit_noun("سنتيمتر", "سنتيمترات"),
    "km": _unit_noun("كيلومتر", "كيلومترات"),
    "m": _unit_noun("متر", "أمتار"),
    "m³": Unit(phrase="متر مكعب"),
    "m3": Unit(phrase="متر مكعب"),
    "L": _unit_noun("لتر", "لترات"),
    "l": _unit_noun("لتر", "لترات"),
    "mL": _unit_noun("مليلتر", "مليلترات"),
    "ml": _unit_noun("مليلتر", "مليلترات"),
    "hPa": _unit_noun("هكتوباسكال"),
    "mbar": _unit_noun("مليبار"),
    "bar": _unit_noun("بار"),
    "dB": _unit_noun("ديسيبل"),
    "dBm": _unit_noun("ديسيبل ملي واط"),
    "kg": _unit_noun("كيلوغرام", "كيلوغرامات"),
    "g": _unit_noun("غرام", "غرامات"),
    "GB": _unit_noun("غيغابايت"),
    "MB": _unit_noun("ميغابايت"),
    "TB": _unit_noun("تيرابايت"),
    "Mbit/s": Unit(phrase="ميغابت في الثانية"),
    "Mbps": Unit(phrase="ميغابت في الثانية"),
    "min": Unit(NOUN_FORMS["دقيقة"]),
    "h": Unit(NOUN_FORMS["ساعة"]),
    "s": Unit(NOUN_FORMS["ثانية"]),
    "ms": _unit_noun("ملي ثانية"),
    "bpm": Unit(phrase="نبضة في الدقيقة"),
}

MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "إبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)
MONTH_NAMES_BY_NUMBER = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)

# A number right after these is in the genitive (في عشرين دقيقة، إلى خمسين بالمئة).
GENITIVE_BEFORE = frozenset(
    {
        "في",
        "من",
        "إلى",
        "الى",
        "على",
        "عن",
        "حتى",
        "منذ",
        "خلال",
        "لمدة",
        "مدة",
        "بعد",
        "قبل",
        "حوالي",
        "حوالى",
        "نحو",
        "مع",
        "بين",
        "عند",
        "بمقدار",
        "بنسبة",
        "بقيمة",
        "بـ",
        "لـ",
    }
)
# Letters glued to a number that make it genitive (ب٥٠ → بخمسين).
GENITIVE_PREFIXES = ("ب", "ل", "ك")
YEAR_BEFORE = frozenset({"عام", "العام", "سنة", "السنة", "لعام", "لسنة"})

# Clock periods written after a time (Home Assistant writes صباحا / مساءا).
MORNING = "صباحًا"
EVENING = "مساءً"
PERIODS: dict[str, str] = {
    "صباحا": MORNING,
    "صباحًا": MORNING,
    "صباحاً": MORNING,
    "صباح": MORNING,
    "ص": MORNING,
    "am": MORNING,
    "a.m.": MORNING,
    "مساءا": EVENING,
    "مساءً": EVENING,
    "مساءاً": EVENING,
    "مساء": EVENING,
    "م": EVENING,
    "pm": EVENING,
    "p.m.": EVENING,
    "ظهرا": "ظهرًا",
    "ظهرًا": "ظهرًا",
    "ليلا": "ليلًا",
    "ليلًا": "ليلًا",
}

# Latin words Home Assistant puts into Arabic replies (raw states in "حالة … هي on").
LATIN_WORDS: dict[str, str] = {
    "on": "قيد التشغيل",
    "off": "مطفأ",
    "open": "مفتوح",
    "opening": "يفتح",
    "closed": "مغلق",
    "closing": "يغلق",
    "locked": "مقفل",
    "unlocked": "غير مقفل",
    "locking": "يقفل",
    "unlocking": "يفتح القفل",
    "jammed": "عالق",
    "unavailable": "غير متاح",
    "unknown": "غير معروف",
    "home": "في المنزل",
    "not_home": "خارج المنزل",
    "away": "خارج المنزل",
    "playing": "قيد التشغيل",
    "paused": "متوقف مؤقتًا",
    "idle": "خامل",
    "standby": "في وضع الاستعداد",
    "buffering": "يحمّل",
    "heat": "تدفئة",
    "cool": "تبريد",
    "heat_cool": "تدفئة وتبريد",
    "auto": "تلقائي",
    "dry": "تجفيف",
    "fan_only": "تهوية فقط",
    "armed_away": "الإنذار مفعّل أثناء الغياب",
    "armed_home": "الإنذار مفعّل في المنزل",
    "armed_night": "الإنذار مفعّل ليلًا",
    "armed_vacation": "الإنذار مفعّل للعطلة",
    "disarmed": "الإنذار غير مفعّل",
    "triggered": "الإنذار منطلق",
    "arming": "جارٍ التفعيل",
    "pending": "قيد الانتظار",
    "cleaning": "ينظف",
    "docked": "في القاعدة",
    "returning": "عائد إلى القاعدة",
    "charging": "يشحن",
    "discharging": "يفرغ",
    "error": "خطأ",
    "detected": "مكتشف",
    "clear": "صافٍ",
    "sunny": "مشمس",
    "cloudy": "غائم",
    "partlycloudy": "غائم جزئيًا",
    "rainy": "ماطر",
    "pouring": "أمطار غزيرة",
    "snowy": "مثلج",
    "fog": "ضباب",
    "windy": "عاصف",
    "clear-night": "صافٍ ليلًا",
    "above_horizon": "فوق الأفق",
    "below_horizon": "تحت الأفق",
    "ok": "حسنًا",
    "kwh": "كيلوواط ساعة",
    "wifi": "واي فاي",
    "wi-fi": "واي فاي",
    "bluetooth": "بلوتوث",
    "home assistant": "هوم أسيستنت",
}

# Spelling slips in Home Assistant's own Arabic templates that change what is heard.
ARABIC_FIXES: dict[str, str] = {
    "ساعاتين": "ساعتين",  # HassStartTimer for two hours
}
