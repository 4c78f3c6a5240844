"""``--lexicon FILE`` through the real server: what reached the fake providers, the log
lines a bad line or a missing file leaves, and a change to the file taking effect."""

from __future__ import annotations

from pathlib import Path

import pytest
from arabic_tts_core.offline import espeak_available

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa

from .conftest import StartServer, eventually
from .helpers import assert_plain_success, assert_stream_success, synthesize, synthesize_streaming

pytestmark = pytest.mark.usefixtures("socket_enabled")

HAMSA = "hamsa-Samir"
FASEEH = "faseeh-ar-najdi-male-2"
LEXICON = """\
# people and rooms
Salma = سلمى
this line has no equals sign
Living Room = غرفة المعيشة
"""


async def test_every_voice_speaks_the_lexicon_and_a_bad_line_is_logged(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, tmp_path: Path
) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_text(LEXICON, encoding="utf-8")
    server = await start_server("--lexicon", str(path))

    assert_plain_success(await synthesize(server.port, "هل هاتف Salma مشحون؟", HAMSA))
    assert fake_hamsa.requests[-1]["text"] == "هل هاتف سلمى مشحون؟"
    # Streamed in small pieces: the splitter hands whole sentences to the lexicon.
    text = "أطفأت ضوء Living Room كما طلبت."
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    assert_stream_success(await synthesize_streaming(server.port, chunks, HAMSA))
    assert fake_hamsa.requests[-1]["text"].strip() == "أطفأت ضوء غرفة المعيشة كما طلبت."
    assert_plain_success(await synthesize(server.port, "أرسلت الرسالة إلى Salma الآن", FASEEH))
    assert fake_faseeh.generations[-1].text == "أرسلت الرسالة إلى سلمى الآن"

    output = server.output
    assert f"Lexicon {path} line 3 skipped" in output
    assert "'this line has no equals sign'" in output
    assert f"Lexicon {path} loaded: 2 entries" in output


async def test_a_changed_file_is_used_without_a_restart(
    start_server: StartServer, fake_hamsa: FakeHamsa, tmp_path: Path
) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_text("Salma = سلمى\n", encoding="utf-8")
    server = await start_server("--lexicon", str(path))
    assert_plain_success(await synthesize(server.port, "هاتف Salma مشحون", HAMSA))
    assert fake_hamsa.requests[-1]["text"] == "هاتف سلمى مشحون"

    # An editor that saves by writing a new file and renaming it over the old one.
    replacement = tmp_path / "lexicon.new"
    replacement.write_text("Salma = سَلْمى الصغيرة\nAhmed = أحمد\n", encoding="utf-8")
    replacement.replace(path)
    await eventually(lambda: "reloaded: 2 entries" in server.output, "the lexicon reloaded")
    assert_plain_success(await synthesize(server.port, "هاتف Salma مع Ahmed", HAMSA))
    assert fake_hamsa.requests[-1]["text"] == "هاتف سَلْمى الصغيرة مع أحمد"


async def test_a_missing_file_is_logged_and_picked_up_when_it_appears(
    start_server: StartServer, fake_hamsa: FakeHamsa, tmp_path: Path
) -> None:
    path = tmp_path / "not-yet.txt"
    server = await start_server("--lexicon", str(path))
    assert_plain_success(await synthesize(server.port, "هاتف Salma مشحون", HAMSA))
    assert fake_hamsa.requests[-1]["text"] == "هاتف Salma مشحون"
    assert f"Lexicon {path} cannot be read (No such file or directory)" in server.output

    path.write_bytes(b"Salma = \xd8\xb3\xd9\x84\xd9\x85\xd9\x89\n\xff\n")  # not UTF-8
    await eventually(lambda: "is not UTF-8 text (line 2)" in server.output, "not UTF-8 logged")
    path.write_text("Salma = سلمى\n", encoding="utf-8")
    await eventually(lambda: "loaded: 1 entry" in server.output, "the lexicon loaded")
    assert_plain_success(await synthesize(server.port, "هاتف Salma مشحون", HAMSA))
    assert fake_hamsa.requests[-1]["text"] == "هاتف سلمى مشحون"
    assert server.process.returncode is None


async def test_the_offline_voice_keeps_the_lexicons_vowels(
    start_server: StartServer, tmp_path: Path
) -> None:
    """The spoken side vowelled by the user reaches espeak-ng as written (--debug)."""
    if not espeak_available():
        pytest.skip("espeak-ng is installed by script/setup")
    path = tmp_path / "lexicon.txt"
    path.write_text("Salma = سَلْمى\n", encoding="utf-8")
    server = await start_server("--lexicon", str(path), "--debug")
    assert_plain_success(await synthesize(server.port, "هاتف Salma مشحون", "offline-ar"))
    line = next(line for line in server.output.splitlines() if "offline-ar: sending" in line)
    assert "سَلْمى" in line
    assert "Salma" not in line
