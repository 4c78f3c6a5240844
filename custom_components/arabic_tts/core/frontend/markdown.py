"""Markdown, emoji and URLs out of a language model's answer, as it streams.

An LLM's reply arrives token by token with ``**bold**``, bullets, headings, tables, code,
links and emoji; a voice reads the symbols ("star star"). This cleaner keeps what a
listener needs: the words, link text, table cells, and a sentence end after each heading,
bullet and table row (so each is spoken as its own sentence, and the splitter can release
it early). Code blocks, URLs, images' addresses and emoji are dropped.

Streaming: text is released as soon as no later character can change it. What is held
back is only what may still be markup: the start of a line until its marker is known
("#", "-", "1."), a trailing run of ``*``/``_``/`````/``~`` (``*`` + ``*bold`` is ``**``),
an unclosed ``[link](…)`` or ``<tag``, a URL that may go on, and a table row until its
end. Every hold has a size limit, so unbalanced markup never stops the speech.
"""

from __future__ import annotations

import regex as re

MAX_HOLD = 400  # characters of possible markup held back before giving up on it

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_BULLET_RE = re.compile(r"^[ \t]*(?:[-*+•◦▪]|\d{1,3}[.)])[ \t]+")
_QUOTE_RE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_TRAILING_SPACE_RE = re.compile(r"[ \t]+$")
_TABLE_RE = re.compile(r"^[ \t]*\|")
_TABLE_SEPARATOR_RE = re.compile(r"^[\s|:\-]+$")
# A line start that may still become a marker once more characters arrive.
_UNDECIDED_START_RE = re.compile(
    r"^(?:[ \t]*|[ \t]*#{1,6}|[ \t]*[-*+•◦▪_]{1,3}|[ \t]*\d{1,3}[.)]?|[ \t]*>+|"
    r" {0,3}`{1,2}|[ \t]*~{1,2}|[ \t]*(?:[-*_][ \t]*){2,})$"
)

_IMAGE_RE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK_RE = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_REFERENCE_LINK_RE = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_FOOTNOTE_RE = re.compile(r"\[\^[^\]\n]*\]")
_AUTOLINK_RE = re.compile(r"<(?:https?://|mailto:|www\.)[^<>\s]*>", re.IGNORECASE)
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^<>\n]*>")
_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'«»]+?(?=[.,;:!?؟،؛)\]»\"']*(?:\s|$))", re.IGNORECASE
)
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~>])")
_EMOJI_RE = re.compile(
    r"[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}"
    r"\uFE0E\uFE0F\u200D\u20E3\U000E0020-\U000E007F]"
)
_SPACES_RE = re.compile(r"[ \t]{2,}")
# Held back at the end of a partial line: markup that is not complete yet.
_TRAILING_MARKS_RE = re.compile(r"[*_`~\\]+$|(?<![^\s(])!$")  # " !" may open "![image]"
_PARTIAL_URL_RE = re.compile(
    r"(?<![^\s(\[<])(?:h(?:t(?:t(?:p(?:s?(?::/{0,2})?)?)?)?)?|w(?:w(?:w\.?)?)?)$", re.IGNORECASE
)
_URL_START_RE = re.compile(r"(?:https?://|www\.)\S*$", re.IGNORECASE)
SENTENCE_PUNCTUATION = ".!?؟…:؛،,;"


