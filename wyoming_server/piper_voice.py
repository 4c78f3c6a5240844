"""The Piper voice of this server: found or fetched at start-up, then loaded, all in the
background, while espeak-ng speaks for ``offline-ar``.

``--piper-voice`` names a catalogue voice (its files are checked in ``--data-dir`` and
fetched when missing or damaged, retried later when the network or the disk fails) or a
user's own ``.onnx`` file (its ``.onnx.json`` beside it). Every step that can fail says
so in one log line, and ``offline-ar`` keeps speaking with espeak-ng until the voice is
ready. The state is visible in Describe (``installed`` and the voice's description).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import re
import ssl
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from arabic_tts_core.audio import PcmChunk
from arabic_tts_core.errors import ProviderUnavailable
from arabic_tts_core.piper import PiperVoice
from arabic_tts_core.piper_catalog import CATALOG, CatalogVoice
from arabic_tts_core.piper_config import PiperConfig, VoiceFileError, config_path_for
from arabic_tts_core.piper_download import DownloadError, download_voice

_LOGGER = logging.getLogger(__name__)

NONE = "none"
PIPER_PREFIX = "piper-"
# After a failed download: wait, then try again (the network may come back, the disk be
# cleared); the waits grow to an hour and stay there.
RETRY_DELAYS = (60.0, 300.0, 900.0, 3600.0)
MODEL_CARD = "MODEL_CARD"
_NAME_CHARS = re.compile(r"[^a-z0-9_]+")


class PiperState(enum.Enum):
    """Where the voice is on its way to speaking."""

    CHECKING = "checking its files"
    DOWNLOADING = "downloading"
    LOADING = "loading"
    READY = "ready"
    FAILED = "not available"


STATE_AR = {
    PiperState.CHECKING: "يُفحص ملفه",
    PiperState.DOWNLOADING: "قيد التنزيل",
    PiperState.LOADING: "قيد التحميل",
    PiperState.READY: "جاهز",
    PiperState.FAILED: "غير متاح",
}


@dataclass(frozen=True, slots=True)
class PiperSource:
    """What ``--piper-voice`` named: a catalogue voice or a file of the user's."""

    model: Path
    catalog: CatalogVoice | None = None

    @property
    def label(self) -> str:
        """How the log names it."""
        return self.catalog.key if self.catalog is not None else str(self.model)

    @property
    def wyoming_name(self) -> str:
        """``piper-kareem`` for Kareem (either quality); ``piper-<speaker>`` for a file
        named like Piper's (``ar_SA-miro-high.onnx`` → ``piper-miro``)."""
        stem = self.model.name.removesuffix(".onnx")
        parts = stem.split("-")
        speaker = parts[1] if len(parts) == 3 else stem
        return PIPER_PREFIX + (_NAME_CHARS.sub("_", speaker.lower()).strip("_") or "voice")


def resolve_piper_voice(value: str, data_dir: Path) -> PiperSource | None:
    """``none`` → None; a catalogue name → its file in ``data_dir``; anything that looks
    like a path → that file. ValueError for a name we do not know."""
    value = value.strip()
    if value.lower() == NONE:
        return None
    if value in CATALOG:
        voice = CATALOG[value]
        return PiperSource(voice.model_path(data_dir), voice)
    if "/" in value or value.endswith(".onnx") or value.startswith("~"):
        return PiperSource(Path(value).expanduser())
    raise ValueError(
        f"{value!r} is neither a voice we can download ({', '.join(CATALOG)}) nor a path "
        "to a .onnx file"
    )


