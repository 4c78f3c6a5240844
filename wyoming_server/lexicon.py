"""``--lexicon FILE``: the user's pronunciation lexicon, read at start-up and again whenever
the file changes.

Names change while the server runs (a new device, a guest), and a restart costs every
open connection and the warm sockets to the providers, so the file is watched: its size,
time and inode are looked at every ``POLL_INTERVAL`` seconds in a worker thread (no
blocking call on the event loop), and a changed file is read and parsed there too. The
format is core/frontend/user_lexicon.py's (``written = spoken`` a line, ``#`` comments).

Nothing here stops the server: a bad line is logged with its number and skipped; a file
that is missing, unreadable, too large or not UTF-8 is logged once, and the last good
version (at start-up: none, names are read as written) stays in use until the file is
fixed, which is picked up like any other change. An editor that saves by replacing the
file (a new inode) is seen as a change too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from arabic_tts_core.frontend import LexiconProblem, UserLexicon

_LOGGER = logging.getLogger(__name__)

POLL_INTERVAL = 2.0
MAX_BYTES = 1 << 20  # a hand-written lexicon is a few kB

Stamp = tuple[int, int, int]  # inode, size, mtime in ns


@dataclass(frozen=True, slots=True)
class _Read:
    """What one look at the file found (made in a worker thread)."""

    stamp: Stamp | None
    lexicon: UserLexicon | None = None
    problems: tuple[LexiconProblem, ...] = ()
    error: str = ""


class LexiconFile:
    """The lexicon in a file, kept current; ``apply`` uses the latest good version."""

    def __init__(self, path: Path, poll_interval: float = POLL_INTERVAL) -> None:
        self.path = path
        self._poll_interval = poll_interval
        self._lexicon = UserLexicon()
        self._stamp: Stamp | None = None
        self._error = ""
        self._loaded = False
        self._task: asyncio.Task[None] | None = None

    def apply(self, text: str) -> str:
        """``text`` with the current lexicon's replacements."""
        return self._lexicon.apply(text)

    async def load(self) -> None:
        """Read the file now (at start-up, before the first request)."""
        self._take(await asyncio.to_thread(self._read, None))

    def start(self) -> None:
        """Watch the file for changes."""
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="watch lexicon file")

    async def close(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            try:
                self._take(await asyncio.to_thread(self._read, self._stamp))
            except Exception:  # the watcher must outlive any surprise
                _LOGGER.exception("Lexicon %s: checking the file failed", self.path)

    def _read(self, known: Stamp | None) -> _Read | None:
        """Stat the file; read and parse it when it changed. Blocking: a worker thread."""
        try:
            info = self.path.stat()
            stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
            if stamp == known:
                return None
            if info.st_size > MAX_BYTES:
                return _Read(stamp, error=f"is larger than {MAX_BYTES} bytes")
            data = self.path.read_bytes()
        except OSError as err:
            return _Read(None, error=f"cannot be read ({err.strerror or err})")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            return _Read(stamp, error=f"is not UTF-8 text (line {line})")
        lexicon, problems = UserLexicon.parse(text)
        return _Read(stamp, lexicon, tuple(problems))

    def _take(self, read: _Read | None) -> None:
        """Use what was read (on the event loop) and say so in the log."""
        if read is None:
            return
        self._stamp = read.stamp
        if read.lexicon is None:
            if read.error != self._error:
                self._error = read.error
                _LOGGER.error(
                    "Lexicon %s %s: %s until it is fixed",
                    self.path,
                    read.error,
                    "the last good version is used"
                    if self._loaded
                    else "names are read as written",
                )
            return
        self._error = ""
        for problem in read.problems:
            _LOGGER.warning(
                "Lexicon %s line %d skipped, %s: %r",
                self.path,
                problem.line,
                problem.reason,
                problem.text,
            )
        self._lexicon = read.lexicon
        count = len(read.lexicon)
        _LOGGER.info(
            "Lexicon %s %s: %d entr%s",
            self.path,
            "reloaded" if self._loaded else "loaded",
            count,
            "y" if count == 1 else "ies",
        )
        self._loaded = True
