"""Text of a streaming request, handed from the event loop of a connection to its reply task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from arabic_tts_core.text import has_words


class TextFeed:
    """An async iterable of text chunks, fed by ``synthesize-chunk`` events.

    The reply task reads it through the sentence splitter while the connection keeps
    reading events, so sentences go upstream while the client is still writing.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._closed = False
        self.has_text = False  # something to speak: a letter or digit, not just punctuation
        self.chars = 0  # every character received, for the per-request limit
        self.waiting = False  # the reply has spoken everything and waits for more text

    def put(self, text: str) -> None:
        """Add a chunk (ignored after ``close``)."""
        if self._closed or not text:
            return
        self.chars += len(text)
        if not self.has_text and has_words(text):
            self.has_text = True
        self._queue.put_nowait(text)

    def close(self) -> None:
        """No more text: the iterator ends after what was queued."""
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            self.waiting = self._queue.empty()
            try:
                text = await self._queue.get()
            finally:
                self.waiting = False
            if text is None:
                return
            yield text
