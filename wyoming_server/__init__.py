"""Wyoming TTS server for Arabic speech from Hamsa and Faseeh.

A front door onto the same provider core the Home Assistant integration uses; the core
is imported as ``arabic_tts_core`` (see pyproject.toml), never as ``custom_components``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wyoming-arabic-tts")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
