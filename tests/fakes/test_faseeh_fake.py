"""Self-checks of the strict fake Faseeh with raw clients: every mode does what it says.

The client tests rely on these modes to model the real service; a mode that silently
did nothing would let a broken client pass.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .audio import pcm_for_text, wav_header_streaming
from .faseeh import CLONE_VOICE, OPAQUE_VOICE, FakeFaseeh, Fault
from .timing import TimingLog

try:
    import pytest_socket  # noqa: F401
except ImportError:  # plain pytest: sockets are not blocked
    pass
else:
    pytestmark = pytest.mark.usefixtures("socket_enabled")

KEY = "faseeh-key"
TEXT = "مرحبا بك في فصيح كيف يمكنني مساعدتك اليوم"
INIT: dict[str, Any] = {
    "type": "initConnection",
    "model_id": "faseeh-v1-preview",
    "voice_id": "ar-najdi-male-2",
}
HANG_GUARD = 20.0  # only bounds a hang: a slow, busy machine may take seconds
TRIGGER = {"type": "text", "text": TEXT, "try_trigger_generation": True, "flush": True}
BODY: dict[str, Any] = {
    "voice_id": "ar-najdi-male-2",
    "text": TEXT,
    "stability": 0.5,
    "speed": 1.0,
    "streaming": True,
    "sample_rate": 24000,
    "dialect": "auto",
}


async def recv_json(ws: ClientConnection, timeout: float = HANG_GUARD) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        data = json.loads(await ws.recv())
    assert isinstance(data, dict)
    return data


async def close_code(ws: ClientConnection) -> int:
    async with asyncio.timeout(HANG_GUARD):
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await ws.recv()
    assert info.value.rcvd is not None
    return info.value.rcvd.code


async def audio_messages(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every message of a generation, up to the empty final one the fake ends it with.

    An ``isFinal`` with audio may come mid-generation (``batches``), so it ends nothing;
    the fake's ``{"audio": "", "isFinal": true}`` does, however slow the machine.
    """
    messages: list[dict[str, Any]] = []
    while True:
        message = await recv_json(ws, HANG_GUARD)
        messages.append(message)
        if message.get("isFinal") is True and message.get("audio") == "":
            return messages


async def nothing_arrives(ws: ClientConnection, quiet: float) -> bool:
    """True when no message comes for ``quiet`` seconds (a slow machine can only make a
    wrongly sent message come later: this check may miss one, never invent one)."""
    try:
        await recv_json(ws, quiet)
    except TimeoutError:
        return True
    return False


def pcm_of(messages: list[dict[str, Any]]) -> bytes:
    return b"".join(base64.b64decode(m["audio"]) for m in messages if m.get("audio"))


# --------------------------------------------------------------------------- socket auth


async def test_header_only_auth_is_refused_by_default() -> None:
    async with FakeFaseeh() as fake:
        async with connect(fake.ws_url, additional_headers={"x-api-key": KEY}) as ws:
            await ws.send(json.dumps(INIT))
            assert await recv_json(ws) == {"errorCode": 40101, "errorMessage": "Invalid API key"}
            assert await close_code(ws) == 1008
        fake.accept_header_auth = True
        async with connect(fake.ws_url, additional_headers={"x-api-key": KEY}) as ws:
            await ws.send(json.dumps(INIT))
            assert await recv_json(ws) == {"type": "connectionInitialized"}
        assert [c.key_via for c in fake.connections] == [None, "header"]


async def test_init_key_and_query_key_each_switchable() -> None:
    async with FakeFaseeh() as fake:
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps({**INIT, "x_api_key": KEY}))
            assert await recv_json(ws) == {"type": "connectionInitialized"}
        async with connect(f"{fake.ws_url}?x-api-key={KEY}") as ws:
            await ws.send(json.dumps(INIT))
            assert await recv_json(ws) == {"type": "connectionInitialized"}
        fake.init_key_auth = False
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps({**INIT, "x_api_key": KEY}))
            assert (await recv_json(ws))["errorCode"] == 40101
            assert await close_code(ws) == 1008
        fake.query_key_auth = False
        async with connect(f"{fake.ws_url}?x-api-key={KEY}") as ws:
            await ws.send(json.dumps(INIT))
            assert (await recv_json(ws))["errorCode"] == 40101
        assert [c.key_via for c in fake.connections] == ["init", "query", None, None]


# --------------------------------------------------------------------------- socket modes


async def test_silent_socket_initialises_accepts_text_and_never_speaks() -> None:
    async with FakeFaseeh() as fake:
        fake.silent_socket = True
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps({**INIT, "x_api_key": KEY}))
            assert await recv_json(ws) == {"type": "connectionInitialized"}
            await ws.send(json.dumps(TRIGGER))
            assert await nothing_arrives(ws, quiet=0.5)
        assert fake.silent_texts == [TEXT]
        assert fake.generations == []


