"""The offline Arabic voice: espeak-ng, for when the cloud cannot speak (or no key exists).

espeak-ng runs as a subprocess per sentence, so the event loop never blocks and the first
sentence is heard while later ones are still being synthesised. Its stdout is a WAV stream
(header with placeholder sizes, then PCM16 at 22050 Hz) decoded like any provider's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from .audio import AudioFormat, PcmChunk, PcmStreamDecoder
from .errors import BadRequest, ProviderError, ProviderTimeout, ProviderUnavailable
from .text import iter_sentences

_LOGGER = logging.getLogger(__name__)

PROVIDER = "espeak-ng"
ESPEAK_RATE = 22050
READ_SIZE = 4096
DEFAULT_VOICE = "ar"


@dataclass(frozen=True, slots=True)
class OfflineVoiceSettings:
    """espeak-ng voice and speed (words per minute; None = espeak's default)."""

    voice: str = DEFAULT_VOICE
    words_per_minute: int | None = None


def espeak_available(executable: str = "espeak-ng") -> bool:
    """True when the espeak-ng program can be found."""
    return shutil.which(executable) is not None


class OfflineClient:
    """Speaks Arabic with espeak-ng, one subprocess per sentence."""

    provider = "offline"

    def __init__(self, *, executable: str = "espeak-ng", timeout: float = 10.0) -> None:
        self._executable = executable
        self.timeout = timeout

    def start_warming(self) -> None:
        """Nothing to warm: kept for symmetry with the cloud clients."""

    async def close(self) -> None:
        """Nothing to close: every subprocess is reaped when its sentence ends."""

    async def synthesize(
        self, text: str, settings: OfflineVoiceSettings | None = None
    ) -> AsyncGenerator[PcmChunk]:
        """Speak ``text`` sentence by sentence, yielding PCM as espeak-ng writes it."""
        settings = settings or OfflineVoiceSettings()
        if not text.strip():
            raise BadRequest("There is no text to speak.", provider=PROVIDER)
        for sentence in iter_sentences(text):
            if sentence.strip():
                async with contextlib.aclosing(self._speak(sentence.strip(), settings)) as stream:
                    async for chunk in stream:
                        yield chunk

    async def _speak(
        self, sentence: str, settings: OfflineVoiceSettings
    ) -> AsyncGenerator[PcmChunk]:
        args = [self._executable, "-v", settings.voice, "-b", "1", "--stdout", "--stdin"]
        if settings.words_per_minute:
            args += ["-s", str(settings.words_per_minute)]
        try:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as err:
            raise ProviderUnavailable(
                f"espeak-ng cannot be started ({err.strerror or err}).", provider=PROVIDER
            ) from None
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(sentence.encode("utf-8"))
            await process.stdin.drain()
            process.stdin.close()
            decoder = PcmStreamDecoder(AudioFormat(ESPEAK_RATE))
            while True:
                try:
                    async with asyncio.timeout(self.timeout):
                        data = await process.stdout.read(READ_SIZE)
                except TimeoutError:
                    raise ProviderTimeout(
                        f"espeak-ng produced no audio for {self.timeout:g} s", provider=PROVIDER
                    ) from None
                if not data:
                    break
                try:
                    pcm = decoder.feed(data)
                except ValueError as err:
                    raise ProviderError(f"espeak-ng wrote unusable audio ({err}).") from None
                if pcm:
                    yield PcmChunk(decoder.format, pcm)
            if tail := decoder.flush():
                yield PcmChunk(decoder.format, tail)
            async with asyncio.timeout(self.timeout):
                code = await process.wait()
            if code != 0:
                raise ProviderError(f"espeak-ng failed (exit status {code}).", provider=PROVIDER)
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
