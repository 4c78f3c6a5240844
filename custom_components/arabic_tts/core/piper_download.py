"""Fetching a catalogue voice's files into the data folder, safely and resumably.

Each file is written to ``<name>.part`` beside its final place, continued with an HTTP
Range request when a transfer breaks (or started over when the server ignores the
range), checked against its pinned size and digest, and only then renamed into place
(atomic on one filesystem). A file that fails its check is deleted: nothing unverified
is ever loaded. A full disk deletes the partial file too. Disk writes and hashing run in
worker threads, so the event loop (and the voice that speaks meanwhile) never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import aiohttp

from .piper_catalog import CatalogVoice, Digest, RemoteFile

_LOGGER = logging.getLogger(__name__)

WRITE_BATCH = 1024 * 1024  # bytes handed to the writer thread at once
ATTEMPTS = 3  # interrupted transfers continued before giving up for now
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 30.0  # no byte for this long: the transfer is broken
PROGRESS_STEP = 10  # percent between progress log lines
MB = 1024 * 1024
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)

# Why a download failed (``DownloadError.reason``): each has its own log line.
CHECKSUM = "checksum"
DISK = "disk_full"
NETWORK = "network"
HTTP = "http"
INTERRUPTED = "interrupted"
STORAGE = "storage"

Progress = Callable[[str, int, int], None]  # file name, bytes so far, total bytes


class DownloadError(Exception):
    """A voice file could not be fetched; ``str()`` is one sentence for the log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class _Interrupted(Exception):
    """The transfer stopped early; the partial file is kept for the next attempt."""


def new_hash(digest: Digest) -> Any:
    """A hashlib object for the digest's algorithm."""
    return hashlib.new(digest.algorithm)


def file_matches(path: Path, remote: RemoteFile) -> bool:
    """Size and digest both as pinned (blocking: run it in a worker thread)."""
    try:
        if path.stat().st_size != remote.size:
            return False
        hasher = new_hash(remote.digest)
        with path.open("rb") as file:
            while block := file.read(WRITE_BATCH):
                hasher.update(block)
    except OSError:
        return False
    return bool(hasher.hexdigest() == remote.digest.value)


async def download_voice(
    session: aiohttp.ClientSession,
    voice: CatalogVoice,
    data_dir: Path,
    *,
    base_url: str,
    progress: Progress | None = None,
) -> Path:
    """Make sure the voice's files are in ``data_dir`` and verified; return the model.

    A file already there is checked first; one that fails its check is fetched again.
    """
    try:
        await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(
            f"cannot create the data folder {data_dir} ({err.strerror or err})", STORAGE
        ) from None
    for remote in voice.files:
        dest = data_dir / remote.name
        if await asyncio.to_thread(dest.exists):
            if await asyncio.to_thread(file_matches, dest, remote):
                continue
            _LOGGER.warning(
                "%s does not match its pinned size and checksum; fetching it again", dest
            )
            try:
                await asyncio.to_thread(_remove, dest)
            except OSError as err:  # a folder in its place, a file we may not delete
                raise _storage_error(dest, err) from None
        await fetch_file(session, remote.url(base_url), dest, remote, progress=progress)
    return voice.model_path(data_dir)


async def fetch_file(
    session: aiohttp.ClientSession,
    url: str,
    dest: Path,
    remote: RemoteFile,
    *,
    progress: Progress | None = None,
    attempts: int = ATTEMPTS,
) -> None:
    """Download ``url`` to ``dest`` (continuing a ``.part`` left by an earlier try)."""
    part = dest.with_name(dest.name + ".part")
    for attempt in range(1, attempts + 1):
        try:
            await _fetch_once(session, url, part, remote, progress)
        except _Interrupted as err:
            _LOGGER.info(
                "Download of %s interrupted (%s); %s",
                remote.name,
                err,
                "continuing where it stopped" if attempt < attempts else "giving up for now",
            )
            continue
        try:
            await asyncio.to_thread(_install, part, dest)
        except OSError as err:
            await asyncio.to_thread(_remove_quietly, part)
            raise _storage_error(dest, err) from None
        _LOGGER.info(
            "Downloaded %s (%.1f MB, %s verified)", dest, remote.size / MB, remote.digest.algorithm
        )
        return
    raise DownloadError(
        f"the download of {remote.name} from {_host(url)} broke off {attempts} times; the "
        "part fetched so far is kept and continued next time",
        INTERRUPTED,
    )


async def _fetch_once(
    session: aiohttp.ClientSession,
    url: str,
    part: Path,
    remote: RemoteFile,
    progress: Progress | None,
) -> None:
    """One request: continue ``part`` to the end, then check it (raises _Interrupted)."""
    have = await asyncio.to_thread(_size_or_zero, part)
    try:
        if have >= remote.size:  # a full part was never checked, or too long: start over
            await asyncio.to_thread(_remove, part)
            have = 0
        await asyncio.to_thread(_check_free_space, part.parent, remote.size - have)
    except OSError as err:  # a folder in its place, the data folder gone
        raise _storage_error(part, err) from None
    headers = {"Range": f"bytes={have}-"} if have else {}
    timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT)
    answered = False
    try:
        async with session.get(url, headers=headers, timeout=timeout) as response:
            answered = True
            digest = await _save_body(response, part, have, remote, progress)
    except aiohttp.ClientConnectorError as err:
        raise DownloadError(f"cannot reach {_host(url)} ({_reason(err)})", NETWORK) from None
    except aiohttp.TooManyRedirects:
        raise DownloadError(
            f"{_host(url)} redirected {remote.name} in a loop (too many redirects)", HTTP
        ) from None
    except (aiohttp.ClientError, TimeoutError) as err:
        if answered:  # the body broke off: continue from what arrived
            raise _Interrupted(_reason(err)) from None
        raise DownloadError(
            f"cannot download {remote.name} from {_host(url)} ({_reason(err)})", NETWORK
        ) from None
    except OSError as err:  # writing the file (a ClientOSError is caught above)
        await asyncio.to_thread(_remove_quietly, part)
        raise _storage_error(part, err) from None
    size = await asyncio.to_thread(_size_or_zero, part)
    if size < remote.size:
        raise _Interrupted(f"{size} of {remote.size} bytes arrived")
    if size > remote.size or digest != remote.digest.value:
        await asyncio.to_thread(_remove_quietly, part)
        raise DownloadError(
            f"{remote.name} from {_host(url)} does not match its pinned "
            f"{remote.digest.algorithm} checksum and size; the file was deleted",
            CHECKSUM,
        )


