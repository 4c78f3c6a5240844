"""A Piper voice's settings, read from the ``.onnx.json`` beside its model.

Piper voices are VITS models exported to ONNX; everything needed to speak with one the
way it was trained is in its JSON: the espeak-ng voice its phonemes came from, the map
from phonemes to model ids, the inference scales and the sample rate. The keys and
defaults are Piper's own (OHF-Voice/piper1-gpl ``config.py``, rhasspy/piper
``piper.cpp``), so any Piper-format voice works, not only the catalogue's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Piper's special symbols: padding between ids, beginning and end of a sentence.
PAD = "_"
BOS = "^"
EOS = "$"
ESPEAK = "espeak"
TEXT = "text"  # the voice reads Unicode codepoints, not phonemes
PHONEME_TYPES = (ESPEAK, TEXT)
# Piper's defaults when a voice's JSON leaves a scale out.
DEFAULT_NOISE_SCALE = 0.667
DEFAULT_LENGTH_SCALE = 1.0
DEFAULT_NOISE_W = 0.8
DEFAULT_SAMPLE_RATE = 22050
MIN_RATE = 8000
MAX_RATE = 48000
LICENCE_KEYS = ("license", "licence")


class VoiceFileError(Exception):
    """A voice file is missing or unusable; the message is one sentence for the log."""


@dataclass(frozen=True, slots=True)
class PiperConfig:
    """What the voice's JSON says about speaking with it."""

    sample_rate: int
    espeak_voice: str
    phoneme_type: str
    phoneme_id_map: Mapping[str, tuple[int, ...]] = field(repr=False)
    noise_scale: float = DEFAULT_NOISE_SCALE
    length_scale: float = DEFAULT_LENGTH_SCALE
    noise_w: float = DEFAULT_NOISE_W
    num_speakers: int = 1
    dataset: str | None = None
    language: str | None = None
    quality: str | None = None
    licence: str | None = None

    @property
    def scales(self) -> tuple[float, float, float]:
        """The model's ``scales`` input, in Piper's order."""
        return (self.noise_scale, self.length_scale, self.noise_w)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "the voice's JSON") -> PiperConfig:
        """Validate and read a parsed ``.onnx.json``; VoiceFileError says what is wrong."""
        if not isinstance(data, dict):
            raise VoiceFileError(f"{source} is not a JSON object")
        phoneme_type = str(data.get("phoneme_type") or ESPEAK)
        if phoneme_type not in PHONEME_TYPES:
            raise VoiceFileError(
                f"{source} has phoneme_type {phoneme_type!r}; only espeak and text voices "
                "are supported"
            )
        espeak = _section(data, "espeak")
        espeak_voice = str(espeak.get("voice") or "")
        if phoneme_type == ESPEAK and not espeak_voice:
            raise VoiceFileError(f"{source} names no espeak voice (espeak.voice)")
        audio = _section(data, "audio")
        inference = _section(data, "inference")
        language = _section(data, "language")
        return cls(
            sample_rate=_sample_rate(audio.get("sample_rate", DEFAULT_SAMPLE_RATE), source),
            espeak_voice=espeak_voice,
            phoneme_type=phoneme_type,
            phoneme_id_map=_id_map(data.get("phoneme_id_map"), source),
            noise_scale=_number(inference, "noise_scale", DEFAULT_NOISE_SCALE, source),
            length_scale=_number(inference, "length_scale", DEFAULT_LENGTH_SCALE, source),
            noise_w=_number(inference, "noise_w", DEFAULT_NOISE_W, source),
            num_speakers=_speakers(data.get("num_speakers", 1), source),
            dataset=_text(data.get("dataset")),
            language=_text(language.get("code")),
            quality=_text(audio.get("quality")),
            licence=next((_text(data.get(key)) for key in LICENCE_KEYS if data.get(key)), None),
        )


def config_path_for(model: Path) -> Path:
    """Where Piper expects a model's JSON: ``voice.onnx`` → ``voice.onnx.json``."""
    return model.with_name(model.name + ".json")


def load_config(path: Path) -> PiperConfig:
    """Read a voice's JSON (blocking: call it from a worker thread)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VoiceFileError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise VoiceFileError(f"{path} cannot be read ({err})") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise VoiceFileError(f"{path} is not valid JSON ({err.msg}, line {err.lineno})") from None
    except (ValueError, RecursionError) as err:  # a number too long, nesting too deep
        raise VoiceFileError(f"{path} is not valid JSON ({str(err)[:100]})") from None
    return PiperConfig.from_dict(data, source=str(path))


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _id_map(value: Any, source: str) -> dict[str, tuple[int, ...]]:
    if not isinstance(value, dict) or not value:
        raise VoiceFileError(f"{source} has no phoneme_id_map")
    id_map: dict[str, tuple[int, ...]] = {}
    for phoneme, value_ids in value.items():
        # Piper splits phonemes into single codepoints; a longer key could never match.
        if not isinstance(phoneme, str) or len(phoneme) != 1:
            raise VoiceFileError(f"{source}: phoneme {phoneme!r} is not one character")
        ids = [value_ids] if isinstance(value_ids, int) else value_ids
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ids
        ):
            raise VoiceFileError(f"{source}: the ids of phoneme {phoneme!r} are not numbers")
        id_map[phoneme] = tuple(ids)
    for symbol in (PAD, BOS, EOS):
        if symbol not in id_map:
            raise VoiceFileError(f"{source}: phoneme_id_map lacks {symbol!r}")
    return id_map


def _sample_rate(value: Any, source: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and MIN_RATE <= value <= MAX_RATE:
        return value
    raise VoiceFileError(f"{source}: audio.sample_rate {value!r} is not a rate in Hz")


def _number(section: dict[str, Any], key: str, default: float, source: str) -> float:
    value = section.get(key, default)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)  # json reads Infinity and NaN
        and value >= 0
    ):
        return float(value)
    raise VoiceFileError(f"{source}: inference.{key} {value!r} is not a number")


def _speakers(value: Any, source: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise VoiceFileError(f"{source}: num_speakers {value!r} is not a count")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
