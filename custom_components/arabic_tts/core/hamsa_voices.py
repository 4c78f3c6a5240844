"""Hamsa's built-in speakers, and voice ids that carry a speaker and a dialect.

Speaker and dialect are independent on Hamsa: any speaker can be asked for in any dialect.
Hamsa's docs list speakers twice (a 15 dialects x 2 table, and 38 names with "recommended
voices per dialect") and third parties used a few more names live; this catalogue holds
all of them, each with its recommended dialects, the first being the speaker's own.

A voice id is ``<Speaker>`` (the speaker in its own dialect) or ``<Speaker>-<dialect>``
(``Mariam-ksa``, ``Khalid-ar-sa``); cloned voices are UUIDs, optionally with a dialect
(``<uuid>-egy``). Home Assistant's Wyoming integration passes only a voice name to a
server, so the name has to carry the choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .voices import HAMSA, HAMSA_DIALECTS, Voice


@dataclass(frozen=True, slots=True)
class HamsaSpeaker:
    """A built-in speaker: names in both scripts, recommended dialects (own one first)."""

    name: str
    name_ar: str
    dialects: tuple[str, ...]
    gender: str | None

    @property
    def dialect(self) -> str:
        """The speaker's own dialect (used when none is chosen)."""
        return self.dialects[0]


# Fusha: the dialect of cloned voices and of names whose docs give no dialect.
FUSHA = "msa"
# BCP-47 for Modern Standard Arabic (CLDR's ar_001): the tag every speaker is listed under
# in Fusha, apart from plain "ar" (each speaker in its own dialect).
FUSHA_TAG = "ar-001"
# Gulf ("ar-sa") has no region of its own and shares "ar-SA" with Saudi ("ksa"): only
# speakers whose own dialect it is are listed under it; anyone else in Gulf is typed.
GULF = "ar-sa"

_M, _F = "male", "female"
# name, Arabic name, recommended dialects (own first), gender (from the name: the docs do
# not say; None when the name is used for both). Sources (providers.md): the 15 x 2 table;
# the tts-stream page's 38 names and recommended voices (pls: Amjad, Layan, Talin, Rema,
# Ali; jor: Lana, Jasem, Nada, Sarah; ksa: Hiba, Khadija, Fahd, Jasem; egy: Mariam, Samir,
# Nada, Ali, Ahmed); names used live (Tamer and Majd with ksa, Salma with egy, Marwan and
# Lamees with leb, Noura, Adam). Names with no dialect anywhere speak Fusha by default.
_SPEAKERS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("Ali", "علي", ("pls", "egy"), _M),
    ("Amjad", "أمجد", ("pls",), _M),
    ("Layan", "ليان", ("pls",), _F),
    ("Talin", "تالين", ("pls",), _F),
    ("Rema", "ريما", ("pls",), _F),
    ("Mariam", "مريم", ("egy",), _F),
    ("Samir", "سمير", ("egy",), _M),
    ("Ahmed", "أحمد", ("egy",), _M),
    ("Dalal", "دلال", ("syr",), _F),
    ("Mais", "ميس", ("syr",), _F),
    ("Lyali", "ليالي", ("irq",), _F),
    ("Fatma", "فاطمة", ("irq",), _F),
    ("Lana", "لانا", ("jor",), _F),
    ("Jasem", "جاسم", ("jor", "ksa"), _M),
    ("Nada", "ندى", ("jor", "egy"), _F),
    ("Sarah", "سارة", ("jor",), _F),
    ("Carla", "كارلا", ("leb",), _F),
    ("Majd", "مجد", ("leb", "ksa"), _M),
    ("Marwan", "مروان", ("leb",), _M),
    ("Lamees", "لميس", ("leb",), _F),
    ("Hiba", "هبة", ("ksa",), _F),
    ("Fahd", "فهد", ("ksa",), _M),
    ("Khadija", "خديجة", ("ksa",), _F),
    ("Tamer", "تامر", ("ksa",), _M),
    ("Salma", "سلمى", ("uae", "egy"), _F),
    ("Dima", "ديما", ("uae",), _F),
    ("Mazen", "مازن", ("bah",), _M),
    ("Ruba", "ربى", ("bah",), _F),
    ("Deema", "ديمة", ("qat",), _F),
    ("Faisal", "فيصل", ("qat",), _M),
    ("Mai", "مي", ("kuw",), _F),
    ("Hatem", "حاتم", ("kuw",), _M),
    ("Aisha", "عائشة", ("oma",), _F),
    ("Jaber", "جابر", ("oma",), _M),
    ("Salem", "سالم", ("msa",), _M),
    ("Tamim", "تميم", ("msa",), _M),
    ("Khalid", "خالد", ("ar-sa",), _M),
    ("Rahma", "رحمة", ("ar-sa",), _F),
    ("Emma", "إيما", ("en",), _F),
    ("James", "جيمس", ("en",), _M),
    ("Rami", "رامي", ("msa",), _M),
    ("Faiza", "فايزة", ("msa",), _F),
    ("Hamdan", "حمدان", ("msa",), _M),
    ("Alia", "عالية", ("msa",), _F),
    ("Maher", "ماهر", ("msa",), _M),
    ("Noor", "نور", ("msa",), None),
    ("Majid", "ماجد", ("msa",), _M),
    ("Mansour", "منصور", ("msa",), _M),
    ("Hind", "هند", ("msa",), _F),
    ("Hasan", "حسن", ("msa",), _M),
    ("Safa", "صفاء", ("msa",), _F),
    ("Somaya", "سمية", ("msa",), _F),
    ("Sayed", "سيد", ("msa",), _M),
    ("Noura", "نورة", ("msa",), _F),
    ("Adam", "آدم", ("msa",), _M),
)

