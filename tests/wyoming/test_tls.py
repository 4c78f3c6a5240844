"""The real server process against the fakes over wss:// and https://.

The server builds its one TLS context at start-up from the system's trust store (the
standard SSL_CERT_FILE points it at the test CA here); verification stays on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa
from tests.fakes.tls import make_ca, server_context

from .conftest import FASEEH_KEY, HAMSA_KEY, StartServer
from .helpers import assert_failed, assert_plain_success, synthesize

TEXT = "الباب الأمامي مفتوح الآن"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return make_ca()


@pytest.fixture
async def fake_hamsa(ca: trustme.CA) -> AsyncIterator[FakeHamsa]:
    """Fake Hamsa on wss:// and https:// (overrides the plain one for start_server)."""
    fake = FakeHamsa(valid_keys={HAMSA_KEY})
    fake.tls = server_context(ca)
    async with fake:
        yield fake


@pytest.fixture
async def fake_faseeh(ca: trustme.CA) -> AsyncIterator[FakeFaseeh]:
    fake = FakeFaseeh(valid_keys={FASEEH_KEY})
    fake.tls = server_context(ca)
    async with fake:
        yield fake


@pytest.fixture
def trusted_ca_file(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The server's trust store for this test: the test CA only."""
    pem = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    return pem


async def test_speaks_over_tls(
    trusted_ca_file: Path,
    start_server: StartServer,
    fake_hamsa: FakeHamsa,
    fake_faseeh: FakeFaseeh,
) -> None:
    assert fake_hamsa.ws_url.startswith("wss://")
    server = await start_server("--custom-voice", "0b8e8a4e-6f3c-4a8e-9a0e-2c1d3f4b5a69")
    for _ in range(2):
        reply = await synthesize(server.port, TEXT, "hamsa-Samir")
        assert_plain_success(reply)
        assert reply.pcm == pcm_for_text(TEXT, reply.start.rate)
    reply = await synthesize(server.port, TEXT, "faseeh-ar-najdi-male-2")
    assert_plain_success(reply)
    assert reply.pcm == pcm_for_text(TEXT, 24000)
    # The preload went over https through the same context.
    assert any(r.path.endswith("/preload") for r in fake_hamsa.rest_requests)
    assert [g.text for g in fake_faseeh.generations] == [TEXT]


async def test_untrusted_certificate_is_refused(
    start_server: StartServer, fake_hamsa: FakeHamsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the test CA in its trust store the server does not talk to the fake."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = await start_server("--fallback", "none", faseeh=False)
    reply = await synthesize(server.port, TEXT, "hamsa-Samir")
    assert_failed(reply, "provider_unavailable")
    assert fake_hamsa.requests == []
