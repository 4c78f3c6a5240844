"""The kitchen speaker: plays what ``tts.speak`` sends to ``media_player.kitchen``.

A real network speaker is told a media id, resolves it to an address on Home Assistant
and fetches the audio from it: only then does Home Assistant's TTS make the audio (it
is generated on demand). The template media player of the check's configuration hands
each id over as an event; this class listens on Home Assistant's WebSocket API, resolves
the id (``media_source/resolve_media``, as speakers do) and downloads the audio.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp

EVENT = "ui_check_kitchen_play"


@dataclass
class Played:
    media_id: str
    mime_type: str
    audio: bytes


@dataclass
class Kitchen:
    url: str
    token: str
    played: list[Played] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None
    _socket: aiohttp.ClientWebSocketResponse | None = None
    _task: asyncio.Task[None] | None = None
    _next_id: int = 1

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        self._socket = await self._session.ws_connect(f"{self.url}/api/websocket")
        await self._socket.receive_json()  # auth_required
        await self._socket.send_json({"type": "auth", "access_token": self.token})
        reply = await self._socket.receive_json()
        if reply.get("type") != "auth_ok":
            raise RuntimeError(f"Home Assistant refused the check's token: {reply}")
        await self._send({"type": "subscribe_events", "event_type": EVENT})
        self._task = asyncio.create_task(self._listen())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._socket is not None:
            await self._socket.close()
        if self._session is not None:
            await self._session.close()

    async def _send(self, message: dict[str, Any]) -> int:
        assert self._socket is not None
        message_id = self._next_id
        self._next_id += 1
        await self._socket.send_json({**message, "id": message_id})
        return message_id

    async def _listen(self) -> None:
        """Each play event: resolve its id, then fetch the audio it resolves to."""
        assert self._socket is not None
        resolving: dict[int, str] = {}
        async for message in self._socket:
            data = message.json()
            if data.get("type") == "event" and data["event"].get("event_type") == EVENT:
                media_id = data["event"]["data"]["media_content_id"]
                resolving[
                    await self._send(
                        {"type": "media_source/resolve_media", "media_content_id": media_id}
                    )
                ] = media_id
            elif data.get("type") == "result" and data.get("id") in resolving:
                media_id = resolving.pop(data["id"])
                if not data.get("success"):
                    self.errors.append(f"resolving {media_id}: {data.get('error')}")
                    continue
                await self._fetch(media_id, data["result"]["url"], data["result"]["mime_type"])

    async def _fetch(self, media_id: str, url: str, mime_type: str) -> None:
        assert self._session is not None
        address = url if url.startswith("http") else f"{self.url}{url}"
        async with self._session.get(address) as response:
            if response.status != 200:
                self.errors.append(f"fetching {url}: HTTP {response.status}")
                return
            self.played.append(Played(media_id, mime_type, await response.read()))
