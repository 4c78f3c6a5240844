"""Background tasks an object owns: kept alive while they run, all cancelled and awaited
when the object closes, so nothing outlives it (Home Assistant's test harness fails a test
that leaves a task behind, and a task nobody holds may be garbage-collected mid-run)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class BackgroundTasks:
    """A set of running tasks; ``spawn`` adds one, ``cancel`` + ``wait`` end them all."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn[T](self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro`` in a task this set keeps until it ends."""
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel(self) -> list[asyncio.Task[Any]]:
        """Cancel every running task; return them, to be awaited after other clean-up."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    @staticmethod
    async def wait(tasks: list[asyncio.Task[Any]]) -> None:
        """Await cancelled tasks, whatever they raise."""
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def cancel_and_wait(self) -> None:
        """Cancel and await every running task."""
        await self.wait(self.cancel())