class PiperService:
    """Owns the voice, its start-up work and its state."""

    def __init__(
        self,
        source: PiperSource,
        *,
        base_url: str,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.source = source
        self.voice = PiperVoice(source.model, timeout=timeout)
        self.state = PiperState.CHECKING
        self.percent = 0
        self.problem = ""
        self.on_change: Callable[[], None] | None = None
        self._base_url = base_url
        self._ssl_context = ssl_context
        self._settled = asyncio.Event()  # ready or failed: nothing to wait for
        self._task: asyncio.Task[None] | None = None
        self._logged_failures: set[str] = set()

    @property
    def name(self) -> str:
        """Its Wyoming voice name."""
        return self.source.wyoming_name

    @property
    def ready(self) -> bool:
        """The voice is loaded and speaks at once."""
        return self.state is PiperState.READY

    def status(self) -> str:
        """One phrase for Describe and the logs: ``downloading 40 %``, ``ready``…"""
        if self.state is PiperState.DOWNLOADING:
            return f"downloading {self.percent} %"
        if self.state is PiperState.FAILED and self.problem:
            return f"not available: {self.problem}"
        return str(self.state.value)

    def status_ar(self) -> str:
        """``status`` in Arabic (the reason for a failure stays in the log)."""
        if self.state is PiperState.DOWNLOADING:
            return f"{STATE_AR[self.state]} {self.percent} %"
        return STATE_AR[self.state]

    def start(self) -> None:
        """Begin finding, fetching and loading the voice in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._prepare(), name="prepare the Piper voice")

    async def close(self) -> None:
        """Stop any download and free the model."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
        await self.voice.close()

    async def wait_until_settled(self, timeout: float) -> None:
        """Wait (bounded) until the voice is ready or has failed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._settled.wait()

    async def speak(self, text: str) -> AsyncGenerator[PcmChunk]:
        """Speak with the voice; ProviderUnavailable until it is ready, so the fallback
        speaks instead: a request never waits for a download or a load (background work,
        however long it takes, stays out of a reply's time budget)."""
        if self.state is not PiperState.READY:
            raise ProviderUnavailable(
                f"The Piper voice {self.source.label} is {self.status()}.", provider="piper"
            )
        async with contextlib.aclosing(self.voice.synthesize(text)) as audio:
            async for chunk in audio:
                yield chunk

    # --- start-up ---------------------------------------------------------------------

    async def _prepare(self) -> None:
        try:
            if self.source.catalog is not None:
                await self._fetch(self.source.catalog)
            elif not await asyncio.to_thread(self.source.model.is_file):
                raise VoiceFileError(f"{self.source.model} does not exist")
            self._set(PiperState.LOADING)
            config = await self.voice.load()
        except Exception as err:  # a bad file, or anything else: never "loading" for good
            unexpected = not isinstance(err, VoiceFileError)
            self.problem = f"{type(err).__name__}: {err}" if unexpected else str(err)
            _LOGGER.warning(
                "Piper voice %s cannot be used: %s. espeak-ng speaks for offline-ar.",
                self.source.label,
                self.problem,
                exc_info=unexpected,
            )
            self._set(PiperState.FAILED)
            self._settled.set()
            return
        _LOGGER.info(
            "Piper voice %s is ready as %s (%d Hz, espeak voice %s); offline-ar speaks with it",
            self.source.label,
            self.name,
            config.sample_rate,
            config.espeak_voice or "none",
        )
        _LOGGER.info("Piper voice %s licence: %s", self.source.label, await self._licence(config))
        self._set(PiperState.READY)
        self._settled.set()

    async def _fetch(self, voice: CatalogVoice) -> None:
        """Check the files and download what is missing, retrying later on failure."""
        attempt = 0
        timeout = aiohttp.ClientTimeout(total=None)
        connector = aiohttp.TCPConnector(ssl=self._ssl_context or True)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while True:
                try:
                    await download_voice(
                        session,
                        voice,
                        self.source.model.parent,
                        base_url=self._base_url,
                        progress=self._progress,
                    )
                except DownloadError as err:
                    delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                    attempt += 1
                    self._failed_download(voice, err, delay)
                    await asyncio.sleep(delay)
                    continue
                return

    def _failed_download(self, voice: CatalogVoice, err: DownloadError, delay: float) -> None:
        self.problem = str(err)
        # The first failure of each kind is a warning; repeats are quieter.
        level = logging.INFO if err.reason in self._logged_failures else logging.WARNING
        self._logged_failures.add(err.reason)
        _LOGGER.log(
            level,
            "Piper voice %s could not be downloaded: %s. espeak-ng speaks for offline-ar; "
            "trying again in %d min.",
            voice.key,
            err,
            round(delay / 60),
        )
        self._set(PiperState.FAILED)

    def _progress(self, name: str, done: int, total: int) -> None:
        # The model is what takes time; its JSON is a few kilobytes and fetched first.
        percent = done * 100 // total if name.endswith(".onnx") and total else 0
        if self.state is not PiperState.DOWNLOADING:
            _LOGGER.info(
                "Downloading Piper voice %s into %s; espeak-ng speaks for offline-ar meanwhile",
                self.source.label,
                self.source.model.parent,
            )
            self.percent = percent
            self._set(PiperState.DOWNLOADING)
        elif percent // 10 != self.percent // 10:
            self.percent = percent
            self._changed()

    def _set(self, state: PiperState) -> None:
        if state is not self.state:
            self.state = state
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    async def _licence(self, config: PiperConfig) -> str:
        """The catalogue's words, else the JSON's licence field or a MODEL_CARD beside the
        file (as rhasspy/piper-voices publishes them), else a plain "not stated"."""
        if self.source.catalog is not None:
            return self.source.catalog.licence
        if config.licence:
            return config.licence
        card = await asyncio.to_thread(_read_model_card, self.source.model)
        return card or (
            f"not stated (no licence in {config_path_for(self.source.model).name} and no "
            f"{MODEL_CARD} beside it); check the voice's terms before you use or share it"
        )


def _read_model_card(model: Path) -> str | None:
    """The licence lines of a MODEL_CARD next to the model (``<model>.MODEL_CARD`` too)."""
    for card in (model.with_name(model.name + "." + MODEL_CARD), model.with_name(MODEL_CARD)):
        try:
            text = card.read_text(encoding="utf-8", errors="replace")[:8000]
        except OSError:
            continue
        lines = [line.strip(" *-#\t") for line in text.splitlines()]
        wanted = [line for line in lines if re.search(r"licen[cs]e|dataset", line, re.I)]
        if wanted:
            return f"{card.name}: " + "; ".join(wanted)[:500]
    return None
