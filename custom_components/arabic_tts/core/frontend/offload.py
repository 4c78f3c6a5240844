"""Long texts are prepared in a worker thread, so no client waits on another's text.

Every text step is linear, but it is pure Python: a 100,000-character reply takes about
150 ms, which on the event loop would stall every other connection (Home Assistant gives
up on a Wyoming Describe after one second, and its own loop serves everything else). Past
``OFF_LOOP_CHARS`` a step runs in a thread; the interpreter hands the loop back every few
milliseconds (its switch interval), so other clients keep being answered. Short texts (every
streamed sentence, nearly every announcement) stay on the loop, where a thread hop would
cost more than the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

OFF_LOOP_CHARS = 2000


async def run_text_step(step: Callable[[str], str], text: str) -> str:
    """``step(text)``, in a worker thread when the text is long."""
    if len(text) <= OFF_LOOP_CHARS:
        return step(text)
    return await asyncio.to_thread(step, text)
