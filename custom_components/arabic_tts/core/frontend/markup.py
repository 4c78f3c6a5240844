"""The markup step for a whole reply: SSML (when the text is SSML) then markdown, streaming.

Plain text stays the default. SSML is read as SSML when the client says so (Wyoming's
``text_format: ssml``) or when the text itself starts with a ``<speak>`` root: nobody
wants "speak" read aloud, and Home Assistant's own TTS messages have no format field.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable

from .markdown import MarkdownToText
from .offload import run_text_step
from .ssml import SsmlToText, looks_like_ssml

SSML = "ssml"
TEXT = "text"
_DETECT_CHARS = 16  # enough non-space characters to tell "<speak" (or "<?xml…") apart


class MarkupCleaner:
    """SSML and markdown out of a text that arrives in chunks.

    ``ssml``: True (the client said SSML), False (plain text), None (SSML when the text
    starts with ``<speak>``; decided once the first characters have arrived).
    """

    def __init__(self, ssml: bool | None = None) -> None:
        self._ssml: SsmlToText | None = SsmlToText() if ssml else None
        self._undecided = ssml is None
        self._head = ""
        self._markdown = MarkdownToText()

    def feed(self, chunk: str) -> str:
        """Add text; return what is ready to be split into sentences."""
        if self._undecided:
            self._head += chunk
            stripped = self._head.lstrip()
            if len(stripped) < _DETECT_CHARS and (
                "<speak"[: len(stripped)] == stripped[:6] or stripped.startswith("<?")
            ):
                return ""
            chunk, self._head = self._decide(), ""
        return self._clean(chunk)

    def flush(self) -> str:
        """End of text: the rest."""
        text = ""
        if self._undecided:
            text, self._head = self._decide(), ""
        out = self._clean(text)
        if self._ssml is not None:
            out += self._markdown.feed(self._ssml.flush())
        return out + self._markdown.flush()

    def _decide(self) -> str:
        self._undecided = False
        if looks_like_ssml(self._head):
            self._ssml = SsmlToText()
        return self._head

    def _clean(self, chunk: str) -> str:
        if not chunk:
            return ""
        if self._ssml is not None:
            chunk = self._ssml.feed(chunk)
        return self._markdown.feed(chunk)


def is_ssml_format(text_format: object) -> bool | None:
    """Wyoming's ``text_format`` → True (SSML), False (plain text) or None (not given)."""
    if text_format is None:
        return None
    value = getattr(text_format, "value", text_format)
    return str(value).lower() == SSML


def clean_markup(text: str, ssml: bool | None = None) -> str:
    """The markup step on a whole text."""
    cleaner = MarkupCleaner(ssml)
    return cleaner.feed(text) + cleaner.flush()


async def clean_markup_async(text: str, ssml: bool | None = None) -> str:
    """``clean_markup`` without holding the event loop on a long text."""
    return await run_text_step(lambda whole: clean_markup(whole, ssml), text)


async def clean_markup_stream(
    chunks: AsyncIterable[str], ssml: bool | None = None
) -> AsyncGenerator[str]:
    """The markup step on text that is still being written."""
    cleaner = MarkupCleaner(ssml)
    async for chunk in chunks:
        if cleaned := cleaner.feed(chunk):
            yield cleaned
    if rest := cleaner.flush():
        yield rest
