"""The tashkeel model and the Piper voice load in worker threads at the server's start,
both importing numpy and onnxruntime for the first time. numpy's C extension fails when
two threads import it at once (an ImportError "import numpy failed", a _DeadlockError),
which left the Piper voice "loading" for good: the two imports must take turns."""

from __future__ import annotations

import builtins
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("onnxruntime", reason="the piper extra (script/setup installs it)")
pytest.importorskip("text2tashkeel", reason="the tashkeel extra (script/setup installs it)")

from arabic_tts_core.frontend import Vowelizer
from arabic_tts_core.native_imports import NATIVE_IMPORT_LOCK, import_numpy
from arabic_tts_core.piper_config import load_config
from arabic_tts_core.piper_model import PiperModel

from tests.fakes.piper_voice import write_voice

NATIVE = ("onnxruntime", "text2tashkeel", "numpy")
# How long the first thread in waits for a second one to join it: long enough for the
# other thread to get there on a busy machine; with the imports taking turns it never does.
JOIN_WAIT = 2.0


def test_the_tashkeel_model_and_the_piper_voice_import_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__
    guard = threading.Lock()
    inside: dict[int, int] = {}  # thread → depth of native imports it is in
    most = 0
    second_in = threading.Event()

    def watching_import(name: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal most
        if name.split(".", maxsplit=1)[0] not in NATIVE:
            return real_import(name, *args, **kwargs)
        me = threading.get_ident()
        with guard:
            first_here = me not in inside
            inside[me] = inside.get(me, 0) + 1
            most = max(most, len(inside))
            if len(inside) == 2:
                second_in.set()
        try:
            if first_here:
                second_in.wait(JOIN_WAIT)  # give the other thread every chance to come in
            return real_import(name, *args, **kwargs)
        finally:
            with guard:
                inside[me] -= 1
                if not inside[me]:
                    del inside[me]

    model_path = write_voice(tmp_path)
    model = PiperModel(model_path, load_config(model_path.with_name(model_path.name + ".json")))
    vowelizer = Vowelizer()
    failures: list[BaseException] = []

    def run(load: Any) -> None:
        try:
            load()
        except BaseException as err:
            failures.append(err)

    monkeypatch.setattr(builtins, "__import__", watching_import)
    threads = [threading.Thread(target=run, args=(load,)) for load in (vowelizer.load, model.load)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    monkeypatch.undo()

    assert not failures
    assert model.loaded
    assert most == 1, "two threads imported numpy/onnxruntime at the same time"


def test_the_server_s_early_numpy_import_waits_its_turn() -> None:
    """import_numpy (run by the server before the models load) takes the same lock."""
    done = threading.Event()

    def run() -> None:
        import_numpy()
        done.set()

    with NATIVE_IMPORT_LOCK:
        thread = threading.Thread(target=run)
        thread.start()
        # A slow machine can only make this wait look longer: the check may miss a missing
        # lock, never invent one.
        assert not done.wait(0.2), "numpy was imported while another load held the lock"
    assert done.wait(30)
    thread.join(30)
