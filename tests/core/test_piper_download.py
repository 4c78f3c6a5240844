"""Fetching a voice's files against a local fake of Hugging Face: pinned digests, resumed
transfers, nothing unverified kept, a full disk and no network each a clear error."""

from __future__ import annotations

import errno
import hashlib
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from arabic_tts_core import piper_download
from arabic_tts_core.piper_catalog import CATALOG, CatalogVoice, Digest, RemoteFile
from arabic_tts_core.piper_download import DownloadError, download_voice, fetch_file

from tests.fakes.piper_mirror import FakeVoiceMirror, sha256
from tests.wyoming.conftest import free_port

pytestmark = pytest.mark.usefixtures("socket_enabled")

MODEL = bytes(range(256)) * 4096 * 3  # 3 MiB: several write batches and progress steps
CONFIG = b'{"audio": {"sample_rate": 22050}}'
FOLDER = "ar/ar_JO/tiny/medium/ar_JO-tiny-medium"


def tiny_catalog_voice(*, md5: bool = False) -> CatalogVoice:
    def pin(data: bytes) -> Digest:
        if md5:
            return Digest("md5", hashlib.md5(data).hexdigest())
        return Digest("sha256", sha256(data))

    return CatalogVoice(
        key="ar_JO-tiny-medium",
        quality="medium",
        sample_rate=22050,
        model=RemoteFile(f"{FOLDER}.onnx", len(MODEL), pin(MODEL)),
        config=RemoteFile(f"{FOLDER}.onnx.json", len(CONFIG), pin(CONFIG)),
        licence="test",
    )


@pytest.fixture
async def mirror() -> AsyncIterator[FakeVoiceMirror]:
    files = {f"{FOLDER}.onnx": MODEL, f"{FOLDER}.onnx.json": CONFIG}
    async with FakeVoiceMirror(files) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


async def test_a_voice_is_fetched_through_the_redirect_and_verified(
    mirror: FakeVoiceMirror,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[str, int, int]] = []
    with caplog.at_level(logging.INFO):
        model = await download_voice(
            session,
            tiny_catalog_voice(),
            tmp_path / "data",
            base_url=mirror.base_url,
            progress=lambda *args: seen.append(args),
        )

    assert model == tmp_path / "data" / "ar_JO-tiny-medium.onnx"
    assert model.read_bytes() == MODEL
    assert (tmp_path / "data" / "ar_JO-tiny-medium.onnx.json").read_bytes() == CONFIG
    assert listing(tmp_path / "data") == ["ar_JO-tiny-medium.onnx", "ar_JO-tiny-medium.onnx.json"]
    assert [request.path for request in mirror.requests] == [
        f"{FOLDER}.onnx.json",
        f"{FOLDER}.onnx",
    ]
    assert seen[-1] == ("ar_JO-tiny-medium.onnx", len(MODEL), len(MODEL))
    progress = [
        r.getMessage() for r in caplog.records if "Downloading ar_JO-tiny" in r.getMessage()
    ]
    assert progress[-1] == "Downloading ar_JO-tiny-medium.onnx: 100% of 3 MB"
    assert len(progress) >= 5  # a line every ten percent of the model
    assert any("sha256 verified" in r.getMessage() for r in caplog.records)


