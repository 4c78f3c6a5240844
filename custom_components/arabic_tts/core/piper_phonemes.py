"""Text → phonemes → ids, exactly as Piper trained its voices.

Piper (rhasspy/piper-phonemize, OHF-Voice/piper1-gpl) asks espeak-ng's library for the IPA
of each clause with the voice's own espeak voice, drops language-switch flags such as
``(en)``, appends the clause's punctuation (``. ? !`` end a sentence; ``, : ;`` are
followed by a space), splits the result into Unicode codepoints after NFD normalisation,
and frames each sentence as ``^ _ p1 _ p2 _ … _ $`` in ids. Each sentence is one inference.

We cannot link espeak-ng (GPL-3.0) into this MIT project, so we run its program, as the
offline voice already does: ``espeak-ng -q --ipa`` prints the same IPA as the library
call, one clause per line, but without the punctuation that ended each clause. The
clauses are found here with espeak-ng's own rules (readclause.c: which characters end a
clause, and only when followed by a space, a closing bracket or the end), and each line
gets its clause's punctuation back. When espeak-ng's line count disagrees with ours (an
empty clause, a rule we do not mirror), each clause is phonemized on its own, which is
always right about the punctuation.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import ProviderError, ProviderTimeout, ProviderUnavailable
from .piper_config import BOS, EOS, PAD

PROVIDER = "piper"
# espeak-ng's clause punctuation (readclause.c punct_chars / punct_attributes) → what Piper
# appends, and whether it ends a sentence. Piper keeps a terminator only when its masked
# clause type is exactly one of its six: the ellipsis (CLAUSE_SEMICOLON plus "optional
# space after") ends a clause but adds nothing; the dashes are plain semicolons.
CLAUSE_PUNCTUATION: dict[str, tuple[str, bool]] = {
    ".": (".", True),
    "?": ("?", True),
    "!": ("!", True),
    ",": (",", False),
    ":": (":", False),
    ";": (";", False),
    "\u061f": ("?", True),  # ؟ Arabic question mark
    "\u06d4": (".", True),  # ۔ Arabic full stop
    "\u060c": (",", False),  # ، Arabic comma
    "\u061b": (";", False),  # ؛ Arabic semicolon
    "\u2013": (";", False),  # en dash
    "\u2014": (";", False),  # em dash
    "\u2026": ("", False),  # ellipsis
}
ELLIPSIS = "\u2026"
# After these a punctuation mark still ends its clause (espeak-ng: IsBracket, quotes).
CLOSERS = frozenset(")]}»\"'”’›>")
SPACE_AFTER = frozenset(",:;")  # Piper adds a space after these (not a sentence end)
_LANGUAGE_FLAG = re.compile(r"\([^)]+\)")  # (en)…(ar): espeak-ng switching languages
_SPACES = re.compile(r"\s+")
READ_LIMIT = 1 << 20  # a sentence's IPA is a few hundred bytes; never buffer without end


@dataclass(frozen=True, slots=True)
class Clause:
    """A piece of text espeak-ng speaks as one clause, and what Piper appends to it."""

    text: str
    terminator: str = ""
    ends_sentence: bool = False


def split_clauses(text: str) -> list[Clause]:
    """``text`` cut where espeak-ng ends its clauses (whitespace normalised to spaces)."""
    text = _SPACES.sub(" ", text).strip()
    clauses: list[Clause] = []
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        end = index + 1
        if char == ".":
            while end < len(text) and text[end] == ".":
                end += 1
            if end - index >= 3:
                char = ELLIPSIS  # espeak-ng reads three dots or more as an ellipsis
        if char in CLAUSE_PUNCTUATION and (end == len(text) or _ends_clause(text[end])):
            terminator, sentence = CLAUSE_PUNCTUATION[char]
            while end < len(text) and text[end] in CLOSERS:
                end += 1  # «…». : the closing quote belongs to the clause it closes
            clauses.append(Clause(text[start:end].strip(), terminator, sentence))
            start = end
        index = end
    if tail := text[start:].strip():
        clauses.append(Clause(tail))
    return clauses


def _ends_clause(following: str) -> bool:
    return following.isspace() or following in CLOSERS


def clause_phonemes(ipa: str, clause: Clause) -> list[str]:
    """One clause's phonemes as Piper makes them: flags out, punctuation in, NFD codepoints."""
    phonemes = _LANGUAGE_FLAG.sub("", ipa) + clause.terminator
    if clause.terminator in SPACE_AFTER:
        phonemes += " "
    return list(unicodedata.normalize("NFD", phonemes))