HAMSA_SPEAKERS: dict[str, HamsaSpeaker] = {
    name: HamsaSpeaker(name, name_ar, dialects, gender)
    for name, name_ar, dialects, gender in _SPEAKERS
}
_BY_LOWER = {name.lower(): speaker for name, speaker in HAMSA_SPEAKERS.items()}

# Hamsa's own LiveKit plugin speaks with Ali in Palestinian: the one combination a vendor
# client is known to use, so the one most certain to speak on every account.
HAMSA_DEFAULT_SPEAKER = "Ali"
HAMSA_DEFAULT_DIALECT = HAMSA_SPEAKERS[HAMSA_DEFAULT_SPEAKER].dialect

# The live catalogue tags voices with BCP-47; these are Hamsa's codes for them (SpekoAI's
# table: "ar-SA" is the Saudi "ksa", not the Gulf "ar-sa").
BCP47_DIALECTS: dict[str, str] = {
    "ar-SA": "ksa",
    "ar-EG": "egy",
    "ar-PS": "pls",
    "ar-SY": "syr",
    "ar-IQ": "irq",
    "ar-JO": "jor",
    "ar-LB": "leb",
    "ar-AE": "uae",
    "ar-BH": "bah",
    "ar-QA": "qat",
    "ar-KW": "kuw",
    "ar-OM": "oma",
    "ar": "msa",
    FUSHA_TAG: "msa",
    "en": "en",
}
_BCP47_LOWER = {tag.lower(): code for tag, code in BCP47_DIALECTS.items()}
# Codes with a hyphen first, so "Khalid-ar-sa" ends in "ar-sa", not in "sa".
_SUFFIXES = sorted(HAMSA_DIALECTS, key=len, reverse=True)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_UUID_RE = re.compile(rf"^{_UUID}$", re.I)
_GENDER_AR = {"male": "ذكر", "female": "أنثى"}


def is_uuid(value: str) -> bool:
    """Cloned voices and catalogue ids are UUIDs; built-in speaker names are not."""
    return bool(_UUID_RE.match(value))


def known_speaker(name: str) -> HamsaSpeaker | None:
    """The built-in speaker with this name, whatever its case."""
    return _BY_LOWER.get(name.lower())


def own_dialect(speaker: str) -> str:
    """The dialect a speaker uses when none is chosen (Fusha if the catalogue has no say)."""
    known = known_speaker(speaker)
    return known.dialect if known is not None else FUSHA


def dialect_for_tag(tag: str | None) -> str | None:
    """Hamsa's dialect code for a catalogue tag: BCP-47 (``ar-EG``) or a code (``egy``).

    Exact case first: ``ar-SA`` is Saudi (BCP-47) but ``ar-sa`` is Hamsa's Gulf code.
    None for a tag we do not know (the caller keeps what it knew before).
    """
    if not tag:
        return None
    if tag in BCP47_DIALECTS:
        return BCP47_DIALECTS[tag]
    if tag in HAMSA_DIALECTS:
        return tag
    lowered = tag.replace("_", "-").lower()
    return _BCP47_LOWER.get(lowered) or (lowered if lowered in HAMSA_DIALECTS else None)


def parse_voice_id(voice_id: str) -> tuple[str, str | None]:
    """``Mariam-ksa`` → (``Mariam``, ``ksa``); ``mariam`` → (``Mariam``, None).

    Known speakers get the catalogue's spelling; anything else is kept as typed (Hamsa
    may know names we do not). A trailing ``-<dialect code>`` is the dialect.
    """
    voice_id = voice_id.strip()
    match = re.match(rf"^({_UUID})(?:-(.+))?$", voice_id, re.I)
    if match:
        rest = match.group(2)
        dialect = rest.lower() if rest and rest.lower() in HAMSA_DIALECTS else None
        if rest is None or dialect is not None:
            return match.group(1), dialect
    speaker, dialect = voice_id, None
    lowered = voice_id.lower()
    for code in _SUFFIXES:
        if lowered.endswith(f"-{code}") and len(voice_id) > len(code) + 1:
            speaker, dialect = voice_id[: -len(code) - 1], code
            break
    known = known_speaker(speaker)
    return (known.name if known is not None else speaker), dialect


