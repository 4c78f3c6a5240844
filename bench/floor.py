"""Child process: the floor client, talking to the fake providers directly.

Everything our server does has a counterpart here with nothing in between: the same
requests on warm sockets (``request``), on fresh ones (``request`` with ``cold``), text
arriving at LLM speed (``stream_text``: sent the moment the sentence is complete), N
concurrent streams (``open`` then ``concurrent``), and a Describe answer that is just the
same bytes written back (``describe_serve``). Its RSS and CPU time are the floor for ours.

``python -m bench.floor '<fake host hello JSON>'``
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import sys
import time
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection

from .direct import (
    faseeh_cold_request,
    faseeh_request,
    faseeh_rest_request,
    hamsa_cold_request,
    hamsa_request,
    open_faseeh,
    open_hamsa,
)
from .ipc import serve
from .trace import Trace


class Floor:
    """Warm sockets to both fakes, plus extra ones for concurrency runs."""

    def __init__(self, fakes: dict[str, Any]) -> None:
        self._fakes = fakes
        self._warm: dict[str, ClientConnection] = {}
        self._extra: list[ClientConnection] = []
        self._describe_server: asyncio.Server | None = None
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """One warm socket per provider, as our server keeps, and a kept-alive HTTP
        connection to Faseeh's REST API (opened by its free model list)."""
        self._warm["hamsa"] = await self._open("hamsa")
        self._warm["faseeh"] = await self._open("faseeh")
        self._session = aiohttp.ClientSession()
        headers = {"x-api-key": self._fakes["faseeh_key"]}
        async with self._session.get(f"{self._fakes['faseeh_api']}/models", headers=headers) as r:
            await r.read()

    async def _open(self, provider: str) -> ClientConnection:
        if provider == "hamsa":
            return await open_hamsa(self._fakes["hamsa_ws"], self._fakes["hamsa_key"])
        return await open_faseeh(self._fakes["faseeh_ws"], self._fakes["faseeh_key"])

    async def request(self, provider: str, text: str, *, cold: bool = False) -> Trace:
        """One request on the warm socket, or on a fresh one (``cold``); ``faseeh_rest``
        is one streamed POST on the kept-alive HTTP connection."""
        if provider == "faseeh_rest":
            assert self._session is not None
            return await faseeh_rest_request(
                self._session, self._fakes["faseeh_api"], self._fakes["faseeh_key"], text
            )
        if cold:
            if provider == "hamsa":
                return await hamsa_cold_request(
                    self._fakes["hamsa_ws"], self._fakes["hamsa_key"], text
                )
            return await faseeh_cold_request(
                self._fakes["faseeh_ws"], self._fakes["faseeh_key"], text
            )
        return await self._on(self._warm[provider], provider, text)

    @staticmethod
    async def _on(ws: ClientConnection, provider: str, text: str) -> Trace:
        if provider == "hamsa":
            return await hamsa_request(ws, text)
        return await faseeh_request(ws, text)

    async def stream_text(
        self, provider: str, tokens: list[str], interval: float, complete_index: int
    ) -> Trace:
        """Tokens arrive every ``interval``; the first sentence goes out as it completes.

        This client knows where the sentence ends (an oracle no splitter can beat), so
        its delay from the completing token to audio is the provider's own.
        """
        start = time.monotonic()
        for index in range(1, complete_index + 1):  # token 0 arrives at start
            await asyncio.sleep(max(0.0, start + index * interval - time.monotonic()))
        sentence = "".join(tokens[: complete_index + 1]).strip()
        trace = await self._on(self._warm[provider], provider, sentence)
        trace.t_sentence = trace.t0
        return trace

    async def open_extra(self, provider: str, count: int) -> None:
        """Open ``count`` more sockets ahead of a concurrency run (not measured)."""
        opened = await asyncio.gather(*(self._open(provider) for _ in range(count)))
        self._extra.extend(opened)

    async def concurrent(self, provider: str, texts: list[str], starts: list[float]) -> list[Trace]:
        """One stream per text on the extra sockets, each starting at its offset."""
        sockets = self._extra[: len(texts)]
        if len(sockets) < len(texts):
            raise RuntimeError("open_extra first")
        begin = time.monotonic()

        async def one(ws: ClientConnection, text: str, offset: float) -> Trace:
            await asyncio.sleep(max(0.0, begin + offset - time.monotonic()))
            return await self._on(ws, provider, text)

        return list(
            await asyncio.gather(
                *(one(ws, t, s) for ws, t, s in zip(sockets, texts, starts, strict=True))
            )
        )

    async def close_extra(self) -> None:
        """Close the extra sockets."""
        extra, self._extra = self._extra, []
        await asyncio.gather(*(ws.close() for ws in extra), return_exceptions=True)

    async def describe_serve(self, payload: bytes) -> int:
        """Answer every line with ``payload`` (our server's Info event, byte for byte)."""

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while await reader.readline():
                    writer.write(payload)
                    await writer.drain()
            writer.close()

        self._describe_server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port: int = self._describe_server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        """Close every socket and the Describe server."""
        await self.close_extra()
        for ws in self._warm.values():
            await ws.close()
        if self._session is not None:
            await self._session.close()
        if self._describe_server is not None:
            self._describe_server.close()


async def main(fakes: dict[str, Any]) -> None:
    """Serve commands until told to quit."""
    floor = Floor(fakes)
    await floor.open()
    # A collection pause while a reply arrives would count as provider latency: collect
    # between commands only.
    gc.disable()

    async def handle(command: dict[str, Any]) -> dict[str, Any]:
        gc.collect()
        cmd = command["cmd"]
        if cmd == "request":
            trace = await floor.request(
                command["provider"], command["text"], cold=command.get("cold", False)
            )
            return {"trace": trace.to_json()}
        if cmd == "stream_text":
            trace = await floor.stream_text(
                command["provider"],
                command["tokens"],
                command["interval"],
                command["complete_index"],
            )
            return {"trace": trace.to_json()}
        if cmd == "open_extra":
            await floor.open_extra(command["provider"], command["count"])
            return {}
        if cmd == "concurrent":
            traces = await floor.concurrent(
                command["provider"], command["texts"], command["starts"]
            )
            return {"traces": [t.to_json() for t in traces]}
        if cmd == "close_extra":
            await floor.close_extra()
            return {}
        if cmd == "describe_serve":
            return {"port": await floor.describe_serve(base64.b64decode(command["payload"]))}
        raise ValueError(f"unknown command {cmd}")

    try:
        await serve({}, handle)
    finally:
        await floor.close()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