async def test_an_md5_pin_is_checked_too(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    mirror.corrupt.add(f"{FOLDER}.onnx")
    with pytest.raises(DownloadError, match="pinned md5 checksum") as error:
        await download_voice(
            session, tiny_catalog_voice(md5=True), tmp_path, base_url=mirror.base_url
        )
    assert error.value.reason == piper_download.CHECKSUM


async def test_a_checksum_mismatch_keeps_nothing(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    mirror.corrupt.add(f"{FOLDER}.onnx")

    with pytest.raises(DownloadError) as error:
        await download_voice(session, tiny_catalog_voice(), tmp_path, base_url=mirror.base_url)

    assert error.value.reason == piper_download.CHECKSUM
    assert "does not match its pinned sha256 checksum" in str(error.value)
    assert "the file was deleted" in str(error.value)
    # The JSON was fine and stays; of the model nothing, not even a partial file.
    assert listing(tmp_path) == ["ar_JO-tiny-medium.onnx.json"]


async def test_an_interrupted_transfer_resumes_where_it_stopped(
    mirror: FakeVoiceMirror,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    half = len(MODEL) // 2
    mirror.cut_after[f"{FOLDER}.onnx"] = [half]
    remote = tiny_catalog_voice().model

    with caplog.at_level(logging.INFO):
        await fetch_file(session, remote.url(mirror.base_url), tmp_path / remote.name, remote)

    assert (tmp_path / remote.name).read_bytes() == MODEL
    assert [request.range for request in mirror.requests] == [None, f"bytes={half}-"]
    assert listing(tmp_path) == [remote.name]
    assert any("continuing where it stopped" in r.getMessage() for r in caplog.records)


async def test_a_partial_file_left_by_a_previous_run_is_continued(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    remote = tiny_catalog_voice().model
    (tmp_path / f"{remote.name}.part").write_bytes(MODEL[:1000])

    await fetch_file(session, remote.url(mirror.base_url), tmp_path / remote.name, remote)

    assert (tmp_path / remote.name).read_bytes() == MODEL
    assert [request.range for request in mirror.requests] == ["bytes=1000-"]


async def test_a_server_that_ignores_the_range_starts_over(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    mirror.ignore_range = True
    mirror.cut_after[f"{FOLDER}.onnx"] = [3000]
    remote = tiny_catalog_voice().model

    await fetch_file(session, remote.url(mirror.base_url), tmp_path / remote.name, remote)

    assert (tmp_path / remote.name).read_bytes() == MODEL
    assert [request.range for request in mirror.requests] == [None, "bytes=3000-"]


async def test_a_transfer_that_keeps_breaking_gives_up_and_keeps_its_part(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    mirror.cut_after[f"{FOLDER}.onnx"] = [1000, 2000, 3000]
    remote = tiny_catalog_voice().model

    with pytest.raises(DownloadError, match="broke off 3 times") as error:
        await fetch_file(session, remote.url(mirror.base_url), tmp_path / remote.name, remote)

    assert error.value.reason == piper_download.INTERRUPTED
    assert (tmp_path / f"{remote.name}.part").read_bytes() == MODEL[:3000]
    assert not (tmp_path / remote.name).exists()


async def test_a_full_disk_while_writing_deletes_the_part(
    mirror: FakeVoiceMirror,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written: list[int] = []
    real_write = piper_download._PartWriter.write

    def write(self: Any, data: bytes) -> None:
        if written:  # the second batch finds the disk full
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(len(data))
        real_write(self, data)

    monkeypatch.setattr(piper_download._PartWriter, "write", write)
    remote = tiny_catalog_voice().model

    with pytest.raises(DownloadError) as error:
        await fetch_file(session, remote.url(mirror.base_url), tmp_path / remote.name, remote)

    assert error.value.reason == piper_download.DISK
    assert "is full; the partial file was deleted" in str(error.value)
    assert written  # it had started writing
    assert listing(tmp_path) == []


async def test_too_little_free_space_is_said_before_downloading(
    mirror: FakeVoiceMirror,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(
        piper_download.shutil, "disk_usage", lambda _: usage._replace(free=1024 * 1024)
    )

    with pytest.raises(DownloadError, match=r"is full: 3 MB are needed, 1 MB are free") as error:
        await download_voice(session, tiny_catalog_voice(), tmp_path, base_url=mirror.base_url)

    assert error.value.reason == piper_download.DISK
    assert [request.path for request in mirror.requests] == [f"{FOLDER}.onnx.json"]
    assert not (tmp_path / "ar_JO-tiny-medium.onnx").exists()


@pytest.mark.parametrize(
    "name", ["ar_JO-tiny-medium.onnx.json", "ar_JO-tiny-medium.onnx.json.part"]
)
async def test_a_file_that_cannot_be_removed_is_a_storage_error(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path, name: str
) -> None:
    """A folder where the file or its part should be (or one the server may not delete):
    a DownloadError the server logs and retries, not an OSError out of the download."""
    (tmp_path / name).mkdir()

    with pytest.raises(DownloadError) as error:
        await download_voice(session, tiny_catalog_voice(), tmp_path, base_url=mirror.base_url)

    assert error.value.reason == piper_download.STORAGE
    assert f"cannot write {tmp_path / name}" in str(error.value)


async def test_no_network_is_one_clear_error(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/rhasspy/piper-voices/resolve/v1.0.0"

    with pytest.raises(DownloadError) as error:
        await download_voice(session, tiny_catalog_voice(), tmp_path, base_url=base_url)

    assert error.value.reason == piper_download.NETWORK
    assert str(error.value).startswith("cannot reach 127.0.0.1:")
    assert listing(tmp_path) == []


async def test_a_password_in_the_mirror_address_never_reaches_the_error(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A private mirror behind basic auth (--piper-voices-url https://user:pass@host/…):
    the error, logged at every failure, names the host without its credentials."""
    base_url = f"http://piper:s3cr3t-pass@127.0.0.1:{free_port()}/piper-voices"

    with pytest.raises(DownloadError) as error:
        await download_voice(session, tiny_catalog_voice(), tmp_path, base_url=base_url)

    assert str(error.value).startswith("cannot reach 127.0.0.1:")
    assert "s3cr3t" not in str(error.value) and "piper:" not in str(error.value)


async def test_a_redirect_loop_is_one_clear_error(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    mirror.redirect_loop.add(f"{FOLDER}.onnx.json")

    with pytest.raises(DownloadError) as error:
        await download_voice(session, tiny_catalog_voice(), tmp_path, base_url=mirror.base_url)

    assert error.value.reason == piper_download.HTTP
    assert str(error.value) == (
        f"127.0.0.1:{mirror.port} redirected ar_JO-tiny-medium.onnx.json in a loop "
        "(too many redirects)"
    )
    assert listing(tmp_path) == []


async def test_an_http_error_is_reported_with_its_status(
    mirror: FakeVoiceMirror, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    mirror.status[f"{FOLDER}.onnx.json"] = 404

    with pytest.raises(DownloadError, match=r"answered HTTP 404 for ar_JO-tiny-medium\.onnx\.json"):
        await download_voice(session, tiny_catalog_voice(), tmp_path, base_url=mirror.base_url)


async def test_files_already_there_are_checked_not_fetched_again(
    mirror: FakeVoiceMirror,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    voice = tiny_catalog_voice()
    (tmp_path / voice.config.name).write_bytes(CONFIG)
    (tmp_path / voice.model.name).write_bytes(MODEL[:-1] + b"\x00")  # damaged on disk

    with caplog.at_level(logging.WARNING):
        await download_voice(session, voice, tmp_path, base_url=mirror.base_url)

    assert [request.path for request in mirror.requests] == [f"{FOLDER}.onnx"]
    assert (tmp_path / voice.model.name).read_bytes() == MODEL
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "does not match its pinned size and checksum; fetching it again" in warning

    mirror.requests.clear()
    await download_voice(session, voice, tmp_path, base_url=mirror.base_url)
    assert mirror.requests == []


def test_the_catalogue_pins_kareem_from_its_publisher() -> None:
    medium, low = CATALOG["ar_JO-kareem-medium"], CATALOG["ar_JO-kareem-low"]
    base = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
    assert medium.model.url(base) == f"{base}/ar/ar_JO/kareem/medium/ar_JO-kareem-medium.onnx"
    assert (medium.model.size, medium.config.size) == (63201294, 5024)
    assert medium.model.digest.algorithm == medium.config.digest.algorithm == "sha256"
    assert (low.model.size, low.config.size, low.sample_rate) == (63201294, 5022, 16000)
    assert low.model.digest == Digest("md5", "d335cd06fe4045a7ee9d8fb0712afaa9")
