"""The voice description shared by both providers, Hamsa's dialects, Faseeh's catalogue,
and merging a built-in catalogue with a live provider list (the live list wins).

Hamsa's speakers live in ``hamsa_voices``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Dialect:
    """A Hamsa dialect code with its labels and BCP-47 tag."""

    code: str
    name_en: str
    name_ar: str
    language: str


@dataclass(frozen=True, slots=True)
class Voice:
    """One voice a provider can speak with."""

    provider: str
    voice_id: str
    name: str
    language: str
    description_en: str
    description_ar: str
    dialect: str | None = None
    gender: str | None = None
    custom: bool = False
    languages: tuple[str, ...] = field(default=())

    @property
    def all_languages(self) -> tuple[str, ...]:
        """``ar`` plus the regional tag (what Wyoming's Info and HA advertise)."""
        tags = [self.language.split("-")[0], self.language, *self.languages]
        return tuple(dict.fromkeys(tags))


HAMSA = "hamsa"
FASEEH = "faseeh"

HAMSA_DIALECTS: dict[str, Dialect] = {
    dialect.code: dialect
    for dialect in (
        Dialect("pls", "Palestinian", "فلسطيني", "ar-PS"),
        Dialect("egy", "Egyptian", "مصري", "ar-EG"),
        Dialect("syr", "Syrian", "سوري", "ar-SY"),
        Dialect("irq", "Iraqi", "عراقي", "ar-IQ"),
        Dialect("jor", "Jordanian", "أردني", "ar-JO"),
        Dialect("leb", "Lebanese", "لبناني", "ar-LB"),
        Dialect("ksa", "Saudi", "سعودي", "ar-SA"),
        Dialect("uae", "Emirati", "إماراتي", "ar-AE"),
        Dialect("bah", "Bahraini", "بحريني", "ar-BH"),
        Dialect("qat", "Qatari", "قطري", "ar-QA"),
        Dialect("kuw", "Kuwaiti", "كويتي", "ar-KW"),
        Dialect("oma", "Omani", "عماني", "ar-OM"),
        Dialect("msa", "Modern Standard Arabic (Fusha)", "الفصحى", "ar"),
        Dialect("ar-sa", "Gulf", "خليجي", "ar-SA"),
        Dialect("en", "English", "الإنجليزية", "en"),
    )
}

FASEEH_MODELS: dict[str, str] = {
    "faseeh-v1-preview": "Faseeh (quality)",
    "faseeh-mini-v1-preview": "Faseeh Mini (low latency, half the price)",
}
# Every current vendor client defaults to the full model; mini stays selectable.
FASEEH_DEFAULT_MODEL = "faseeh-v1-preview"

_GENDER_AR = {"male": "ذكر", "female": "أنثى"}

# Faseeh's dialect names (the live /voices list gives them as arrays) -> labels and tag.
FASEEH_DIALECTS: dict[str, tuple[str, str, str]] = {
    "najdi": ("Najdi", "نجدي", "ar-SA"),
    "hijazi": ("Hijazi", "حجازي", "ar-SA"),
    "saudi": ("Saudi", "سعودي", "ar-SA"),
    "gulf": ("Gulf", "خليجي", "ar-SA"),
    "khaleeji": ("Gulf", "خليجي", "ar-SA"),
    "emirati": ("Emirati", "إماراتي", "ar-AE"),
    "kuwaiti": ("Kuwaiti", "كويتي", "ar-KW"),
    "qatari": ("Qatari", "قطري", "ar-QA"),
    "bahraini": ("Bahraini", "بحريني", "ar-BH"),
    "omani": ("Omani", "عماني", "ar-OM"),
    "egyptian": ("Egyptian", "مصري", "ar-EG"),
    "levantine": ("Levantine", "شامي", "ar-SY"),
    "syrian": ("Syrian", "سوري", "ar-SY"),
    "lebanese": ("Lebanese", "لبناني", "ar-LB"),
    "jordanian": ("Jordanian", "أردني", "ar-JO"),
    "palestinian": ("Palestinian", "فلسطيني", "ar-PS"),
    "iraqi": ("Iraqi", "عراقي", "ar-IQ"),
    "fusha": ("Fusha", "الفصحى", "ar"),
    "msa": ("Fusha", "الفصحى", "ar"),
}

# voice_id -> (name or None when no client names it, dialect, gender); seen in the wild
# (providers.md). The live list is authoritative: most real ids are opaque.
_FASEEH_VOICES: dict[str, tuple[str | None, str, str]] = {
    "ar-najdi-male-2": ("Fahad", "najdi", "male"),
    "ar-najdi-female-1": ("Maha", "najdi", "female"),
    "ar-najdi-female-2": ("Reem", "najdi", "female"),
    "ar-hijazi-female-1": ("Lama", "hijazi", "female"),
    "ar-hijazi-female-2": (None, "hijazi", "female"),
    "ar-egyptian-male-1": ("Ahmed", "egyptian", "male"),
    "ar-kuwaiti-male-1": ("Hamad", "kuwaiti", "male"),
    "ar-uae-male-1": (None, "emirati", "male"),
    "ar-emirati-male-1": (None, "emirati", "male"),
}
FASEEH_DEFAULT_VOICE = "ar-najdi-male-2"
FASEEH_CLONE_PREFIX = "cl-"


def faseeh_voice(
    voice_id: str,
    name: str | None = None,
    *,
    dialects: Iterable[str] | None = None,
    gender: str | None = None,
) -> Voice:
    """Describe a Faseeh voice: from the live list's fields, else the catalogue.

    The first known dialect sets the language tag, the others are listed too; a clone
    (``cl-…``, no dialect) is offered under every Arabic region, as custom voices are.
    """
    known = _FASEEH_VOICES.get(voice_id)
    names = [str(d).lower() for d in dialects or ()] if dialects is not None else []
    if dialects is None and known is not None:
        names = [known[1]]
    gender = gender or (known[2] if known else None)
    label = name or (known[0] if known else None) or voice_id
    known_names = [d for d in names if d in FASEEH_DIALECTS]
    tags = [FASEEH_DIALECTS[d] for d in known_names]
    clone = voice_id.startswith(FASEEH_CLONE_PREFIX)
    details_en = [tags[0][0]] if tags else (["cloned voice"] if clone else [])
    details_ar = [tags[0][1]] if tags else (["صوت مستنسخ"] if clone else [])
    if gender in _GENDER_AR:
        details_en.append(gender)
        details_ar.append(_GENDER_AR[gender])
    suffix_en = f" ({', '.join(details_en)})" if details_en else ""
    suffix_ar = f" ({'، '.join(details_ar)})" if details_ar else ""
    return Voice(
        provider=FASEEH,
        voice_id=voice_id,
        name=label,
        language=tags[0][2] if tags else "ar",
        languages=tuple(tag for _, _, tag in tags[1:]),
        dialect=known_names[0] if known_names else None,
        gender=gender if gender in _GENDER_AR else None,
        custom=clone,
        description_en=f"Faseeh {label}{suffix_en}",
        description_ar=f"فصيح {label}{suffix_ar}",
    )


def builtin_faseeh_voices() -> list[Voice]:
    """Every Faseeh voice seen in the wild."""
    return [faseeh_voice(voice_id) for voice_id in _FASEEH_VOICES]


def merge_voices(builtin: Iterable[Voice], live: Iterable[Voice]) -> list[Voice]:
    """Catalogue first, live entries replacing same-id ones and adding new ones."""
    merged = {voice.voice_id: voice for voice in builtin}
    for voice in live:
        merged[voice.voice_id] = voice
    return list(merged.values())


def all_language_tags() -> list[str]:
    """``ar`` and every regional tag the catalogue knows, for HA's supported_languages."""
    tags = {"ar"}
    tags.update(dialect.language for dialect in HAMSA_DIALECTS.values())
    tags.update(tag for _, _, tag in FASEEH_DIALECTS.values())
    return sorted(tags)
