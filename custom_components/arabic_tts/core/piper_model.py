"""One Piper model in onnxruntime: phoneme ids in, 16-bit PCM out (blocking calls).

onnxruntime (MIT) is an optional dependency: this module imports it only when a model is
loaded, so the core, and Home Assistant's integration, import without it (Home Assistant
OS has no onnxruntime wheels). ``piper-tts`` itself is GPL-3.0 and is not used: the inputs,
outputs and audio scaling below are Piper's (rhasspy/piper ``piper.cpp``, export_onnx.py).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ProviderError
from .native_imports import NATIVE_IMPORT_LOCK
from .piper_config import PiperConfig, VoiceFileError

_LOGGER = logging.getLogger(__name__)

PROVIDER = "piper"
# The names Piper's exporter gives the graph's inputs and output.
INPUT = "input"  # int64 [1, N]: phoneme ids
INPUT_LENGTHS = "input_lengths"  # int64 [1]: N
SCALES = "scales"  # float32 [3]: noise_scale, length_scale, noise_w
SPEAKER = "sid"  # int64 [1]: only in multi-speaker voices
OUTPUT = "output"  # float32 [1, 1, (1,) T]: audio in [-1, 1]
REQUIRED_INPUTS = (INPUT, INPUT_LENGTHS, SCALES)
MAX_WAV_VALUE = 32767.0
# Piper scales each sentence to full range, but never by more than 100× (near silence).
MIN_PEAK = 0.01
MAX_THREADS = 4


def onnxruntime_available() -> bool:
    """True when onnxruntime can be imported (the ``piper`` extra)."""
    return importlib.util.find_spec("onnxruntime") is not None


def default_threads() -> int:
    """Inference threads: the machine's cores, at most four (Piper's C++ uses them all;
    a server shares its machine, and a sentence gains little past four)."""
    return max(1, min(MAX_THREADS, os.cpu_count() or 1))


class PiperModel:
    """The ONNX session of one voice; made once, shared by every request.

    ``load`` and ``audio`` block (seconds for a real model on a small machine): the caller
    runs them in a worker thread.
    """

    def __init__(self, path: Path, config: PiperConfig, *, threads: int | None = None) -> None:
        self.path = path
        self.config = config
        self._threads = threads or default_threads()
        self._session: Any = None
        self._speaker_input = False
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """The session exists."""
        return self._session is not None

    def load(self) -> None:
        """Build the session; VoiceFileError says why the file cannot be used."""
        with self._lock:
            if self._session is not None:
                return
            with NATIVE_IMPORT_LOCK:  # the tashkeel model may be importing numpy meanwhile
                session = self._session_of_file()
            names = {item.name for item in session.get_inputs()}
            if missing := [name for name in REQUIRED_INPUTS if name not in names]:
                raise VoiceFileError(
                    f"{self.path} is not a Piper voice: it has no input {', '.join(missing)}"
                )
            self._speaker_input = SPEAKER in names
            self._session = session
            _LOGGER.debug("Loaded %s (%d inference threads)", self.path, self._threads)

    def _session_of_file(self) -> Any:
        """The onnxruntime session of the model file (VoiceFileError when it is no model)."""
        import onnxruntime  # noqa: PLC0415 (optional: only the server's Piper voice)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        # Memory stays bounded by the current sentence: no arena that keeps the
        # largest sentence's buffers, no per-shape memory plans (Piper does the same).
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        try:
            return onnxruntime.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # onnxruntime raises its own types for a bad file
            raise VoiceFileError(
                f"{self.path} is not a model onnxruntime can load ({_first_line(err)})"
            ) from None

    def audio(self, ids: Sequence[int]) -> bytes:
        """One sentence's phoneme ids → PCM16 little-endian at the voice's rate."""
        import numpy as np  # noqa: PLC0415 (numpy is loaded where audio is made)

        self.load()
        inputs: dict[str, Any] = {
            INPUT: np.array([ids], dtype=np.int64),
            INPUT_LENGTHS: np.array([len(ids)], dtype=np.int64),
            SCALES: np.array(self.config.scales, dtype=np.float32),
        }
        if self._speaker_input:
            inputs[SPEAKER] = np.array([0], dtype=np.int64)  # Piper's default speaker
        try:
            result = self._session.run([OUTPUT], inputs)
        except Exception as err:
            raise ProviderError(
                f"The Piper voice failed to speak ({_first_line(err)}).", provider=PROVIDER
            ) from None
        audio = np.asarray(result[0], dtype=np.float32)
        if audio.ndim == 0 or any(size != 1 for size in audio.shape[:-1]):
            raise ProviderError(
                f"The Piper voice returned audio of shape {list(audio.shape)}, not one channel.",
                provider=PROVIDER,
            )
        return to_pcm16(audio.reshape(-1))

    def close(self) -> None:
        """Drop the session (its memory is freed with it)."""
        with self._lock:
            self._session = None


def to_pcm16(audio: Any) -> bytes:
    """Piper's conversion: scale to full range (at most ×100), clip, truncate to int16."""
    import numpy as np  # noqa: PLC0415

    audio = np.nan_to_num(np.asarray(audio, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    scaled = audio * (MAX_WAV_VALUE / max(MIN_PEAK, peak))
    pcm: bytes = np.clip(scaled, -32768.0, MAX_WAV_VALUE).astype("<i2").tobytes()
    return pcm


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:200]
