"""One lock for loading the native ONNX packages (numpy, onnxruntime, text2tashkeel).

The Wyoming server loads the tashkeel model and the Piper voice in worker threads at
start-up, and both import numpy and onnxruntime for the first time. numpy's C extension
cannot be imported by two threads at once: one of them fails ("import numpy failed", a
``_DeadlockError``, "CPU dispatcher tracer already initialized"), and numpy cannot be
imported again in that process. Whoever loads one of these packages holds this lock.
"""

from __future__ import annotations

import threading

NATIVE_IMPORT_LOCK = threading.Lock()


def import_numpy() -> None:
    """Import numpy now, under the lock (blocking: call it in a worker thread).

    The server does this before anything loads in the background, when a model will be
    loaded: numpy is then already imported whenever the event loop first needs it (µ-law,
    resampling, in core/audio.py), so the loop never races a worker's first import.
    """
    with NATIVE_IMPORT_LOCK:
        import numpy  # noqa: F401, PLC0415 - imported for its side effect, once