async def test_needs_flush_ignores_try_trigger_generation() -> None:
    async with FakeFaseeh() as fake:
        fake.needs_flush = True
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps({**INIT, "x_api_key": KEY}))
            await recv_json(ws)
            await ws.send(
                json.dumps({"type": "text", "text": TEXT, "try_trigger_generation": True})
            )
            assert await nothing_arrives(ws, quiet=0.3)
            await ws.send(json.dumps({"type": "text", "text": "", "flush": True}))
            messages = await audio_messages(ws)
        assert pcm_of(messages) == pcm_for_text(TEXT, 24000)
        assert messages[-1] == {"audio": "", "sampleRate": 24000, "isFinal": True}


async def test_batches_mark_isfinal_mid_generation_with_a_gap() -> None:
    async with FakeFaseeh() as fake:
        fake.frame_sizes = [1001]
        fake.batches = 3
        fake.batch_gap = 0.1
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps({**INIT, "x_api_key": KEY}))
            await recv_json(ws)
            await ws.send(json.dumps(TRIGGER))
            messages = await audio_messages(ws)
        finals = [i for i, m in enumerate(messages) if m["isFinal"]]
        assert len(finals) == 3  # two mid-generation, one at the end
        assert all(messages[i]["audio"] for i in finals[:2])  # audio and isFinal together
        assert messages[-1] == {"audio": "", "sampleRate": 24000, "isFinal": True}
        assert pcm_of(messages) == pcm_for_text(TEXT, 24000)


async def test_batches_may_end_with_the_end_marker_itself() -> None:
    """``batch_end_marker``: every batch ends with {"audio": "", "isFinal": true}, the
    very message the docs end a generation with."""
    async with FakeFaseeh() as fake:
        fake.frame_sizes = [1001]
        fake.batches = 2
        fake.batch_end_marker = True
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps({**INIT, "x_api_key": KEY}))
            await recv_json(ws)
            await ws.send(json.dumps(TRIGGER))
            first = await audio_messages(ws)  # up to the first end marker
            second = await audio_messages(ws)
        marker = {"audio": "", "sampleRate": 24000, "isFinal": True}
        assert first[-1] == second[-1] == marker
        assert not any(m["isFinal"] for m in first[:-1] + second[:-1])
        assert pcm_of(first + second) == pcm_for_text(TEXT, 24000)
        assert pcm_of(first) and pcm_of(second)


async def test_combined_error_frame_and_requested_rate() -> None:
    async with FakeFaseeh() as fake:
        fake.error_shape = "combined"
        fake.honour_requested_rate = True
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps({**INIT, "x_api_key": KEY, "output_format": "pcm_16000"}))
            await recv_json(ws)
            await ws.send(json.dumps({"type": "text", "text": "قصير", "flush": True}))
            assert await recv_json(ws) == {
                "type": "error",
                "errorCode": 40001,
                "errorMessage": "Text must have at least 3 words and 10 characters",
            }
            await ws.send(json.dumps(TRIGGER))
            messages = await audio_messages(ws)
        assert {m["sampleRate"] for m in messages} == {16000}
        assert pcm_of(messages) == pcm_for_text(TEXT, 16000)
        assert fake.generations[0].sample_rate == 16000


async def test_idle_sockets_can_hold_concurrency_slots() -> None:
    async with FakeFaseeh(concurrency_limit=1) as fake:
        fake.idle_sockets_hold_slots = True
        sockets = [await connect(fake.ws_url) for _ in range(2)]
        try:
            for ws in sockets:
                await ws.send(json.dumps({**INIT, "x_api_key": KEY}))
                await recv_json(ws)
            # The other socket is idle but holds the plan's only slot.
            await sockets[0].send(json.dumps(TRIGGER))
            assert (await recv_json(sockets[0]))["errorCode"] == 42901
            await sockets[1].close()
            async with asyncio.timeout(HANG_GUARD):
                while fake.open_connections > 1:  # noqa: ASYNC110 (the fake offers no event)
                    await asyncio.sleep(0.01)
            await sockets[0].send(json.dumps(TRIGGER))
            assert pcm_of(await audio_messages(sockets[0])) == pcm_for_text(TEXT, 24000)
        finally:
            for ws in sockets:
                await ws.close()


# --------------------------------------------------------------------------- REST


