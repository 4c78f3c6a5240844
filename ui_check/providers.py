"""The fake Hamsa and Faseeh, on wss:// and https:// with a CA that Home Assistant trusts.

Home Assistant reaches a provider only through the addresses typed into its setup form
(*Endpoints (advanced)*), so the fakes run exactly as the tests' fakes do, on 127.0.0.1,
with a certificate from a throw-away CA. Home Assistant trusts that CA through
``REQUESTS_CA_BUNDLE`` (its shared TLS context reads the bundle it names), so nothing in
the integration is told it is being tested.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa
from tests.fakes.tls import make_ca, server_context


def _key(prefix: str) -> str:
    """A key as long as a real one, unique per run (so a leak is a plain string match)."""
    return f"{prefix}-{secrets.token_hex(16)}"


@dataclass
class Providers:
    """Both fakes, their keys and the CA bundle Home Assistant must trust."""

    ca_file: Path
    hamsa: FakeHamsa = field(init=False)
    faseeh: FakeFaseeh = field(init=False)
    hamsa_key: str = field(default_factory=lambda: _key("hamsa"))
    faseeh_key: str = field(default_factory=lambda: _key("faseeh"))
    refused_key: str = field(default_factory=lambda: _key("refused"))
    new_faseeh_key: str = field(default_factory=lambda: _key("faseeh-new"))

    async def start(self) -> None:
        """Serve both fakes on TLS and write the CA's certificate for Home Assistant."""
        ca = make_ca()
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.hamsa = FakeHamsa(valid_keys={self.hamsa_key})
        self.faseeh = FakeFaseeh(valid_keys={self.faseeh_key})
        for fake in (self.hamsa, self.faseeh):
            fake.tls = server_context(ca)
            await fake.start()

    async def stop(self) -> None:
        for fake in (self.hamsa, self.faseeh):
            await fake.stop()

    def secrets(self) -> list[str]:
        """Every key of this run: none may show on a screen or in a download."""
        return [self.hamsa_key, self.faseeh_key, self.refused_key, self.new_faseeh_key]

    def hamsa_texts(self) -> list[str]:
        """Every text the fake Hamsa was asked to speak."""
        return [str(request.get("text")) for request in self.hamsa.requests]

    def faseeh_texts(self) -> list[str]:
        """Every text the fake Faseeh was asked to speak, over its socket or REST."""
        texts: list[str] = []
        for record in self.faseeh.connections:
            texts += [_text(message) for message in record.messages if _text(message)]
        texts += [_text(request.json) for request in self.faseeh.rest_tts_requests]
        return [text for text in texts if text]


def _text(message: Any) -> str:
    return str(message.get("text") or "") if isinstance(message, dict) else ""
