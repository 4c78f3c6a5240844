"""What Hamsa's live voice lists teach the client: catalogue ids, dialects, clones.

``GET /v2/tts/voices/catalog`` gives ``{voices: [{id, name, language, gender}]}`` with a
BCP-47 ``language``; ``GET /v2/tts/voices`` gives ``data.voices[]`` of ``{id, name,
dialect: {languageCode}}`` and lists built-in voices as well as the account's clones. A
catalogue id pins one speaker in one accent (a bare name may be re-resolved to another
accent), so a speaker asked for in the dialect of a known id is spoken by that id. Only
clones need a preload; a built-in id is never preloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from .hamsa_voices import (
    FUSHA,
    dialect_for_tag,
    hamsa_custom_voice,
    hamsa_voice,
    is_uuid,
    known_speaker,
)
from .voices import Voice

_LOGGER = logging.getLogger(__name__)

ID_REFUSALS_TO_STOP = 2


class HamsaVoiceBook:
    """Ids by (speaker, dialect) and which ids are built-in voices rather than clones."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        self._builtin: set[str] = set()
        self._names: set[str] = set()  # speaker names the live lists gave (lower case)
        # The evidence that ids work as ``speaker`` comes from Hamsa's REST endpoint; if
        # the socket refuses ids (twice: once could be a passing "aborted") and the names
        # work, names are used from then on.
        self._id_refusals = 0

    @property
    def ids_refused(self) -> bool:
        """Whether catalogue ids have stopped being sent."""
        return self._id_refusals >= ID_REFUSALS_TO_STOP

    @property
    def id_count(self) -> int:
        """Catalogue ids known (each pins one speaker in one accent)."""
        return len(set(self._ids.values()))

    def id_refused(self) -> None:
        """A catalogue id was answered "aborted" and the name then worked."""
        self._id_refusals += 1

    def wire_speaker(self, speaker: str, dialect: str) -> str:
        """What to send as ``speaker``: the catalogue id of this speaker in this dialect
        when one is known, else the speaker as given (a name or a clone's id)."""
        if is_uuid(speaker) or self.ids_refused:
            return speaker
        return self._ids.get((speaker.lower(), dialect), speaker)

    def knows_name(self, name: str) -> bool:
        """Whether Hamsa's own lists named this speaker (beyond our catalogue)."""
        return name.lower() in self._names

    def is_builtin(self, voice_id: str) -> bool:
        """Whether an id belongs to a built-in voice (never preloaded)."""
        return voice_id.lower() in self._builtin

    def mark_builtin(self, voice_id: str) -> None:
        """Remember an id that turned out to be no clone (its preload was refused, yet it
        spoke), so it is not preloaded again."""
        self._builtin.add(voice_id.lower())

    def learn_catalog(self, entries: Iterable[dict[str, Any]]) -> list[Voice]:
        """Entries of the catalogue: every one is a built-in voice."""
        voices: list[Voice] = []
        for entry in entries:
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                continue
            dialect = _dialect(name, entry.get("language"))
            gender = entry.get("gender")
            voices.append(hamsa_voice(name, dialect, gender if isinstance(gender, str) else None))
            self._learn(entry.get("id"), name, dialect)
        return voices

    def learn_listed(self, entries: Iterable[dict[str, Any]]) -> list[Voice]:
        """Entries of ``/v2/tts/voices``: built-ins (known ids, or a speaker name we know
        with a dialect) and clones (everything else)."""
        voices: list[Voice] = []
        for entry in entries:
            voice_id, name = entry.get("id"), entry.get("name")
            if not isinstance(voice_id, str) or not voice_id:
                continue
            label = name if isinstance(name, str) and name else None
            dialect_info = entry.get("dialect")
            tag = dialect_info.get("languageCode") if isinstance(dialect_info, dict) else None
            if label is not None and (
                self.is_builtin(voice_id) or (known_speaker(label) and dialect_for_tag(tag))
            ):
                dialect = _dialect(label, tag)
                voices.append(hamsa_voice(label, dialect))
                self._learn(voice_id, label, dialect)
            elif is_uuid(voice_id):
                voices.append(hamsa_custom_voice(voice_id, label, dialect_for_tag(tag)))
        return voices

    def _learn(self, voice_id: object, name: str, dialect: str) -> None:
        self._names.add(name.lower())
        if not isinstance(voice_id, str) or not voice_id:
            return
        known = known_speaker(name)
        self._ids.setdefault(((known.name if known else name).lower(), dialect), voice_id)
        self._builtin.add(voice_id.lower())


def _dialect(name: str, tag: object) -> str:
    """The dialect of a listed voice: its tag mapped to Hamsa's code, else the catalogue's
    own dialect for that speaker, else Fusha (said in the log, never silently)."""
    dialect = dialect_for_tag(tag) if isinstance(tag, str) else None
    if dialect is not None:
        return dialect
    known = known_speaker(name)
    if known is not None:
        return known.dialect
    _LOGGER.debug("Hamsa lists voice %s with unknown language tag %r; using Fusha", name, tag)
    return FUSHA
