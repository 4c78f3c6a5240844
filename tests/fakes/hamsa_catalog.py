"""The fake Hamsa's voice catalogue, written from providers.md (not from the client's table).

Hamsa's docs list speakers twice: a 15 dialects x 2 table and the `tts-stream` page's 38
names with "recommended voices per dialect"; third parties used a few more names live. The
real catalogue (`GET /v2/tts/voices/catalog`) tags each voice with a BCP-47 tag (`ar-EG`),
gives each (speaker, accent) its own id, and the same name can appear under several
dialects. Speaker and dialect are independent on the WebSocket: any name in any dialect.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

# Hamsa dialect code -> the BCP-47 tag the catalogue uses for it (providers.md, SpekoAI).
# Gulf ("ar-sa") has no region of its own; the fake tags it with the code itself, which
# also proves a client tells "ar-SA" (Saudi) from "ar-sa" (Gulf).
DIALECT_TAGS: dict[str, str] = {
    "pls": "ar-PS",
    "egy": "ar-EG",
    "syr": "ar-SY",
    "irq": "ar-IQ",
    "jor": "ar-JO",
    "leb": "ar-LB",
    "ksa": "ar-SA",
    "uae": "ar-AE",
    "bah": "ar-BH",
    "qat": "ar-QA",
    "kuw": "ar-KW",
    "oma": "ar-OM",
    "msa": "ar",
    "ar-sa": "ar-sa",
    "en": "en",
}
DIALECTS: frozenset[str] = frozenset(DIALECT_TAGS)
# The WebSocket page's example uses "modern"; the service accepts it.
ACCEPTED_DIALECTS: frozenset[str] = DIALECTS | {"modern"}

# The newer docs: two speakers per dialect.
SPEAKERS_BY_DIALECT: dict[str, tuple[str, ...]] = {
    "pls": ("Amjad", "Layan"),
    "egy": ("Mariam", "Samir"),
    "syr": ("Dalal", "Mais"),
    "irq": ("Lyali", "Fatma"),
    "jor": ("Lana", "Jasem"),
    "leb": ("Carla", "Majd"),
    "ksa": ("Hiba", "Fahd"),
    "uae": ("Salma", "Dima"),
    "bah": ("Mazen", "Ruba"),
    "qat": ("Deema", "Faisal"),
    "kuw": ("Mai", "Hatem"),
    "oma": ("Aisha", "Jaber"),
    "msa": ("Salem", "Tamim"),
    "ar-sa": ("Khalid", "Rahma"),
    "en": ("Emma", "James"),
}

# The tts-stream page: 38 names, and the recommended voices of four dialects.
TTS_STREAM_SPEAKERS: tuple[str, ...] = (
    "Amjad", "Lyali", "Salma", "Mariam", "Dalal", "Lana", "Jasem", "Samir", "Carla", "Nada",
    "Mais", "Fatma", "Hiba", "Ali", "Layan", "Khadija", "Mazen", "Dima", "Majd", "Talin",
    "Ahmed", "Rema", "Fahd", "Rami", "Sarah", "Faiza", "Hamdan", "Alia", "Maher", "Noor",
    "Majid", "Mansour", "Hind", "Hasan", "Safa", "Somaya", "Sayed", "Ruba",
)  # fmt: skip
RECOMMENDED: dict[str, tuple[str, ...]] = {
    "pls": ("Amjad", "Layan", "Talin", "Rema", "Ali"),
    "jor": ("Lana", "Jasem", "Nada", "Sarah"),
    "ksa": ("Hiba", "Khadija", "Fahd", "Jasem"),
    "egy": ("Mariam", "Samir", "Nada", "Ali", "Ahmed"),
}
# Used live by third parties (with these dialects where known).
SEEN_LIVE: dict[str, str] = {
    "Tamer": "ksa",
    "Marwan": "leb",
    "Lamees": "leb",
    "Noura": "msa",
    "Adam": "msa",
}

_MALE = frozenset(
    {
        "Amjad", "Samir", "Jasem", "Majd", "Fahd", "Mazen", "Faisal", "Hatem", "Jaber",
        "Salem", "Tamim", "Khalid", "James", "Ali", "Ahmed", "Rami", "Hamdan", "Maher",
        "Majid", "Mansour", "Hasan", "Sayed", "Tamer", "Marwan", "Adam",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CatalogVoice:
    """One entry of the real catalogue: a speaker in one accent, with its own id."""

    name: str
    dialect: str  # Hamsa dialect code

    @property
    def id(self) -> str:
        """Stable UUID of this (speaker, accent): deliberately not the name."""
        return speaker_id(self.name, self.dialect)

    @property
    def language(self) -> str:
        """The BCP-47 tag the catalogue shows."""
        return DIALECT_TAGS[self.dialect]

    @property
    def gender(self) -> str:
        """Gender shown in the catalogue; guessed from the name (the docs do not say)."""
        return speaker_gender(self.name)


@functools.cache
def speaker_id(name: str, dialect: str) -> str:
    """Catalogue id of a built-in speaker in one dialect (cached: the fake resolves ids on
    every request, and the bench counts that time as the client's)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hamsa-speaker:{name}:{dialect}"))


def speaker_gender(name: str) -> str:
    """ "male" or "female", from the name."""
    return "male" if name in _MALE else "female"


def default_catalog() -> list[CatalogVoice]:
    """Every (speaker, dialect) the docs and live use vouch for; names without one: msa."""
    pairs: dict[tuple[str, str], None] = {}
    for dialect, names in SPEAKERS_BY_DIALECT.items():
        for name in names:
            pairs[(name, dialect)] = None
    for dialect, names in RECOMMENDED.items():
        for name in names:
            pairs[(name, dialect)] = None
    for name, dialect in SEEN_LIVE.items():
        pairs[(name, dialect)] = None
    named = {name for name, _ in pairs}
    for name in TTS_STREAM_SPEAKERS:
        if name not in named:
            pairs[(name, "msa")] = None
    return [CatalogVoice(name, dialect) for name, dialect in pairs]


__all__ = [
    "ACCEPTED_DIALECTS",
    "DIALECTS",
    "DIALECT_TAGS",
    "RECOMMENDED",
    "SEEN_LIVE",
    "SPEAKERS_BY_DIALECT",
    "TTS_STREAM_SPEAKERS",
    "CatalogVoice",
    "default_catalog",
    "speaker_gender",
    "speaker_id",
]