async def test_rest_streams_odd_chunks_with_rate_in_content_type() -> None:
    async with FakeFaseeh() as fake, aiohttp.ClientSession() as session:
        fake.frame_sizes = [4801, 333, 7]
        fake.frame_interval = 0.01
        fake.timing = TimingLog()
        url = f"{fake.tts_url}/faseeh-v1-preview"
        async with session.post(url, json=BODY, headers={"x-api-key": KEY}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "audio/raw;codec=pcm16;rate=24000;channels=1"
            chunks = [chunk async for chunk, _ in resp.content.iter_chunks()]
        body = b"".join(chunks)
        assert body == pcm_for_text(TEXT, 24000)
        assert any(len(chunk) % 2 for chunk in chunks)  # not sample aligned
        [generation] = fake.generations
        assert generation == (
            None,
            TEXT,
            "faseeh-v1-preview",
            "ar-najdi-male-2",
            {"stability": 0.5, "speed": 1.0},
            "rest",
            24000,
            "auto",
        )
        requests, frames = fake.timing.drain()
        assert [r.text for r in requests] == [TEXT]
        assert [f.size for f in frames][:3] == [4801, 333, 7]
        assert fake.rest_tts_requests[0].json == BODY
        assert fake.balance(KEY) == pytest.approx(100.0 - len(TEXT) * 0.0001)


async def test_rest_wav_header_and_rate_without_content_type() -> None:
    async with FakeFaseeh() as fake, aiohttp.ClientSession() as session:
        fake.rest_wav_header = True
        fake.rest_rate_in_content_type = False
        fake.honour_requested_rate = True
        url = f"{fake.tts_url}/faseeh-v1-preview"
        body = {**BODY, "sample_rate": 16000}
        async with session.post(url, json=body, headers={"x-api-key": KEY}) as resp:
            assert resp.headers["Content-Type"] == "audio/raw"
            data = await resp.read()
        assert data == wav_header_streaming(16000) + pcm_for_text(TEXT, 16000)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"headers": {"x-api-key": "wrong"}}, 401, 40101),
        ({"model": "nope"}, 404, 40401),
        ({"model": "forbidden"}, 403, 40301),
        ({"body": {"voice_id": "nobody"}}, 404, 40401),
        ({"body": {"text": "قصير"}}, 400, 40001),
        ({"body": {"stability": None}}, 400, 40001),
        ({"body": {"speed": 2.0}}, 400, 40001),
        ({"body": {"dialect": "najdi"}}, 400, 40001),
        ({"body": {"sample_rate": 96000}}, 400, 40001),
        ({"balance": 0.0}, 402, 40201),
        ({"fault": Fault.error_code(42901, "Concurrency limit exceeded")}, 429, 42901),
        ({"fault": Fault.error_code(50001, "Internal error")}, 500, 50001),
    ],
)
async def test_rest_error_statuses_have_faseeh_bodies(
    change: dict[str, Any], status: int, code: int
) -> None:
    async with FakeFaseeh() as fake, aiohttp.ClientSession() as session:
        fake.forbidden_models = {"forbidden"}
        fake.models.append({"id": "3", "model_id": "forbidden", "model_name": "x"})
        if "balance" in change:
            fake.balances[KEY] = change["balance"]
        if "fault" in change:
            fake.faults.append(change["fault"])
        body = dict(BODY)
        for name, value in change.get("body", {}).items():
            if value is None:
                del body[name]
            else:
                body[name] = value
        url = f"{fake.tts_url}/{change.get('model', 'faseeh-v1-preview')}"
        headers = change.get("headers", {"x-api-key": KEY})
        async with session.post(url, json=body, headers=headers) as resp:
            assert resp.status == status
            answer = await resp.json()
        assert answer["errorCode"] == code
        assert isinstance(answer["errorMessage"], str) and answer["errorMessage"]
        assert fake.generations == []


async def test_rest_faults_reset_drop_and_stall() -> None:
    async with FakeFaseeh() as fake, aiohttp.ClientSession() as session:
        url = f"{fake.tts_url}/faseeh-v1-preview"
        headers = {"x-api-key": KEY}
        fake.faults.append(Fault.close(1000))
        with pytest.raises(aiohttp.ClientError):
            async with session.post(url, json=BODY, headers=headers) as resp:
                await resp.read()
        fake.faults.append(Fault.drop_after_bytes(9601))
        received = bytearray()
        with pytest.raises(aiohttp.ClientError):
            async with session.post(url, json=BODY, headers=headers) as resp:
                async for chunk in resp.content.iter_any():
                    received += chunk
        assert bytes(received) == pcm_for_text(TEXT, 24000)[:9601]
        fake.faults.append(Fault.stall_after_bytes(100))
        async with session.post(url, json=BODY, headers=headers) as resp:
            assert await resp.content.readexactly(100) == pcm_for_text(TEXT, 24000)[:100]
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await resp.content.read(1)
        assert fake.balance(KEY) == 100.0  # nothing completed, nothing billed


async def test_voices_and_models_in_the_real_shape() -> None:
    async with FakeFaseeh() as fake, aiohttp.ClientSession() as session:
        headers = {"x-api-key": KEY}
        async with session.get(f"{fake.api_url}/voices", headers=headers) as resp:
            voices = {v["voice_id"]: v for v in await resp.json()}
        assert isinstance(voices["ar-najdi-male-2"]["dialect"], list)
        assert voices["ar-najdi-male-2"]["sample_url"].startswith("https://")
        assert voices[CLONE_VOICE]["gender"] is None
        assert voices[CLONE_VOICE]["dialect"] is None
        assert voices[CLONE_VOICE]["type"] is None
        assert OPAQUE_VOICE in voices
        async with session.get(f"{fake.api_url}/models", headers=headers) as resp:
            models = await resp.json()
        assert [m["model_id"] for m in models] == ["faseeh-v1-preview", "faseeh-mini-v1-preview"]