def make_voice_id(speaker: str, dialect: str | None) -> str:
    """The canonical id: the bare name in the speaker's own dialect, else name-dialect."""
    if dialect is None or (not is_uuid(speaker) and dialect == own_dialect(speaker)):
        return speaker
    if is_uuid(speaker) and dialect == FUSHA:
        return speaker
    return f"{speaker}-{dialect}"


def hamsa_voice(
    speaker: str,
    dialect_code: str | None = None,
    gender: str | None = None,
    *,
    name_ar: str | None = None,
) -> Voice:
    """A Hamsa speaker in a dialect (its own when ``dialect_code`` is None)."""
    known = known_speaker(speaker)
    name = known.name if known is not None else speaker
    dialect = HAMSA_DIALECTS.get(dialect_code or own_dialect(name)) or HAMSA_DIALECTS[FUSHA]
    gender = gender or (known.gender if known is not None else None)
    label_ar = name_ar or (known.name_ar if known is not None else name)
    gender_en = f", {gender}" if gender else ""
    gender_ar = f"، {_GENDER_AR[gender]}" if gender in _GENDER_AR else ""
    return Voice(
        provider=HAMSA,
        voice_id=make_voice_id(name, dialect.code),
        name=name,
        language=dialect.language,
        dialect=dialect.code,
        gender=gender,
        description_en=f"Hamsa {name} ({dialect.name_en}{gender_en})",
        description_ar=f"همسة {label_ar} ({dialect.name_ar}{gender_ar})",
    )


def hamsa_custom_voice(voice_id: str, name: str | None = None, dialect: str | None = None) -> Voice:
    """A cloned Hamsa voice (a UUID used as the speaker), in Fusha unless told otherwise."""
    label = name or voice_id
    code = dialect if dialect in HAMSA_DIALECTS else FUSHA
    info = HAMSA_DIALECTS[code]
    in_en = f" ({info.name_en})" if code != FUSHA else ""
    in_ar = f" ({info.name_ar})" if code != FUSHA else ""
    return Voice(
        provider=HAMSA,
        voice_id=make_voice_id(voice_id, code),
        name=label,
        language=info.language,
        dialect=code,
        custom=True,
        description_en=f"Hamsa custom voice {label}{in_en}",
        description_ar=f"صوت همسة المخصص {label}{in_ar}",
    )


def builtin_hamsa_voices() -> list[Voice]:
    """Every built-in speaker in its own dialect."""
    return [hamsa_voice(name) for name in HAMSA_SPEAKERS]


def in_dialect(voice: Voice, dialect: str) -> Voice:
    """The same speaker (or cloned voice) asked for in another dialect."""
    if voice.custom:
        return hamsa_custom_voice(parse_voice_id(voice.voice_id)[0], voice.name, dialect)
    return hamsa_voice(voice.name, dialect, voice.gender)


def dialect_tag(dialect: str) -> str:
    """The language tag a dialect's voices are listed under (Fusha: ``ar-001``)."""
    return FUSHA_TAG if dialect == FUSHA else HAMSA_DIALECTS[dialect].language


def offered_voices(voices: Iterable[Voice]) -> Iterator[tuple[Voice, tuple[str, ...]]]:
    """Every speaker in every dialect, with the language tags to list each under.

    ``voices`` are speakers in their own dialect (built-in, live, cloned). Each is listed
    under plain ``ar`` (or ``en``) and its own dialect's tag; each speaker in each other
    dialect is listed only under that dialect's tag (``ar-EG``: every speaker in Egyptian;
    ``ar-001``: every speaker in Fusha), so no picker shows one speaker twice. Gulf shares
    ``ar-SA`` with Saudi, so only Gulf speakers are listed in Gulf.
    """
    bases: dict[str, Voice] = {}
    for voice in voices:
        # One entry per speaker (the first one's dialect is its own); a second entry for
        # the same speaker is one of the other-dialect voices made below anyway.
        if voice.dialect in HAMSA_DIALECTS:
            bases.setdefault(parse_voice_id(voice.voice_id)[0], voice)
    for voice in bases.values():
        assert voice.dialect is not None
        base = voice.language.split("-")[0]
        yield voice, tuple(dict.fromkeys((base, dialect_tag(voice.dialect))))
    for dialect in HAMSA_DIALECTS:
        if dialect == GULF:
            continue
        for voice in bases.values():
            if voice.dialect != dialect:
                yield in_dialect(voice, dialect), (dialect_tag(dialect),)


def voices_for_language(voices: Iterable[Voice], language: str) -> list[Voice]:
    """The voices to offer for a language tag (see ``offered_voices``), in catalogue order."""
    wanted = language.replace("_", "-").lower()
    return [
        voice for voice, tags in offered_voices(voices) if wanted in (tag.lower() for tag in tags)
    ]


def hamsa_language_tags() -> list[str]:
    """Every tag a Hamsa voice is listed under."""
    tags = {"ar", FUSHA_TAG, *(info.language for info in HAMSA_DIALECTS.values())}
    return sorted(tags)
