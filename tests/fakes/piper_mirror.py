"""A fake of Hugging Face serving rhasspy/piper-voices, for the download tests.

Like the real one, ``/…/resolve/<rev>/<path>`` answers 302 to a CDN address, and the CDN
serves the bytes with Range support (206 and Content-Range). On demand it sends other
bytes than the pinned ones, cuts a transfer off half way (a dropped connection), ignores
Range (200 with the whole file), answers an HTTP error, or redirects a file to itself for
ever (a misconfigured mirror).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import Self

from aiohttp import web

HOST = "127.0.0.1"
CDN = "/cdn/"
# Before a cut: long enough for the client, in the same event loop, to read what was sent.
CUT_GRACE = 0.1


@dataclass
class MirrorRequest:
    """One request the CDN side received."""

    path: str
    range: str | None


@dataclass
class FakeVoiceMirror:
    """Serves ``files`` (path under the base URL → bytes)."""

    files: dict[str, bytes]
    corrupt: set[str] = field(default_factory=set)  # sent with one byte changed
    cut_after: dict[str, list[int]] = field(default_factory=dict)  # path → cut points, in turn
    ignore_range: bool = False
    stall_after: dict[str, int] = field(default_factory=dict)  # path → bytes, then silence
    status: dict[str, int] = field(default_factory=dict)  # path → forced HTTP status
    redirect_loop: set[str] = field(default_factory=set)  # answered 302 to themselves
    requests: list[MirrorRequest] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    @property
    def base_url(self) -> str:
        """What ``--piper-voices-url`` would be for this mirror."""
        return f"http://{HOST}:{self.port}/rhasspy/piper-voices/resolve/v1.0.0"

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = int(server.sockets[0].getsockname()[1])
        return self

    def release(self) -> None:
        """Let stalled transfers finish (they send the rest)."""
        self._release.set()

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        prefix = "rhasspy/piper-voices/resolve/v1.0.0/"
        if path.startswith(prefix):  # the hub: a redirect, as Hugging Face answers
            raise web.HTTPFound(CDN + path.removeprefix(prefix))
        if not path.startswith(CDN.strip("/") + "/"):
            raise web.HTTPNotFound()
        path = path.removeprefix(CDN.strip("/") + "/")
        self.requests.append(MirrorRequest(path, request.headers.get("Range")))
        if path in self.redirect_loop:
            raise web.HTTPFound(CDN + path)
        if path in self.status:
            return web.Response(status=self.status[path], text=f"forced {self.status[path]}")
        if path not in self.files:
            raise web.HTTPNotFound()
        data = self.files[path]
        if path in self.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = _range_start(request.headers.get("Range"))
        if start is not None and not self.ignore_range and start < len(data):
            response = web.StreamResponse(status=206)
            response.headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        else:
            start = 0
            response = web.StreamResponse(status=200)
        body = data[start:]
        response.content_length = len(body)
        await response.prepare(request)
        if (stall := self.stall_after.pop(path, None)) is not None:
            await response.write(body[:stall])
            await self._release.wait()  # a transfer in progress, as long as the test likes
            body = body[stall:]
        cuts = self.cut_after.get(path)
        if cuts:
            cut = cuts.pop(0) - start
            await response.write(body[: max(cut, 0)])
            await asyncio.sleep(CUT_GRACE)  # the client reads what was sent, then…
            assert request.transport is not None
            request.transport.close()  # …the connection ends mid-file
            return response
        await response.write(body)
        await response.write_eof()
        return response


def _range_start(value: str | None) -> int | None:
    if not value or not value.startswith("bytes="):
        return None
    first = value.removeprefix("bytes=").split("-", 1)[0]
    return int(first) if first.isdigit() else None


def sha256(data: bytes) -> str:
    """The hex digest a catalogue would pin for ``data``."""
    return hashlib.sha256(data).hexdigest()
