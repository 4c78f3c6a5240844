"""Runs before any other pytest plugin (``-p tests.homeassistant_first`` in pyproject.toml).

1. Home Assistant 2026.11 replaces httpx with httpx2 and aliases the old name in its package
   ``__init__``; that must happen before anything imports httpx, or it refuses to start.
   The test harness imports respx (and so httpx) before Home Assistant, so import it here.
2. The newest harness, pytest-homeassistant-custom-component 0.13.375, was made for
   2026.10.4 and imports ``_clear_logger_overwrites`` from
   ``homeassistant.components.logger``; 2026.11 keeps it only in ``...logger.helpers``.
   Re-export it when that module loads (without importing it early: the harness patches
   time and JSON helpers before Home Assistant's modules load). Older releases are left
   as they are.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

import homeassistant  # noqa: F401

LOGGER_MODULE = "homeassistant.components.logger"


class _LoggerHelperReexport(MetaPathFinder):
    """Adds the moved test helper to homeassistant.components.logger when it is loaded."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != LOGGER_MODULE:
            return None
        sys.meta_path.remove(self)  # find the real module with the ordinary finders
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            if not hasattr(module, "_clear_logger_overwrites"):
                helpers = importlib.import_module(f"{LOGGER_MODULE}.helpers")
                module._clear_logger_overwrites = helpers._clear_logger_overwrites  # type: ignore[attr-defined]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if LOGGER_MODULE not in sys.modules:
    sys.meta_path.insert(0, _LoggerHelperReexport())
