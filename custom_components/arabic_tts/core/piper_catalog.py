"""The Piper voices we know by name: where they are published, pinned by size and digest.

Both are Kareem (Jordanian Arabic, male), from rhasspy/piper-voices on Hugging Face at
its ``v1.0.0`` tag. Sizes and MD5 digests are the publisher's own (rhasspy/wyoming-piper
``voices.json``, unchanged in every version of that file). SHA-256 digests are pinned
where one could be found and cross-checked: for the medium voice, several independent
projects that verify the same download list the same SHA-256 for both files, and each of
them also matches the publisher's MD5. No SHA-256 of the low voice was found, so its files
are pinned by the publisher's size and MD5 (how to pin SHA-256 as well: README, Piper).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
DEFAULT_VOICE = "ar_JO-kareem-medium"
APP_DIR = "wyoming-arabic-tts"
KAREEM_LICENCE = (
    "Piper voice ar_JO-kareem from rhasspy/piper-voices (repository metadata: MIT). Its "
    "model card gives the dataset as github.com/AliMokhammad/arabicttstrain with "
    "'License: See URL' (no licence is stated there) and says it was fine-tuned from "
    "en_US-lessac-medium. Downloaded from its publisher at your request, never bundled."
)


@dataclass(frozen=True, slots=True)
class Digest:
    """An expected file digest (``sha256`` preferred; ``md5`` where that is all there is)."""

    algorithm: str
    value: str


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One published file: its path under the base URL, size in bytes and digest."""

    path: str
    size: int
    digest: Digest

    @property
    def name(self) -> str:
        """The file name it is saved under."""
        return self.path.rsplit("/", 1)[-1]

    def url(self, base_url: str) -> str:
        """Its address under ``base_url`` (a mirror may replace the default)."""
        return f"{base_url.rstrip('/')}/{self.path}"


@dataclass(frozen=True, slots=True)
class CatalogVoice:
    """A voice fetched by name: its model and JSON, and what to say about its licence."""

    key: str
    quality: str
    sample_rate: int
    model: RemoteFile
    config: RemoteFile
    licence: str

    @property
    def files(self) -> tuple[RemoteFile, RemoteFile]:
        """The JSON first (small: a broken mirror shows at once), then the model."""
        return (self.config, self.model)

    def model_path(self, data_dir: Path) -> Path:
        """Where its model lives in the data folder."""
        return data_dir / self.model.name


def _kareem(
    quality: str, rate: int, model: tuple[int, Digest], config: tuple[int, Digest]
) -> CatalogVoice:
    folder = f"ar/ar_JO/kareem/{quality}/ar_JO-kareem-{quality}"
    return CatalogVoice(
        key=f"ar_JO-kareem-{quality}",
        quality=quality,
        sample_rate=rate,
        model=RemoteFile(f"{folder}.onnx", *model),
        config=RemoteFile(f"{folder}.onnx.json", *config),
        licence=KAREEM_LICENCE,
    )


_MEDIUM_MODEL_SHA256 = "9e95cab07b679da603bba17c4dec7ab3111320571964ee95c0379603c086491e"
_MEDIUM_CONFIG_SHA256 = "ea6d9b9d9076dbdb6bf5c98c6a141ef154959d2359709b37855727964e7d6c4d"

CATALOG: dict[str, CatalogVoice] = {
    voice.key: voice
    for voice in (
        _kareem(
            "medium",
            22050,
            (63201294, Digest("sha256", _MEDIUM_MODEL_SHA256)),
            (5024, Digest("sha256", _MEDIUM_CONFIG_SHA256)),
        ),
        _kareem(
            "low",
            16000,
            (63201294, Digest("md5", "d335cd06fe4045a7ee9d8fb0712afaa9")),
            (5022, Digest("md5", "465724f7d2d5f2ff061b53acb8e7f7cc")),
        ),
    )
}


def default_data_dir() -> Path:
    """Where voice files go when neither ``--data-dir`` nor ARABIC_TTS_DATA_DIR says:
    ``$XDG_DATA_HOME/wyoming-arabic-tts``, else ``~/.local/share/wyoming-arabic-tts``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR
