"""One Wyoming connection: Describe, plain and streaming synthesis, errors.

Each reply runs in its own task while the connection keeps reading events. That is what
lets a streaming request send sentences upstream while text is still arriving, and what
lets a client that hangs up mid-utterance cancel its synthesis at once (the core then
discards or replaces the upstream socket) instead of when a write finally fails.

Both kinds of reply speak through a fallback chain (fallback.py): when a cloud voice
fails for a reason the user did not cause, the rest is spoken by the next voice, and the
client sees an ``error`` only when no voice could finish the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from arabic_tts_core.errors import BadRequest, ProviderError, TtsError
from arabic_tts_core.frontend import is_ssml_format
from arabic_tts_core.streaming import synthesize_stream
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.server import AsyncEventHandler
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)

from .fallback import FallbackPolicy
from .relay import AudioRelay
from .text import ServerText
from .text_feed import TextFeed
from .voices import VoiceCatalog

_LOGGER = logging.getLogger(__name__)

# After an error, how long a client may take to hang up before we close anyway.
LINGER_AFTER_ERROR = 2.0


@dataclass(frozen=True, slots=True)
class ServerContext:
    """What every connection shares: voices, the prebuilt Describe answer, chunk size,
    and which voices take over when the requested one fails."""

    catalog: VoiceCatalog
    info_event: Event
    samples_per_chunk: int
    fallback: FallbackPolicy = field(default_factory=FallbackPolicy)
    connections: set[asyncio.Task[None]] = field(default_factory=set)
    text: ServerText = field(default_factory=ServerText)


class ArabicTtsEventHandler(AsyncEventHandler):
    """Answers one client; a failed reply ends with an ``error`` event and a closed socket."""

    def __init__(
        self,
        context: ServerContext,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        super().__init__(reader, writer)
        self._context = context
        self._reply: asyncio.Task[None] | None = None
        self._feed: TextFeed | None = None
        # False under stdio://, whose server calls handle_event itself and stops at EOF:
        # there a reply must finish before the next event is read, as in wyoming-piper.
        self._in_run = False
        self._failed = False

    async def run(self) -> None:
        """Serve the connection; registered so shutdown can wait for it to finish."""
        self._in_run = True
        task = asyncio.current_task()
        if task is not None:
            self._context.connections.add(task)
        try:
            await super().run()
        finally:
            if task is not None:
                self._context.connections.discard(task)

    async def handle_event(self, event: Event) -> bool:
        """Dispatch one event; the reply itself runs in a task (see module docstring)."""
        if self._failed:
            return True  # closing after an error: drain what the client still sends
        if Describe.is_type(event.type):
            await self.write_event(self._context.info_event)
            return True

        if self._feed is not None:
            self._handle_stream_event(event, self._feed)
            if self._feed is None and not self._in_run:
                await self._wait_for_reply()
            return True

        if Synthesize.is_type(event.type):
            synthesize = Synthesize.from_event(event)
            await self._wait_for_reply()
            self._start_reply(partial(self._reply_to_text, synthesize))
            if not self._in_run:
                await self._wait_for_reply()
            return True

        if SynthesizeStart.is_type(event.type):
            start = SynthesizeStart.from_event(event)
            await self._wait_for_reply()
            feed = self._feed = TextFeed()
            self._start_reply(partial(self._reply_to_stream, start, feed))
            return True

        _LOGGER.debug("Ignoring unexpected event: %s", event.type)
        return True

    def _handle_stream_event(self, event: Event, feed: TextFeed) -> None:
        if SynthesizeChunk.is_type(event.type):
            feed.put(SynthesizeChunk.from_event(event).text)
        elif SynthesizeStop.is_type(event.type):
            feed.close()
            self._feed = None
        elif Synthesize.is_type(event.type):
            # Sent inside a stream only for clients that do not stream; already spoken.
            _LOGGER.debug("Ignoring the compatibility synthesize inside a stream")
        else:
            _LOGGER.debug("Ignoring %s inside a stream", event.type)

    async def disconnect(self) -> None:
        """The client left (or we closed): stop its synthesis and release the upstream."""
        if self._feed is not None:
            self._feed.close()
            self._feed = None
        reply = self._reply
        if reply is None or reply.done() or reply is asyncio.current_task():
            return
        _LOGGER.debug("Client disconnected mid-reply; cancelling its synthesis")
        reply.cancel()
        await asyncio.wait([reply])

    # --- replies ------------------------------------------------------------------------

    def _start_reply(self, reply: Callable[[], Awaitable[None]]) -> None:
        # A factory, so a reply cancelled before it starts leaves no un-awaited coroutine.
        self._reply = asyncio.create_task(self._guard(reply), name="wyoming-arabic-tts reply")

    async def _wait_for_reply(self) -> None:
        """Replies on one connection never overlap."""
        if self._reply is not None and not self._reply.done():
            await asyncio.wait([self._reply])

    async def _reply_to_text(self, synthesize: Synthesize) -> None:
        route = self._context.catalog.resolve(synthesize.voice)
        text = synthesize.text
        if not text.strip():
            raise BadRequest("There is no text to speak.")
        text = self._context.text.clean_text(route, text, requested_ssml(synthesize))
        _LOGGER.debug("Synthesizing %d characters with %s", len(text), route.name)
        chain = self._context.fallback.chain(route)
        relay = AudioRelay(self.write_event, self._context.samples_per_chunk)
        async with contextlib.aclosing(chain.speak(text)) as audio:
            async for chunk in audio:
                await relay.feed(chunk)
        await relay.finish()

    async def _reply_to_stream(self, start: SynthesizeStart, feed: TextFeed) -> None:
        route = self._context.catalog.resolve(start.voice)
        _LOGGER.debug("Streaming synthesis with %s", route.name)
        chain = self._context.fallback.chain(route)
        relay = AudioRelay(self.write_event, self._context.samples_per_chunk)
        text = self._context.text.clean_stream(route, feed, requested_ssml(start))
        stream = synthesize_stream(text, chain.speak, **route.sentence_options)
        async with contextlib.aclosing(stream) as audio:
            async for chunk in audio:
                await relay.feed(chunk)
        if not feed.has_text:
            raise BadRequest("The stream contained no text to speak.")
        await relay.finish()
        await self.write_event(SynthesizeStopped().event())

    async def _guard(self, reply: Callable[[], Awaitable[None]]) -> None:
        """Run a reply; on failure send ``error`` (never ``audio-stop``) and close."""
        try:
            await reply()
        except TtsError as err:
            _LOGGER.warning("Synthesis failed (%s): %s", err.code, err.message)
            await self._fail(err)
        except ConnectionError as err:
            _LOGGER.debug("Client went away during the reply (%s)", type(err).__name__)
            await self.stop()
        except Exception:
            _LOGGER.exception("Unexpected error during synthesis")
            await self._fail(ProviderError("The server failed unexpectedly while speaking."))

    async def _fail(self, err: TtsError) -> None:
        """Send the error, then close (Home Assistant would wait for audio-stop forever).

        The close is graceful: our side ends with FIN at once, and the client's late
        writes (a streaming client may still be sending text) are read and dropped until
        it hangs up. Closing outright with its data unread makes the kernel send a reset,
        and a client hit by a reset can lose the error event it had not parsed yet.
        """
        self._failed = True
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.write_event(Error(text=err.message, code=err.code).event())
            if self._in_run and self.writer.can_write_eof():
                self.writer.write_eof()
                # Ended early by disconnect() when the client closes its side.
                await asyncio.sleep(LINGER_AFTER_ERROR)
        await self.stop()


def requested_ssml(request: Synthesize | SynthesizeStart) -> bool | None:
    """``text_format`` of the request: SSML, plain text, or not said (wyoming < 1.10 and
    Home Assistant's client send none; then a text that starts with <speak> is SSML)."""
    return is_ssml_format(getattr(request, "text_format", None))
