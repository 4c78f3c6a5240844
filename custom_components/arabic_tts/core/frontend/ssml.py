"""SSML → the text to speak, with ``<break>`` as pause markers (pauses.py), as it streams.

Neither Hamsa nor espeak-ng (as we run it) reads SSML, and Faseeh only ``<break>``: sent
as is, the markup is read aloud ("speak … break time …"). This reads what a Home
Assistant automation or a language model actually writes, which is often not valid XML
(no root, a stray ``&``, an unclosed tag), so it is a tolerant tokenizer rather than an
XML parser (the standard library's stop at the first error and would drop the rest of the
text). It also never expands entities beyond the standard ones, so no input can make it
grow.

Handled: ``<break time|strength>`` (a pause), ``<p>``/``<s>`` (sentence ends),
``<sub alias>`` (the alias), ``<say-as interpret-as="characters|spell-out|digits|
telephone">`` (one character at a time), ``<audio>`` (its fallback text), ``<desc>`` and
comments (dropped). Every other tag is dropped and its text kept.
"""

from __future__ import annotations

import html

import regex as re

from .pauses import pause_marker

MAX_TAG_CHARS = 1024  # an opening "<" with no ">" this far on is text, not a tag
SENTENCE_END = "\n\n"  # the splitter's hard boundary
STRENGTH_MS = {
    "none": 0,
    "x-weak": 100,
    "weak": 250,
    "medium": 400,
    "strong": 750,
    "x-strong": 1200,
}
SPELL_AS = frozenset({"characters", "spell-out", "digits", "telephone", "verbatim"})

_TAG_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:.-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*?)(/?)\s*>")
_LOOSE_TAG_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:.-]*)([^<>]*?)(/?)\s*>")  # a quote missing
_TAG_START_RE = re.compile(r"<\s*/?\s*[A-Za-z]")
_TAG_OPENING_RE = re.compile(r"<\s*/?\s*")
_ATTR_RE = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TIME_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$", re.IGNORECASE)
_ENTITY_TAIL_RE = re.compile(r"&[#\w]{0,10}$")
_SPEAK_START_RE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?<speak[\s>/]", re.IGNORECASE)


def looks_like_ssml(text: str) -> bool:
    """True when a text starts with a ``<speak>`` root (after an optional XML declaration)."""
    return _SPEAK_START_RE.match(text) is not None


def break_ms(attributes: dict[str, str]) -> float:
    """The length of a ``<break>``: ``time`` wins over ``strength``; no attribute = medium."""
    time = attributes.get("time")
    if time is not None and (match := _TIME_RE.match(time)):
        value = float(match.group(1))
        return value * 1000 if (match.group(2) or "ms").lower() == "s" else value
    return STRENGTH_MS.get(attributes.get("strength", "medium").lower(), STRENGTH_MS["medium"])


def _attributes(text: str) -> dict[str, str]:
    return {
        name.lower(): html.unescape(double if double is not None else single or "")
        for name, double, single in _ATTR_RE.findall(text)
    }


class SsmlToText:
    """Feed SSML as it arrives; get the text to speak back (``feed`` then ``flush``)."""

    def __init__(self) -> None:
        self._pending = ""
        self._skip: str | None = None  # inside <sub>, <desc>: drop text until this closes
        self._spell = False

    def feed(self, chunk: str) -> str:
        """Add SSML; return the text whose markup is complete."""
        self._pending += chunk
        return self._drain(final=False)

    def flush(self) -> str:
        """End of input: whatever is left (an unclosed tag is dropped)."""
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> str:
        out: list[str] = []
        text = self._pending
        position = 0
        while position < len(text):
            if text.startswith("<!--", position):
                end = text.find("-->", position + 4)
                if end < 0:
                    if final:
                        position = len(text)
                    break
                position = end + 3
                continue
            if text.startswith("<?", position) or text.startswith("<!", position):
                end = text.find(">", position)
                if end < 0:
                    if final:
                        position = len(text)
                    break
                position = end + 1
                continue
            if text[position] == "<":
                if not final and _TAG_OPENING_RE.fullmatch(text, position):
                    break  # "<" + "break …" arrives in the next chunk
                if not _TAG_START_RE.match(text, position):
                    out.append(self._text("<"))  # "x < 5": a literal, not a tag
                    position += 1
                    continue
                match = _TAG_RE.match(text, position) or _LOOSE_TAG_RE.match(text, position)
                if match is None:
                    if final or len(text) - position >= MAX_TAG_CHARS:
                        out.append(self._text("<"))
                        position += 1
                        continue
                    break  # the rest of the tag is still on its way
                out.append(self._tag(match))
                position = match.end()
                continue
            end = text.find("<", position)
            end = len(text) if end < 0 else end
            segment = text[position:end]
            if end == len(text) and not final and (tail := _ENTITY_TAIL_RE.search(segment)):
                segment = segment[: tail.start()]  # "&am" + "p;" arrives later
                end = position + len(segment)
                out.append(self._text(segment))
                position = end
                break
            out.append(self._text(segment))
            position = end
        self._pending = text[position:]
        return "".join(out)

    def _text(self, raw: str) -> str:
        if self._skip is not None or not raw:
            return ""
        text = html.unescape(raw)
        if self._spell:
            # One character at a time, each its own short phrase: "٩، ١، ١، ".
            return "".join(f"{char}، " for char in text if not char.isspace())
        return text

    def _tag(self, match: re.Match[str]) -> str:
        closing, name, body, self_closing = match.groups()
        name = name.lower().rsplit(":", 1)[-1]
        attributes = _attributes(body)
        if self._skip is not None:
            if closing and name == self._skip:
                self._skip = None
            return ""
        if name == "break" and not closing:
            return f" {pause_marker(break_ms(attributes))} "
        if name in ("p", "s", "paragraph", "sentence"):
            return SENTENCE_END if closing else ""
        if name == "sub" and not closing:
            if self_closing:
                return ""
            self._skip = "sub"
            return attributes.get("alias", "")
        if name == "desc" and not closing and not self_closing:
            self._skip = "desc"
            return ""
        if name == "say-as":
            if closing:
                self._spell = False
                return " "
            self._spell = attributes.get("interpret-as", "").lower() in SPELL_AS
            return " " if self._spell else ""
        return ""
