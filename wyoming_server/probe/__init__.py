"""The account probe (``wyoming-arabic-tts probe``): what a real account actually does.

``cli`` parses the flags (shared with the server), asks before spending credits and
writes the report; ``hamsa`` and ``faseeh`` run each provider's steps; ``decide`` turns
what they saw into the server's choice; ``report`` holds the findings and renders them.
"""

from __future__ import annotations

from .cli import probe, run

COMMAND = "probe"

__all__ = ["COMMAND", "probe", "run"]
