"""One Wyoming connection: Describe, plain and streaming synthesis, errors.

Each reply runs in its own task while the connection keeps reading events. That is what
lets a streaming request send sentences upstream while text is still arriving, and what
lets a client that hangs up mid-utterance cancel its synthesis at once (the core then
discards or replaces the upstream socket) instead of when a write finally fails.

Both kinds of reply speak through a fallback chain (fallback.py): when a cloud voice
fails for a reason the user did not cause, the rest is spoken by the next voice, and the
client sees an ``error`` only when no voice could finish the reply.

Nothing a client sends is trusted (events.py, limits.py): an event too large, malformed or
wrongly typed is answered with ``bad_request`` and a close before anything is buffered or
spoken, a connection that does nothing for ``--idle-timeout`` is closed, and past
``--max-connections`` a new client is told so and closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from arabic_tts_core.errors import (
    BadRequest,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TtsError,
)
from arabic_tts_core.fallback import FallbackPolicy
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

from .events import (
    check_text_length,
    chunk_text,
    encode_event,
    printable,
    read_event,
    synthesize_request,
    synthesize_start_request,
)
from .limits import IdleTimer, ServerLimits
from .relay import AudioRelay, ClientNotReading
from .text import ServerText
from .text_feed import TextFeed
from .voices import VoiceCatalog

_LOGGER = logging.getLogger(__name__)

# After an error, how long a client may take to hang up before we close anyway.
LINGER_AFTER_ERROR = 2.0
READ_SIZE = 65536
FULL_WARNING_INTERVAL = 60.0
_warned_full_until = 0.0


@dataclass(frozen=True, slots=True)
class ServerContext:
    """What every connection shares: voices, the prebuilt Describe answer, chunk size,
    and which voices take over when the requested one fails."""

    catalog: VoiceCatalog
    info_event: Event
    samples_per_chunk: int
    fallback: FallbackPolicy = field(default_factory=FallbackPolicy)
    limits: ServerLimits = field(default_factory=ServerLimits)
    connections: set[asyncio.Task[None]] = field(default_factory=set)
    text: ServerText = field(default_factory=ServerText)
    info_bytes: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Encoded once: with every Hamsa speaker in every dialect the answer is ~200 kB of
        # JSON, and encoding it per Describe cost the loop milliseconds each time.
        object.__setattr__(self, "info_bytes", encode_event(self.info_event))

    def refresh_info(self, info_event: Event) -> None:
        """A voice's state changed (the Piper voice downloaded, loaded or failed): every
        later Describe tells the new state. Encoded once here, as at start-up."""
        object.__setattr__(self, "info_event", info_event)
        object.__setattr__(self, "info_bytes", encode_event(info_event))


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
        self._idle: IdleTimer | None = None
        self._idle_expired = False

    async def run(self) -> None:
        """Serve the connection; registered so shutdown can wait for it to finish."""
        self._in_run = True
        task = asyncio.current_task()
        connections = self._context.connections
        if len(connections) >= self._context.limits.max_connections:
            await self._refuse_connection()
            return
        if task is not None:
            connections.add(task)
        try:
            await self._serve()
        finally:
            if task is not None:
                connections.discard(task)

    async def _serve(self) -> None:
        """Read events until the client leaves, a request fails or the connection idles.

        Replaces ``AsyncEventHandler.run``, whose reader trusts the client (events.py).
        No exception leaves this method: a bad event is answered, anything else is
        logged, and the connection is closed either way.
        """
        self._is_running = True
        limits = self._context.limits
        idle = self._idle = IdleTimer(limits.idle_timeout, self._busy, self._on_idle)
        try:
            failure = await self._read_events()
            if failure is None and self._idle_expired and self._feed is not None:
                failure = ProviderTimeout(
                    f"No text arrived for {limits.idle_timeout:g} seconds in this "
                    "stream (--idle-timeout), so the server closed it."
                )
            if failure is not None:
                await self._refuse(failure)
        finally:
            idle.cancel()
            self._idle = None
            await self.disconnect()
            self.writer.close()

    async def _read_events(self) -> TtsError | None:
        """The read loop; returns the error to answer, if any.

        The error is returned, not raised on: answering takes up to LINGER_AFTER_ERROR,
        and an exception's traceback would keep the reader's frames (and a refused
        event's bytes) alive that long.
        """
        limits = self._context.limits
        assert self._idle is not None
        try:
            while self._is_running:
                event = await read_event(self.reader, limits.max_event_bytes)
                if event is None:
                    break
                self._idle.touch()
                if not await self.handle_event(event) or self.writer.is_closing():
                    break
                await asyncio.sleep(0)  # a client sending fast does not keep the loop
        except TtsError as err:
            return _detached(err)
        except ConnectionError as err:
            _LOGGER.debug("Client connection lost (%s)", type(err).__name__)
        except Exception:
            _LOGGER.exception("Unexpected error while reading a client's events")
            return ProviderError("The server failed unexpectedly.")
        return None

    def _busy(self) -> bool:
        """A reply is being spoken (a stream waiting for text does not count)."""
        reply = self._reply
        if reply is None or reply.done():
            return False
        return not (self._feed is not None and self._feed.waiting)

    def _on_idle(self) -> None:
        """Nothing happened for --idle-timeout: end the read loop (and a stalled write)."""
        self._idle_expired = True
        self._is_running = False
        transport = self.writer.transport
        if transport.get_write_buffer_size():
            transport.abort()  # it does not read what we sent either
        self.reader.feed_eof()

    async def _refuse_connection(self) -> None:
        """Past --max-connections: say so, and close."""
        limit = self._context.limits.max_connections
        global _warned_full_until  # noqa: PLW0603
        now = asyncio.get_running_loop().time()
        if now >= _warned_full_until:  # once a minute, not once per refused client
            _LOGGER.warning("Refusing connections: %d clients are connected already", limit)
            _warned_full_until = now + FULL_WARNING_INTERVAL
        err = RateLimited(
            f"The server is already serving {limit} connections (--max-connections); "
            "try again later."
        )
        try:
            await self._refuse(err, log=False)
        finally:
            self.writer.close()

    async def handle_event(self, event: Event) -> bool:
        """Dispatch one event; the reply itself runs in a task (see module docstring).

        A request the client got wrong raises ``BadRequest`` (answered by the read loop);
        under stdio://, which calls this directly, it is answered here.
        """
        if self._failed:
            return True  # closing after an error: drain what the client still sends
        try:
            return await self._dispatch(event)
        except TtsError as err:
            if self._in_run:
                raise
            await self._fail(_detached(err))
            return False

    async def _dispatch(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            self.writer.write(self._context.info_bytes)
            await self.writer.drain()
            return True

        if self._feed is not None:
            self._handle_stream_event(event, self._feed)
            if self._feed is None and not self._in_run:
                await self._wait_for_reply()
            return True

        if Synthesize.is_type(event.type):
            synthesize = synthesize_request(event, self._context.limits.max_text_chars)
            await self._wait_for_reply()
            self._start_reply(partial(self._reply_to_text, synthesize))
            if not self._in_run:
                await self._wait_for_reply()
            return True

        if SynthesizeStart.is_type(event.type):
            start = synthesize_start_request(event)
            await self._wait_for_reply()
            feed = self._feed = TextFeed()
            self._start_reply(partial(self._reply_to_stream, start, feed))
            return True

        if SynthesizeChunk.is_type(event.type) or SynthesizeStop.is_type(event.type):
            raise BadRequest(f"{event.type} arrived outside a stream: send synthesize-start first.")

        _LOGGER.debug("Ignoring unexpected event: %s", printable(event.type[:64]))
        return True

    def _handle_stream_event(self, event: Event, feed: TextFeed) -> None:
        if SynthesizeChunk.is_type(event.type):
            text = chunk_text(event)
            check_text_length(feed.chars + len(text), self._context.limits.max_text_chars)
            feed.put(text)
        elif SynthesizeStop.is_type(event.type):
            feed.close()
            self._feed = None
        elif Synthesize.is_type(event.type):
            # Sent inside a stream only for clients that do not stream; already spoken.
            _LOGGER.debug("Ignoring the compatibility synthesize inside a stream")
        elif SynthesizeStart.is_type(event.type):
            raise BadRequest(
                "synthesize-start arrived inside a stream: send synthesize-stop first."
            )
        else:
            _LOGGER.debug("Ignoring %s inside a stream", printable(event.type[:64]))

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
        text = await self._context.text.clean_text(route, text, requested_ssml(synthesize))
        _LOGGER.debug("Synthesizing %d characters with %s", len(text), route.name)
        chain = self._context.fallback.chain(route)
        relay = self._relay()
        async with contextlib.aclosing(chain.speak(text)) as audio:
            async for chunk in audio:
                await relay.feed(chunk)
        await relay.finish()

    async def _reply_to_stream(self, start: SynthesizeStart, feed: TextFeed) -> None:
        route = self._context.catalog.resolve(start.voice)
        _LOGGER.debug("Streaming synthesis with %s", route.name)
        chain = self._context.fallback.chain(route)
        relay = self._relay()
        text = self._context.text.clean_stream(route, feed, requested_ssml(start))
        stream = synthesize_stream(text, chain.speak, **route.sentence_options)
        async with contextlib.aclosing(stream) as audio:
            async for chunk in audio:
                await relay.feed(chunk)
        if not feed.has_text:
            raise BadRequest(
                "The stream contained nothing to speak: no letters or digits "
                "(only spaces, punctuation, symbols or emoji)."
            )
        await relay.finish()
        try:
            async with asyncio.timeout(self._context.limits.idle_timeout):
                await self.write_event(SynthesizeStopped().event())
        except TimeoutError:
            raise ClientNotReading("the client stopped reading at the end of the reply") from None

    def _relay(self) -> AudioRelay:
        return AudioRelay(
            self.write_event,
            self._context.samples_per_chunk,
            drain_timeout=self._context.limits.idle_timeout,
        )

    async def _guard(self, reply: Callable[[], Awaitable[None]]) -> None:
        """Run a reply; on failure send ``error`` (never ``audio-stop``) and close.

        The failure is answered after its ``except`` block: the exception's traceback
        holds every frame of the reply (text, audio), which is freed before lingering.
        """
        failure: TtsError | None = None
        try:
            await reply()
        except TtsError as err:
            _LOGGER.warning("Synthesis failed (%s): %s", err.code, printable(err.message))
            failure = _detached(err)
        except ClientNotReading as err:
            _LOGGER.warning("Closing a connection whose client stopped reading: %s", err)
            self.writer.transport.abort()  # its unread audio would keep the socket open
            await self.stop()
        except ConnectionError as err:
            _LOGGER.debug("Client went away during the reply (%s)", type(err).__name__)
            await self.stop()
        except Exception:
            _LOGGER.exception("Unexpected error during synthesis")
            failure = ProviderError("The server failed unexpectedly while speaking.")
        finally:
            if self._idle is not None:
                self._idle.touch()
        if failure is not None:
            await self._fail(failure)

    async def _fail(self, err: TtsError) -> None:
        """Send the error, then close (Home Assistant would wait for audio-stop forever).

        The close is graceful: our side ends with FIN at once, and the client's late
        writes (a streaming client may still be sending text) are read and dropped until
        it hangs up. Closing outright with its data unread makes the kernel send a reset,
        and a client hit by a reset can lose the error event it had not parsed yet.
        """
        self._failed = True
        try:
            if await self._send_error(err) and self._in_run:
                # Ended early by disconnect() when the client closes its side.
                await asyncio.sleep(LINGER_AFTER_ERROR)
        finally:
            await self.stop()

    async def _refuse(self, err: TtsError, *, log: bool = True) -> None:
        """An error found while reading: stop any reply, answer, then close.

        Like ``_fail``, but the read loop itself is the one waiting for the client to
        hang up, dropping whatever it still sends (at most LINGER_AFTER_ERROR seconds).
        """
        if not self._failed:
            self._failed = True
            if log:
                _LOGGER.warning("Request refused (%s): %s", err.code, printable(err.message))
            await self.disconnect()  # a reply in progress must not write after the error
            if await self._send_error(err):
                with contextlib.suppress(ConnectionError, TimeoutError):
                    async with asyncio.timeout(LINGER_AFTER_ERROR):
                        while await self.reader.read(READ_SIZE):
                            pass
        await self.stop()

    async def _send_error(self, err: TtsError) -> bool:
        """Write the error event and our end of the stream; False if the client is gone
        or does not read (then the connection is dropped)."""
        event = Error(text=printable(err.message), code=err.code).event()
        try:
            async with asyncio.timeout(LINGER_AFTER_ERROR):
                await self.write_event(event)
            if self._in_run and self.writer.can_write_eof():
                self.writer.write_eof()
        except (ConnectionError, RuntimeError):
            return False
        except TimeoutError:
            self.writer.transport.abort()
            return False
        return True


def _detached(err: TtsError) -> TtsError:
    """The error without its traceback and chained errors, which keep the failed frames
    (and the text and audio in them) alive while the client is told."""
    err.__traceback__ = None
    err.__cause__ = err.__context__ = None
    return err


def requested_ssml(request: Synthesize | SynthesizeStart) -> bool | None:
    """``text_format`` of the request: SSML, plain text, or not said (wyoming < 1.10 and
    Home Assistant's client send none; then a text that starts with <speak> is SSML)."""
    return is_ssml_format(getattr(request, "text_format", None))