class MarkdownToText:
    """Feed an LLM's text as it arrives; get speakable text back (``feed`` then ``flush``)."""

    def __init__(self) -> None:
        self._pending = ""
        self._line_start = True
        self._kind = "text"  # heading, item, quote or text: how the current line ends
        self._fence: str | None = None  # inside a code block: its fence
        self._previous = "\n"  # the last raw character released (for * and _ rules)
        self._line_has_words = False
        self._line_last = ""  # last non-space character spoken on this line
        self._space_before = False  # the text released so far ends in a space

    def feed(self, chunk: str) -> str:
        """Add text; return what can be spoken already."""
        self._pending += chunk
        return self._drain(final=False)

    def flush(self) -> str:
        """End of text: the rest, with any unfinished markup resolved as text."""
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> str:
        out: list[str] = []
        while self._pending:
            newline = self._pending.find("\n")
            if newline >= 0:
                line, self._pending = self._pending[:newline], self._pending[newline + 1 :]
                out.append(self._complete_line(line))
                continue
            if final:
                line, self._pending = self._pending, ""
                out.append(self._complete_line(line, newline=False))
                break
            out.append(self._partial_line())
            break
        if final and not self._line_start:  # the last line was released as it came
            out.append(self._sentence_end(""))
            self._end_line()
        return "".join(out)

    # --- lines ----------------------------------------------------------------------------

    def _complete_line(self, line: str, *, newline: bool = True) -> str:
        ending = "\n" if newline else ""
        if self._line_start:
            if self._fence is not None or _FENCE_RE.match(line):
                self._code_line(line)
                return ""
            if _RULE_RE.match(line):
                self._end_line()
                return ending
            if _TABLE_RE.match(line):
                spoken = self._table_row(line)
                self._end_line()
                return spoken + ending
            line = self._start_line(line)
        if self._kind == "heading":
            line = _CLOSING_HASHES_RE.sub("", line)  # "## Title ##"
        spoken = self._inline(line, final=True)[0]
        spoken += self._sentence_end(spoken)
        self._end_line()
        return spoken + ending

    def _partial_line(self) -> str:
        text = self._pending
        if self._line_start:
            if self._fence is not None or _FENCE_RE.match(text) or _TABLE_RE.match(text):
                if len(text) > MAX_HOLD * 10:  # a runaway code line: drop what we have
                    self._pending = ""
                return ""  # whole lines only
            if _UNDECIDED_START_RE.match(text) and len(text) < MAX_HOLD:
                return ""
            text = self._start_line(text)
            self._line_start = False
        spoken, used = self._inline(text, final=False)
        self._pending = text[used:]
        return spoken

    def _start_line(self, line: str) -> str:
        """Strip a line's block marker and remember how the line must end."""
        self._line_start = False
        if match := _HEADING_RE.match(line):
            self._kind = "heading"
            return line[match.end() :]
        if match := _BULLET_RE.match(line):
            self._kind = "item"
            return line[match.end() :]
        if match := _QUOTE_RE.match(line):
            self._kind = "text"
            return line[match.end() :]
        self._kind = "text"
        return line

    def _end_line(self) -> None:
        self._line_start = True
        self._kind = "text"
        self._line_has_words = False
        self._line_last = ""
        self._previous = "\n"
        self._space_before = False

    def _sentence_end(self, spoken: str) -> str:
        """A heading or list item ends a sentence even without a full stop."""
        if self._kind in ("heading", "item") and self._line_has_words:
            last = spoken.rstrip()[-1:] or self._line_last
            if last not in SENTENCE_PUNCTUATION:
                return "."
        return ""

    def _code_line(self, line: str) -> None:
        """Lines of a code block are not read; only its closing fence matters."""
        match = _FENCE_RE.match(line)
        if self._fence is None and match:
            self._fence = match.group(1)[0] * 3
        elif match and self._fence is not None and match.group(1).startswith(self._fence):
            self._fence = None
        self._end_line()

    def _table_row(self, line: str) -> str:
        if _TABLE_SEPARATOR_RE.match(line):
            return ""
        cells = [self._inline(cell.strip(), final=True)[0].strip() for cell in line.split("|")]
        spoken = "، ".join(cell for cell in cells if cell)
        if not spoken:
            return ""
        return spoken + ("" if spoken[-1] in SENTENCE_PUNCTUATION else ".")

    # --- inline ---------------------------------------------------------------------------

    def _inline(self, text: str, *, final: bool) -> tuple[str, int]:
        """Clean ``text``; return (spoken, characters used). Held-back markup is not used."""
        cut = len(text) if final else self._safe_cut(text)
        raw = text[:cut]
        if not raw:
            return "", cut
        spoken = _IMAGE_RE.sub(r"\1", raw)
        spoken = _LINK_RE.sub(r"\1", spoken)
        spoken = _REFERENCE_LINK_RE.sub(r"\1", spoken)
        spoken = _FOOTNOTE_RE.sub("", spoken)
        spoken = _AUTOLINK_RE.sub("", spoken)
        spoken = _HTML_TAG_RE.sub(" ", spoken)
        spoken = _URL_RE.sub("", spoken)
        spoken = _ESCAPE_RE.sub(r"\1", spoken)
        spoken = self._emphasis(spoken)
        spoken = _EMOJI_RE.sub("", spoken)
        spoken = _SPACES_RE.sub(" ", spoken)
        if self._space_before and spoken[:1] in (" ", "\t"):
            spoken = spoken.lstrip(" \t")  # one space across chunk edges, as within one
        if spoken:
            self._space_before = spoken[-1] in (" ", "\t")
        self._previous = raw[-1]
        if any(char.isalnum() for char in spoken):
            self._line_has_words = True
        if stripped := spoken.rstrip():
            self._line_last = stripped[-1]
        return spoken, cut

    def _safe_cut(self, text: str) -> int:
        """Where the text stops being certain: the start of unfinished markup."""
        cut = len(text)
        limit = max(0, len(text) - MAX_HOLD)
        # Complete links are settled: their addresses are not URLs still being written.
        probe = _LINK_RE.sub(lambda match: "@" * len(match.group(0)), text)
        patterns = [_TRAILING_MARKS_RE, _PARTIAL_URL_RE, _URL_START_RE]
        if self._kind == "heading":
            patterns += [_CLOSING_HASHES_RE, _TRAILING_SPACE_RE]  # "Title" + " ##"
        for pattern in patterns:
            if (match := pattern.search(probe)) and match.start() >= limit:
                cut = min(cut, match.start())
        bracket = text.rfind("[")
        if bracket >= limit and not _closed_link(text, bracket):
            cut = min(cut, bracket - 1 if text[bracket - 1 : bracket] == "!" else bracket)
        angle = text.rfind("<")
        if angle >= limit and ">" not in text[angle:]:
            cut = min(cut, angle)
        return cut

    def _emphasis(self, text: str) -> str:
        """Drop ``**``, ``__``, ``~~``, backticks and emphasis ``*``/``_``; keep "2 * 3" and
        snake_case (read as two words). Struck-out words stay: "from ~~Sunday~~ to Monday"
        says what changed, and without them the sentence means something else."""
        text = text.replace("`", "").replace("~~", "")
        out: list[str] = []
        previous = self._previous
        index = 0
        while index < len(text):
            char = text[index]
            if char not in "*_":
                out.append(char)
                previous = char
                index += 1
                continue
            end = index
            while end < len(text) and text[end] == char:
                end += 1
            following = text[end] if end < len(text) else " "
            before_space = previous.isspace()
            after_space = following.isspace()
            if before_space and after_space:
                out.append(text[index:end])  # "2 * 3": not markup
            elif char == "_" and previous.isalnum() and following.isalnum() and end - index == 1:
                out.append(" ")  # kitchen_lamp
            previous = text[end - 1]
            index = end
        return "".join(out)


def _closed_link(text: str, bracket: int) -> bool:
    """True when the ``[`` at ``bracket`` starts a link or bracket that is complete."""
    close = text.find("]", bracket)
    if close < 0:
        return False
    if close + 1 == len(text):
        return False  # "[text]" + "(url)" may follow
    if text[close + 1] == "(":
        return text.find(")", close) >= 0
    if text[close + 1] == "[":
        return text.find("]", close + 1) >= 0
    return True


def strip_markdown(text: str) -> str:
    """Clean a whole text at once."""
    cleaner = MarkdownToText()
    return cleaner.feed(text) + cleaner.flush()
