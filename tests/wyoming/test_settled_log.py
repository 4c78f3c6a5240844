"""The server says, once per provider at INFO, which transport and settings it settled on."""

from __future__ import annotations

import re

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa

from .conftest import HAMSA_KEY, StartServer, eventually
from .helpers import synthesize

TEXT = "مرحبا بكم في بيتنا الجميل"


def lines(output: str, start: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(rf"INFO \S+: {start}", line)]


async def test_each_provider_says_once_how_it_speaks(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server("--hamsa-pool", "1", "--hamsa-connect-interval", "0.5")
    await eventually(lambda: bool(lines(server.output, "Hamsa: speaking")), "Hamsa's line")
    await eventually(lambda: bool(lines(server.output, "Faseeh: speaking")), "Faseeh's line")
    for voice in ("hamsa-Ali", "faseeh-ar-najdi-male-2", "hamsa-Mariam"):
        reply = await synthesize(server.port, TEXT, voice)
        assert reply.error is None
    output = server.output
    [hamsa] = lines(output, "Hamsa: speaking")
    assert "key in the X-Api-Key header; first connection opened in " in hamsa
    assert "pool 1, a new connection at most every 0.5 s" in hamsa
    assert "a request with no warm connection free goes over the REST stream at once" in hamsa
    assert "the retry of a 640-byte reply, up to 2 times" in hamsa
    assert f"voices by catalogue id ({len(fake_hamsa.catalog)} known)" in hamsa
    [faseeh] = lines(output, "Faseeh: speaking")
    assert faseeh.endswith(
        "Faseeh: speaking over the WebSocket (key in initConnection, sockets reused): the "
        "WebSocket accepted the key (in initConnection); region Global, model "
        "faseeh-v1-preview, 24000 Hz, dialect auto"
    )
    assert HAMSA_KEY not in output


async def test_an_unreachable_hamsa_socket_is_said_in_the_line(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    server = await start_server("--hamsa-url", "ws://127.0.0.1:9/v1/realtime/ws", faseeh=False)
    await eventually(lambda: bool(lines(server.output, "Hamsa: speaking")), "Hamsa's line")
    [hamsa] = lines(server.output, "Hamsa: speaking")
    assert "first connection failed (provider_unavailable: cannot reach Hamsa" in hamsa
    assert f"voices by catalogue id ({len(fake_hamsa.catalog)} known)" in hamsa  # REST works


async def test_faseeh_rest_transport_and_dialect_are_said(
    start_server: StartServer, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server(
        "--faseeh-transport", "rest", "--faseeh-dialect", "fusha", hamsa=False
    )
    await eventually(lambda: bool(lines(server.output, "Faseeh: speaking")), "Faseeh's line")
    [faseeh] = lines(server.output, "Faseeh: speaking")
    assert faseeh.endswith(
        "Faseeh: speaking over REST: chosen in the configuration; region Global, model "
        "faseeh-v1-preview, 24000 Hz, dialect fusha (requests go over REST: the WebSocket "
        "has no dialect)"
    )
