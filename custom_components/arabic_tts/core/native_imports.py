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
