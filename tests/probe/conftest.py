"""Fixtures: fake providers with random-looking keys, and the probe run in-process.

The keys look like real ones (no word of ordinary text in them), so the scan for every
6-character piece of a key in the output means something.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa
from wyoming_server.probe import probe
from wyoming_server.probe.report import WIDTH

HAMSA_KEY = "hk_Q7mZ2xR9vLp4TcW8nB3y"
EMPTY_WALLET_KEY = "hk_Wd4Lp9Zq2Xv7Mn5Rb8Tc"
FASEEH_KEY = "fk_N3bY6uJ1sKd5HgE0rT7q"
UAE_KEY = "fk_uA8eZ3mQ6wL1pX9kV4sJ"
ALL_KEYS = (HAMSA_KEY, EMPTY_WALLET_KEY, FASEEH_KEY, UAE_KEY)
PIECE = 6


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sockets to 127.0.0.1; no key from the environment."""
    monkeypatch.delenv("HAMSA_API_KEY", raising=False)
    monkeypatch.delenv("FASEEH_API_KEY", raising=False)


@pytest.fixture
async def hamsa() -> AsyncIterator[FakeHamsa]:
    """Fake Hamsa: HAMSA_KEY works, EMPTY_WALLET_KEY is accepted but has no credit."""
    async with FakeHamsa(valid_keys={HAMSA_KEY}, empty_wallet_keys={EMPTY_WALLET_KEY}) as fake:
        # The probes run unpaced (--hamsa-connect-interval 0); the one test of the
        # connection-rate limit sets its own (test_probe_modes.py).
        fake.connect_min_interval = None
        yield fake


@pytest.fixture
async def faseeh() -> AsyncIterator[FakeFaseeh]:
    """Fake Faseeh as strict as the evidence (header auth refused)."""
    async with FakeFaseeh(valid_keys={FASEEH_KEY}) as fake:
        yield fake


def key_pieces(keys: tuple[str, ...] = ALL_KEYS) -> list[str]:
    """Every key and every 6-character piece of it."""
    return [key[i : i + PIECE] for key in keys for i in range(len(key) - PIECE + 1)] + list(keys)


def assert_no_key_material(text: str, where: str) -> None:
    """No key and no 6-character piece of one in ``text``."""
    found = [piece for piece in key_pieces() if piece in text]
    assert not found, f"key material {found} in {where}:\n{text}"


@dataclass
class ProbeRun:
    """What one probe run printed and wrote."""

    status: int
    stdout: str
    stderr: str
    json_text: str

    @property
    def data(self) -> dict[str, Any]:
        """The JSON report."""
        return json.loads(self.json_text)  # type: ignore[no-any-return]

    def provider(self, name: str) -> dict[str, Any]:
        """One provider's part of the JSON report."""
        return next(p for p in self.data["providers"] if p["provider"] == name)

    def step(self, provider: str, step_id: str) -> dict[str, Any]:
        """One step of the JSON report."""
        return next(s for s in self.provider(provider)["steps"] if s["id"] == step_id)

    def verdict(self, provider: str) -> dict[str, Any]:
        """One provider's verdict."""
        return self.provider(provider)["verdict"]  # type: ignore[no-any-return]


def fake_args(hamsa: FakeHamsa | None, faseeh: FakeFaseeh | None) -> list[str]:
    """Flags pointing the probe at the fakes (as the server's flags would)."""
    args: list[str] = []
    if hamsa is not None:
        args += ["--hamsa-url", hamsa.ws_url, "--hamsa-api-url", hamsa.api_url]
    if faseeh is not None:
        args += ["--faseeh-url", faseeh.ws_url, "--faseeh-api-url", faseeh.api_url]
    return args


RunProbe = Callable[..., Any]


@pytest.fixture
def run_probe(tmp_path: Path) -> RunProbe:
    """Run the probe in-process against the given fakes; every run is checked for key
    material (report, JSON, progress and log lines) and for lines over 100 columns."""
    runs = 0

    async def run(
        *extra: str,
        hamsa: FakeHamsa | None = None,
        faseeh: FakeFaseeh | None = None,
        hamsa_key: str | None = HAMSA_KEY,
        faseeh_key: str | None = FASEEH_KEY,
        ask: Callable[[str], str] | None = None,
        urls: bool = True,
    ) -> ProbeRun:
        """``urls=False``: the providers' own addresses (the region tests patch them)."""
        nonlocal runs
        runs += 1
        json_path = tmp_path / f"report-{runs}.json"
        args = [*(fake_args(hamsa, faseeh) if urls else []), "--provider-timeout", "2"]
        args += ["--hamsa-connect-interval", "0", "--json", str(json_path), *extra]
        if hamsa is not None and hamsa_key:
            args += ["--hamsa-api-key", hamsa_key]
        if faseeh is not None and faseeh_key:
            args += ["--faseeh-api-key", faseeh_key]
        if hamsa is None and faseeh is not None:
            args += ["--provider", "faseeh"]
        if faseeh is None and hamsa is not None:
            args += ["--provider", "hamsa"]
        stdout, stderr = io.StringIO(), io.StringIO()
        status = await probe(args, stdout=stdout, stderr=stderr, ask=ask)
        result = ProbeRun(
            status,
            stdout.getvalue(),
            stderr.getvalue(),
            json_path.read_text("utf-8") if json_path.exists() else "",
        )
        for text, where in (
            (result.stdout, "the report"),
            (result.stderr, "stderr (progress and log)"),
            (result.json_text, "the JSON"),
        ):
            assert_no_key_material(text, where)
        too_wide = [line for line in result.stdout.splitlines() if len(line) > WIDTH]
        assert not too_wide, too_wide
        return result

    return run
