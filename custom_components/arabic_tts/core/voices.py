"""The built-in voice catalogue (offline default) and merging with live provider lists.

Hamsa's docs disagree with themselves about speaker names, so a live list wins when it
can be fetched; this catalogue is what we offer before that, or when it cannot.
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

# speaker -> (dialect, gender); from Hamsa's speaker table.
HAMSA_SPEAKERS: dict[str, tuple[str, str]] = {
    "Amjad": ("pls", "male"),
    "Layan": ("pls", "female"),
    "Mariam": ("egy", "female"),
    "Samir": ("egy", "male"),
    "Dalal": ("syr", "female"),
    "Mais": ("syr", "female"),
    "Lyali": ("irq", "female"),
    "Fatma": ("irq", "female"),
    "Lana": ("jor", "female"),
    "Jasem": ("jor", "male"),
    "Carla": ("leb", "female"),
    "Majd": ("leb", "male"),
    "Hiba": ("ksa", "female"),
    "Fahd": ("ksa", "male"),
    "Salma": ("uae", "female"),
    "Dima": ("uae", "female"),
    "Mazen": ("bah", "male"),
    "Ruba": ("bah", "female"),
    "Deema": ("qat", "female"),
    "Faisal": ("qat", "male"),
    "Mai": ("kuw", "female"),
    "Hatem": ("kuw", "male"),
    "Aisha": ("oma", "female"),
    "Jaber": ("oma", "male"),
    "Salem": ("msa", "male"),
    "Tamim": ("msa", "male"),
    "Khalid": ("ar-sa", "male"),
    "Rahma": ("ar-sa", "female"),
    "Emma": ("en", "female"),
    "James": ("en", "male"),
}

HAMSA_DEFAULT_SPEAKER = "Salem"
HAMSA_DEFAULT_DIALECT = "msa"

FASEEH_MODELS: dict[str, str] = {
    "faseeh-mini-v1-preview": "Faseeh Mini (low latency)",
    "faseeh-v1-preview": "Faseeh (quality)",
}
FASEEH_DEFAULT_MODEL = "faseeh-mini-v1-preview"

_GENDER_AR = {"male": "ذكر", "female": "أنثى"}

# voice_id -> (name, dialect label en, dialect label ar, BCP-47, gender)
_FASEEH_VOICES: dict[str, tuple[str, str, str, str, str]] = {
    "ar-najdi-male-2": ("Fahad", "Najdi", "نجدي", "ar-SA", "male"),
    "ar-najdi-female-1": ("Maha", "Najdi", "نجدي", "ar-SA", "female"),
    "ar-hijazi-female-1": ("Lama", "Hijazi", "حجازي", "ar-SA", "female"),
    "ar-hijazi-female-2": ("Hijazi female 2", "Hijazi", "حجازي", "ar-SA", "female"),
    "ar-egyptian-male-1": ("Ahmed", "Egyptian", "مصري", "ar-EG", "male"),
    "ar-kuwaiti-male-1": ("Hamad", "Kuwaiti", "كويتي", "ar-KW", "male"),
}
FASEEH_DEFAULT_VOICE = "ar-najdi-male-2"


def hamsa_voice(speaker: str, dialect_code: str | None = None, gender: str | None = None) -> Voice:
    """Describe a built-in Hamsa speaker."""
    default_dialect, default_gender = HAMSA_SPEAKERS.get(speaker, (HAMSA_DEFAULT_DIALECT, ""))
    dialect = HAMSA_DIALECTS.get(dialect_code or default_dialect) or HAMSA_DIALECTS["msa"]
    gender = gender or default_gender or None
    gender_en = f", {gender}" if gender else ""
    gender_ar = f"، {_GENDER_AR[gender]}" if gender in _GENDER_AR else ""
    return Voice(
        provider=HAMSA,
        voice_id=speaker,
        name=speaker,
        language=dialect.language,
        dialect=dialect.code,
        gender=gender,
        description_en=f"Hamsa {speaker} ({dialect.name_en}{gender_en})",
        description_ar=f"همسة {speaker} ({dialect.name_ar}{gender_ar})",
    )


def hamsa_custom_voice(voice_id: str, name: str | None = None) -> Voice:
    """Describe a cloned Hamsa voice (a UUID used as the speaker)."""
    label = name or voice_id
    return Voice(
        provider=HAMSA,
        voice_id=voice_id,
        name=label,
        language="ar",
        dialect=None,
        custom=True,
        description_en=f"Hamsa custom voice {label}",
        description_ar=f"صوت همسة المخصص {label}",
    )


def faseeh_voice(voice_id: str, name: str | None = None) -> Voice:
    """Describe a Faseeh voice; unknown ids get a generic Arabic description."""
    known = _FASEEH_VOICES.get(voice_id)
    if known is None:
        label = name or voice_id
        return Voice(
            provider=FASEEH,
            voice_id=voice_id,
            name=label,
            language="ar",
            description_en=f"Faseeh {label}",
            description_ar=f"فصيح {label}",
        )
    known_name, dialect_en, dialect_ar, language, gender = known
    label = name or known_name
    return Voice(
        provider=FASEEH,
        voice_id=voice_id,
        name=label,
        language=language,
        gender=gender,
        description_en=f"Faseeh {label} ({dialect_en}, {gender})",
        description_ar=f"فصيح {label} ({dialect_ar}، {_GENDER_AR[gender]})",
    )


def builtin_hamsa_voices() -> list[Voice]:
    """Every built-in Hamsa speaker."""
    return [hamsa_voice(speaker) for speaker in HAMSA_SPEAKERS]


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
    tags.update(entry[3] for entry in _FASEEH_VOICES.values())
    return sorted(tags)