async def _save_body(
    response: aiohttp.ClientResponse,
    part: Path,
    have: int,
    remote: RemoteFile,
    progress: Progress | None,
) -> str:
    """Write the answer to ``part`` (continuing it after a 206); return the file's digest."""
    if have and response.status == 206 and _range_start(response) == have:
        writer = await asyncio.to_thread(_PartWriter.resume, part, remote.digest)
    elif response.status == 200:  # the whole file (a server may ignore the range)
        writer = await asyncio.to_thread(_PartWriter.fresh, part, remote.digest)
        have = 0
    elif response.status in (206, 416):  # a range we did not ask for: start over
        await asyncio.to_thread(_remove, part)
        raise _Interrupted(f"HTTP {response.status} to a request for bytes {have}-")
    else:
        raise DownloadError(
            f"{_host(str(response.url))} answered HTTP {response.status} for {remote.name}",
            HTTP,
        )
    try:
        await _receive(response, writer, have, remote, progress)
    finally:
        await asyncio.to_thread(writer.close)
    return writer.hexdigest


async def _receive(
    response: aiohttp.ClientResponse,
    writer: _PartWriter,
    have: int,
    remote: RemoteFile,
    progress: Progress | None,
) -> None:
    """Stream the body to the writer thread in batches, reporting progress."""
    buffer = bytearray()
    done = have
    reported = done * 100 // remote.size // PROGRESS_STEP
    try:
        async for data in response.content.iter_any():
            buffer += data
            done += len(data)
            if done > remote.size:
                break  # longer than pinned: no use reading on
            if len(buffer) >= WRITE_BATCH:
                await asyncio.to_thread(writer.write, bytes(buffer))
                buffer.clear()
            step = done * 100 // remote.size // PROGRESS_STEP
            if step != reported:
                reported = step
                _LOGGER.info(
                    "Downloading %s: %d%% of %.0f MB",
                    remote.name,
                    step * PROGRESS_STEP,
                    remote.size / MB,
                )
            if progress is not None:
                progress(remote.name, done, remote.size)
    except (aiohttp.ClientError, TimeoutError):
        if buffer:  # what arrived before the break is kept for the next attempt
            await asyncio.to_thread(writer.write, bytes(buffer))
        raise
    if buffer:
        await asyncio.to_thread(writer.write, bytes(buffer))


class _PartWriter:
    """The ``.part`` file and the running digest of everything in it (blocking calls)."""

    def __init__(self, file: IO[bytes], hasher: Any) -> None:
        self._file = file
        self._hasher = hasher

    @classmethod
    def fresh(cls, part: Path, digest: Digest) -> _PartWriter:
        return cls(part.open("wb"), new_hash(digest))

    @classmethod
    def resume(cls, part: Path, digest: Digest) -> _PartWriter:
        hasher = new_hash(digest)
        with part.open("rb") as existing:
            while block := existing.read(WRITE_BATCH):
                hasher.update(block)
        return cls(part.open("ab"), hasher)

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hasher.update(data)

    def close(self) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()

    @property
    def hexdigest(self) -> str:
        return str(self._hasher.hexdigest())


def _install(part: Path, dest: Path) -> None:
    os.replace(part, dest)
    with contextlib.suppress(OSError):  # make the rename itself durable
        fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_free_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise DownloadError(
            f"the disk holding {folder} is full: {needed / MB:.0f} MB are needed, "
            f"{free / MB:.0f} MB are free",
            DISK,
        )


def _storage_error(path: Path, err: OSError) -> DownloadError:
    if err.errno in DISK_FULL:
        return DownloadError(
            f"the disk holding {path.parent} is full; the partial file was deleted", DISK
        )
    return DownloadError(f"cannot write {path} ({err.strerror or err})", STORAGE)


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _remove_quietly(path: Path) -> None:
    """Clean up after a failure: the failure is the news, not the clean-up's own."""
    with contextlib.suppress(OSError):
        path.unlink()


def _range_start(response: aiohttp.ClientResponse) -> int | None:
    """The first byte a 206 answer carries (``Content-Range: bytes 100-199/200``)."""
    value = response.headers.get("Content-Range", "")
    unit, _, rest = value.partition(" ")
    start = rest.split("-", 1)[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _host(url: str) -> str:
    """The host (and port) of ``url``, never a ``user:password@`` in front of it."""
    return url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]


def _reason(err: BaseException) -> str:
    inner = getattr(err, "os_error", None)
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror
    return str(err) or type(err).__name__
