"""The user's pronunciation lexicon: people's, rooms' and devices' names, said their way.

The format is meant to be typed by hand, in a text file (the Wyoming server's
``--lexicon``) or a text box (Home Assistant's options):

    # written = spoken
    Salma = سلمى
    سلمى = سَلْمى
    Living Room = غرفة المعيشة
    R2 = آر تو

One entry a line, the written form, ``=``, the spoken form; ``#`` starts a comment; blank
lines and spaces around either side do not matter; a later line for the same written
form wins. A line without ``=`` or with an empty side is reported with its number and
skipped, so one typo never loses the rest.

Applied to every voice's text before the other steps (numbers, words, tashkeel), so the
spoken side may hold digits or vowel marks; a word the writer vowelled fully keeps its
marks through tashkeel. Whole words only; Latin letters match in any case (salma,
SALMA); an Arabic entry also matches with و، ف، ب، ل، ك in front (لسلمى → لسَلْمى).
The longest entry wins where two overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import regex as re

COMMENT = "#"
SEPARATOR = "="


@dataclass(frozen=True, slots=True)
class LexiconProblem:
    """A line that was skipped, and why."""

    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}: {self.text!r}"


NO_SEPARATOR = "no '=' (write: written = spoken)"
EMPTY_WRITTEN = "nothing before '='"
EMPTY_SPOKEN = "nothing after '='"


class UserLexicon:
    """Written forms → spoken forms, applied as whole words."""

    def __init__(self, entries: Mapping[str, str] | None = None) -> None:
        # Latin letters match in any case: one key per written form, folded.
        self._entries = {_key(written): spoken for written, spoken in (entries or {}).items()}
        self._written = {_key(written): written for written in entries or {}}
        self._pattern: re.Pattern[str] | None = None
        if self._entries:
            alternation = "|".join(
                _words_pattern(written) for written in sorted(self._entries, key=len, reverse=True)
            )
            self._pattern = re.compile(
                r"(?<![\p{L}\p{M}\p{N}_])"
                r"(?P<pre>[وف]??[بلك]??)"
                rf"(?P<written>{alternation})"
                r"(?![\p{L}\p{M}\p{N}_])",
                re.IGNORECASE,
            )

    @classmethod
    def parse(cls, text: str) -> tuple[UserLexicon, list[LexiconProblem]]:
        """The lexicon of a file's text, and the lines that were skipped."""
        entries: dict[str, str] = {}
        problems: list[LexiconProblem] = []
        for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
            line = raw.split(COMMENT, 1)[0].strip()
            if not line:
                continue
            written, separator, spoken = line.partition(SEPARATOR)
            written, spoken = " ".join(written.split()), " ".join(spoken.split())
            if not separator:
                problems.append(LexiconProblem(number, raw.strip(), NO_SEPARATOR))
            elif not written:
                problems.append(LexiconProblem(number, raw.strip(), EMPTY_WRITTEN))
            elif not spoken:
                problems.append(LexiconProblem(number, raw.strip(), EMPTY_SPOKEN))
            else:
                entries[written] = spoken
        return cls(entries), problems

    def __len__(self) -> int:
        return len(self._entries)

    def apply(self, text: str) -> str:
        """``text`` with every written form replaced by its spoken form."""
        if self._pattern is None:
            return text
        return str(self._pattern.sub(self._replace, text))

    def _replace(self, match: re.Match[str]) -> str:
        written: str = match.group("written")
        pre: str = match.group("pre")
        if pre and not _starts_arabic(written):
            return str(match.group(0))  # و + a Latin name: not a prefix
        spoken = self._spoken(written)
        return str(match.group(0)) if spoken is None else pre + spoken

    def _spoken(self, written: str) -> str | None:
        """The entry a match is for. Matching without case is wider than ``str.lower``
        (σ and ς, I and ı are the same letter to the pattern, not to lower()): when the
        folded key is not found, the entry whose own pattern matches is."""
        if (spoken := self._entries.get(_key(written))) is not None:
            return spoken
        for key, original in self._written.items():
            if _pattern_of(original).fullmatch(written):
                return self._entries[key]
        return None


def _words_pattern(written: str) -> str:
    """A written form as a pattern: its words, any run of spaces between them."""
    return r"\s+".join(re.escape(word) for word in written.split())


def _pattern_of(written: str) -> re.Pattern[str]:
    return re.compile(_words_pattern(written), re.IGNORECASE)


def _key(written: str) -> str:
    return " ".join(written.split()).lower()


def _starts_arabic(word: str) -> bool:
    return bool(re.match(r"\p{Arabic}", word))
