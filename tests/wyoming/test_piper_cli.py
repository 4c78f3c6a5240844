"""``--piper-voice``, ``--data-dir`` and the ``download`` command."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from pathlib import Path

import pytest
from arabic_tts_core.piper_catalog import CATALOG, CatalogVoice, Digest, RemoteFile

from tests.fakes.piper_mirror import FakeVoiceMirror
from wyoming_server import __main__ as cli
from wyoming_server import download as download_command
from wyoming_server.piper_voice import PiperSource

from .conftest import REPO_ROOT

pytestmark = pytest.mark.usefixtures("socket_enabled")

KAREEM = CATALOG["ar_JO-kareem-medium"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HAMSA_API_KEY", "FASEEH_API_KEY", "ARABIC_TTS_DATA_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli, "espeak_available", lambda: True)


def test_the_default_is_kareem_medium_in_the_users_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    args = cli.parse_args([])

    folder = tmp_path / ".local" / "share" / "wyoming-arabic-tts"
    assert args.data_dir == folder
    assert args.piper_source == PiperSource(folder / "ar_JO-kareem-medium.onnx", KAREEM)
    assert args.piper_source.wyoming_name == "piper-kareem"


def test_the_data_folder_comes_from_the_flag_then_the_environment_then_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert cli.parse_args([]).data_dir == tmp_path / "xdg" / "wyoming-arabic-tts"
    monkeypatch.setenv("ARABIC_TTS_DATA_DIR", str(tmp_path / "env"))
    assert cli.parse_args([]).data_dir == tmp_path / "env"
    args = cli.parse_args(["--data-dir", "/data", "--piper-voice", "ar_JO-kareem-low"])
    assert args.data_dir == Path("/data")
    assert args.piper_source.model == Path("/data/ar_JO-kareem-low.onnx")
    assert args.piper_source.wyoming_name == "piper-kareem"


def test_a_path_names_the_users_own_voice_and_none_turns_it_off() -> None:
    own = cli.parse_args(["--piper-voice", "/voices/ar_SA-miro-high.onnx"]).piper_source
    assert own == PiperSource(Path("/voices/ar_SA-miro-high.onnx"))
    assert own.wyoming_name == "piper-miro"
    assert PiperSource(Path("my voice.onnx")).wyoming_name == "piper-my_voice"
    assert cli.parse_args(["--piper-voice", "none"]).piper_source is None


def test_an_unknown_voice_name_is_refused_with_the_catalogue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(["--piper-voice", "ar_JO-kareem-high"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--piper-voice: 'ar_JO-kareem-high' is neither a voice we can download" in err
    assert "ar_JO-kareem-medium, ar_JO-kareem-low" in err


async def test_download_failure_exits_non_zero_with_a_clear_message(tmp_path: Path) -> None:
    """The real command against a mirror serving other bytes than the pinned ones."""
    config = KAREEM.config
    async with FakeVoiceMirror({config.path: b"x" * config.size}) as mirror:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wyoming_server",
            "download",
            "--data-dir",
            str(tmp_path / "data"),
            "--piper-voices-url",
            mirror.base_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=REPO_ROOT,
            env={k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")},
        )
        async with asyncio.timeout(60):
            _, err = await process.communicate()

    assert process.returncode == 1
    assert (
        "wyoming-arabic-tts download: error: ar_JO-kareem-medium.onnx.json from 127.0.0.1:"
        in err.decode()
    )
    assert "does not match its pinned sha256 checksum" in err.decode()
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == []


async def test_download_fetches_the_named_voice_into_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, config = b"model bytes" * 1000, b"{}"
    voice = CatalogVoice(
        key="ar_JO-tiny-medium",
        quality="medium",
        sample_rate=22050,
        model=RemoteFile("t/ar_JO-tiny-medium.onnx", len(model), _md5(model)),
        config=RemoteFile("t/ar_JO-tiny-medium.onnx.json", len(config), _md5(config)),
        licence="test",
    )
    monkeypatch.setattr(download_command, "CATALOG", {voice.key: voice})
    files = {voice.model.path: model, voice.config.path: config}
    async with FakeVoiceMirror(files) as mirror:
        argv = ["--data-dir", str(tmp_path), "--piper-voices-url", mirror.base_url, voice.key]
        code = await asyncio.to_thread(download_command.run, argv, "wyoming-arabic-tts")

    assert code == 0
    assert (tmp_path / "ar_JO-tiny-medium.onnx").read_bytes() == model
    assert (tmp_path / "ar_JO-tiny-medium.onnx.json").read_bytes() == config


def test_download_refuses_a_name_outside_the_catalogue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        download_command.run(["ar_JO-nobody-medium"], "wyoming-arabic-tts")
    assert exit_info.value.code == 2
    assert "unknown voice ar_JO-nobody-medium" in capsys.readouterr().err


def _md5(data: bytes) -> Digest:
    return Digest("md5", hashlib.md5(data).hexdigest())
