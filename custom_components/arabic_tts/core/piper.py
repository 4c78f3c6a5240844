"""An offline neural voice in Piper's format (``voice.onnx`` + ``voice.onnx.json``).

Text is spoken sentence by sentence: our splitter cuts it lazily, espeak-ng turns each
sentence into Piper's phonemes (piper_phonemes.py), and the model turns their ids into
audio in one worker thread (piper_model.py). While one sentence's audio is on its way
to the listener the next is already being made, never more than that: memory holds at
most two sentences of audio per reply, and the single inference thread of a voice takes
the sentences of all replies in turn, so two replies cannot double its memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .audio import AudioFormat, PcmChunk
from .errors import BadRequest, ProviderError, ProviderTimeout, ProviderUnavailable, TtsError
from .piper_config import TEXT, PiperConfig, config_path_for, load_config
from .piper_model import PiperModel
from .piper_phonemes import EspeakPhonemizer, phoneme_ids, split_long, text_phonemes
from .text import has_words, iter_sentences

_LOGGER = logging.getLogger(__name__)

PROVIDER = "piper"
# Phonemes per inference: a run-on sentence is cut (piper_phonemes.split_long). About 20 s
# of speech; ordinary sentences are far shorter and are never cut.
MAX_PHONEMES = 1000
# A worker thread that has not finished one sentence in this long is stuck.
INFERENCE_TIMEOUT = 60.0
CLOSED = "The Piper voice was closed while it spoke."

_Job = asyncio.Future[bytes]


class PiperVoice:
    """One Piper voice: loaded once, then shared by every reply."""

    provider = PROVIDER

    def __init__(
        self,
        model_path: Path,
        config_path: Path | None = None,
        *,
        espeak: str = "espeak-ng",
        timeout: float = 10.0,
        threads: int | None = None,
        max_phonemes: int = MAX_PHONEMES,
    ) -> None:
        self.model_path = model_path
        self.config_path = config_path or config_path_for(model_path)
        self._phonemizer = EspeakPhonemizer(executable=espeak, timeout=timeout)
        self._threads = threads
        self._max_phonemes = max_phonemes
        self._model: PiperModel | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._load_lock = asyncio.Lock()
        self._warned_missing: set[str] = set()

    @property
    def config(self) -> PiperConfig:
        """The voice's settings (after ``load``)."""
        if self._model is None:
            raise RuntimeError("the voice is not loaded")
        return self._model.config

    @property
    def format(self) -> AudioFormat:
        """What the voice speaks in: 16-bit mono at the voice's own rate."""
        return AudioFormat(self.config.sample_rate)

    async def load(self) -> PiperConfig:
        """Read the JSON and build the ONNX session in the voice's worker thread, once.

        Raises ``VoiceFileError`` (piper_config) with a sentence for the log.
        """
        async with self._load_lock:
            if self._model is not None and self._model.loaded:
                return self._model.config
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="piper")
            loop = asyncio.get_running_loop()
            config = await loop.run_in_executor(self._executor, load_config, self.config_path)
            model = PiperModel(self.model_path, config, threads=self._threads)
            await loop.run_in_executor(self._executor, model.load)
            self._model = model
            return config

    async def close(self) -> None:
        """Free the model and stop the worker thread (after its current sentence)."""
        executor, self._executor = self._executor, None
        model, self._model = self._model, None
        if model is not None:
            model.close()
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    async def synthesize(self, text: str) -> AsyncGenerator[PcmChunk]:
        """Speak ``text``, yielding each sentence's audio as soon as it is made."""
        if not has_words(text):
            raise BadRequest("There is no text to speak.", provider=PROVIDER)
        await self.load()
        fmt = self.format
        queue: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=1)
        producer = asyncio.create_task(self._produce(text, queue), name="piper sentences")
        try:
            while (job := await queue.get()) is not None:
                try:
                    async with asyncio.timeout(INFERENCE_TIMEOUT):
                        pcm = await job
                except TimeoutError:
                    raise ProviderTimeout(
                        f"The Piper voice made no audio for {INFERENCE_TIMEOUT:g} s",
                        provider=PROVIDER,
                    ) from None
                except asyncio.CancelledError:
                    if _being_cancelled():
                        raise
                    # Not us: close() cancelled the sentences waiting for the thread.
                    raise ProviderUnavailable(CLOSED, provider=PROVIDER) from None
                if pcm:
                    yield PcmChunk(fmt, pcm)
            await producer  # its failure, if it had one
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([producer])
            while not queue.empty():
                if (queued := queue.get_nowait()) is not None:
                    _discard(queued)

    async def _produce(self, text: str, queue: asyncio.Queue[_Job | None]) -> None:
        """Phonemize sentence after sentence and hand each to the worker thread; the
        queue holds one finished-or-running sentence ahead of the one being heard."""
        loop = asyncio.get_running_loop()
        try:
            for sentence in iter_sentences(text):
                if not has_words(sentence):
                    continue
                for ids in await self._ids(sentence):
                    assert self._executor is not None and self._model is not None
                    job = loop.run_in_executor(self._executor, self._model.audio, ids)
                    try:
                        await queue.put(job)
                    except asyncio.CancelledError:
                        _discard(job)
                        raise
        except Exception as err:  # the reply waits on this queue: it must hear of any failure
            failed: _Job = loop.create_future()
            failed.set_exception(self._as_tts_error(err))
            await queue.put(failed)
            return
        await queue.put(None)

    def _as_tts_error(self, err: Exception) -> TtsError:
        """What a failure to prepare a sentence means for the reply."""
        if isinstance(err, TtsError):
            return err
        if self._executor is None or self._model is None:
            return ProviderUnavailable(CLOSED, provider=PROVIDER)
        return ProviderError(
            f"The Piper voice could not prepare a sentence ({type(err).__name__}: {err}).",
            provider=PROVIDER,
        )

    async def _ids(self, sentence: str) -> list[list[int]]:
        """Piper's sentences of one of ours, as id sequences for the model."""
        config = self.config
        if config.phoneme_type == TEXT:
            sentences = text_phonemes(sentence.strip())
        else:
            sentences = await self._phonemizer.phonemize(sentence, config.espeak_voice)
        missing: set[str] = set()
        batches = [
            phoneme_ids(piece, config.phoneme_id_map, missing)
            for phonemes in sentences
            for piece in split_long(phonemes, self._max_phonemes)
        ]
        if new := missing - self._warned_missing:
            self._warned_missing |= new
            _LOGGER.warning(
                "Piper voice %s has no id for phoneme(s) %s; they are skipped",
                self.model_path.name,
                " ".join(f"{p!r} (U+{ord(p):04X})" for p in sorted(new)),
            )
        _LOGGER.debug("Piper phonemes for %r: %s", sentence, sentences)
        return batches


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _discard(job: _Job) -> None:
    """A sentence nobody will hear: cancel it if it has not started, and read its error
    if it has one (else asyncio reports it as never retrieved)."""
    if not job.cancel() and not job.cancelled():
        job.add_done_callback(_consume_error)


def _consume_error(job: _Job) -> None:
    if not job.cancelled():
        job.exception()