def group_sentences(clauses: Sequence[Clause], ipa: Sequence[str]) -> list[list[str]]:
    """Clause phonemes joined into Piper's sentences (one inference each)."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for clause, clause_ipa in zip(clauses, ipa, strict=True):
        current.extend(clause_phonemes(clause_ipa, clause))
        if clause.ends_sentence:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return [sentence for sentence in sentences if sentence]


def text_phonemes(text: str) -> list[list[str]]:
    """For ``phoneme_type: text`` voices: the text's NFD codepoints, one sentence."""
    return [list(unicodedata.normalize("NFD", text))]


def phoneme_ids(
    phonemes: Iterable[str], id_map: Mapping[str, Sequence[int]], missing: set[str] | None = None
) -> list[int]:
    """``^ _ p1 _ p2 _ … _ $`` as ids; phonemes the voice does not know are skipped (and
    added to ``missing``), as Piper does."""
    pad = id_map[PAD]
    ids = [*id_map[BOS], *pad]
    for phoneme in phonemes:
        mapped = id_map.get(phoneme)
        if mapped is None:
            if missing is not None:
                missing.add(phoneme)
            continue
        ids.extend(mapped)
        ids.extend(pad)
    ids.extend(id_map[EOS])
    return ids


def split_long(phonemes: list[str], limit: int) -> list[list[str]]:
    """A sentence longer than ``limit`` phonemes, cut after a clause mark, else at a space.

    Piper has no limit; we keep one so a run-on sentence neither holds the first audio
    back for its whole length nor makes one inference's memory grow with it.
    """
    pieces: list[list[str]] = []
    while len(phonemes) > limit:
        window = phonemes[:limit]
        cut = _last_cut(window, (", ", ": ", "; ")) or _last_cut(window, (" ",)) or limit
        pieces.append(phonemes[:cut])
        phonemes = phonemes[cut:]
    if phonemes:
        pieces.append(phonemes)
    return pieces


def _last_cut(window: list[str], marks: tuple[str, ...]) -> int:
    """Index just after the last ``mark`` in ``window`` (0: none, or only at the start)."""
    joined = "".join(window)  # one codepoint per phoneme, so indexes agree
    best = max(joined.rfind(mark) + len(mark) if mark in joined else 0 for mark in marks)
    return best if best < len(window) else 0


class EspeakPhonemizer:
    """IPA from the ``espeak-ng`` program, grouped into Piper's sentences."""

    def __init__(self, *, executable: str = "espeak-ng", timeout: float = 10.0) -> None:
        self._executable = executable
        self.timeout = timeout

    async def phonemize(self, text: str, voice: str) -> list[list[str]]:
        """Piper's sentences (lists of phonemes) for ``text`` with the espeak ``voice``."""
        clauses = split_clauses(text)
        if not clauses:
            return []
        lines = await self._ipa_lines(" ".join(clause.text for clause in clauses), voice)
        if len(lines) != len(clauses):
            # Our clauses and espeak-ng's differ here: one run per clause, so each line
            # still gets its own punctuation (an extra break inside a clause adds none).
            lines = [
                "".join(await self._ipa_lines(clause.text, voice)) if clause.text else ""
                for clause in clauses
            ]
        return group_sentences(clauses, lines)

    async def _ipa_lines(self, text: str, voice: str) -> list[str]:
        """espeak-ng's IPA, one line per clause it found (empty clauses print nothing)."""
        args = [self._executable, "-q", "--ipa", "-b", "1", "-v", voice, "--stdin"]
        try:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=READ_LIMIT,
            )
        except OSError as err:
            raise ProviderUnavailable(
                f"espeak-ng cannot be started for Piper's phonemes ({err.strerror or err}).",
                provider=PROVIDER,
            ) from None
        try:
            async with asyncio.timeout(self.timeout):
                out, err_out = await process.communicate(text.encode("utf-8"))
        except TimeoutError:
            raise ProviderTimeout(
                f"espeak-ng gave no phonemes for {self.timeout:g} s", provider=PROVIDER
            ) from None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if process.returncode != 0:
            detail = err_out.decode("utf-8", "replace").strip()[:200]
            raise ProviderError(
                f"espeak-ng could not phonemize with voice {voice!r} (exit status "
                f"{process.returncode}{': ' + detail if detail else ''}).",
                provider=PROVIDER,
            )
        text_out = out.decode("utf-8", "replace")
        return [line.strip() for line in text_out.splitlines() if line.strip()]
