"""Quick self-tests of the fakes with raw clients: prove the protocol and the knobs work."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .audio import mulaw_encode, pcm_for_text, wav_header_streaming
from .blackhole import BlackHole
from .faseeh import FakeFaseeh
from .faseeh import Fault as FaseehFault
from .hamsa import (
    ABORTED_MESSAGE,
    DEFAULT_CONNECT_MIN_INTERVAL,
    INSUFFICIENT_FUNDS_MESSAGE,
    INVALID_FORMAT_MESSAGE,
    INVALID_PAYLOAD_MESSAGE,
    KEY_INACTIVE_MESSAGE,
    NOT_OWNED_MESSAGE,
    NOT_SUPPORTED_MESSAGE,
    PROJECT_ID,
    QUOTA_BODY,
    RATE_LIMIT_BODY,
    RATE_LIMIT_MESSAGE,
    SPEAKER_REQUIRED_BODY,
    TTS_STREAM_PATH,
    USAGE_LIMIT_MESSAGE,
    FakeHamsa,
    Fault,
)
from .hamsa_catalog import TTS_STREAM_SPEAKERS
from .timing import TimingLog, frame_due

HANG_GUARD = 20.0  # only bounds a hang: a slow, busy machine may take seconds

try:
    import pytest_socket  # noqa: F401
except ImportError:  # plain pytest: sockets are not blocked
    pass
else:
    pytestmark = pytest.mark.usefixtures("socket_enabled")

TEXT = "مرحبا بك في خدمة همسة"
VOICE_UUID = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def tts(text: str = TEXT, speaker: str = "Salem", **extra: Any) -> str:
    """A Hamsa tts request as the client sends it."""
    payload: dict[str, Any] = {"text": text, "speaker": speaker, "dialect": "msa"}
    payload |= {"languageId": "ar", "mulaw": False, **extra}
    return json.dumps({"type": "tts", "payload": payload})


async def hamsa_reply(ws: ClientConnection) -> tuple[list[dict[str, Any]], list[bytes]]:
    """JSON messages and binary frames up to and including end/error."""
    messages: list[dict[str, Any]] = []
    frames: list[bytes] = []
    async with asyncio.timeout(HANG_GUARD):
        while True:
            raw = await ws.recv()
            if isinstance(raw, bytes):
                frames.append(raw)
                continue
            obj = json.loads(raw)
            messages.append(obj)
            if obj["type"] in ("end", "error"):
                return messages, frames


async def closed_with(ws: ClientConnection) -> ConnectionClosed:
    """Wait for the server to end the connection; return the exception."""
    async with asyncio.timeout(HANG_GUARD):
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await ws.recv()
    return info.value


async def test_hamsa_reply_exact_bytes_and_sequential_requests() -> None:
    async with FakeHamsa() as fake:
        fake.frame_sizes = [333, 1001]
        async with connect(fake.ws_url, additional_headers={"X-Api-Key": "hamsa-key"}) as ws:
            info = json.loads(await ws.recv())
            assert info == {
                "type": "info",
                "payload": {"message": "Connected to realtime WebSocket server"},
            }
            await ws.send(tts())
            messages, frames = await hamsa_reply(ws)
            assert [m["type"] for m in messages] == ["ack", "end"]
            assert b"".join(frames) == pcm_for_text(TEXT, 16000)
            assert [len(f) for f in frames[:3]] == [333, 1001, 333]
            await ws.send(tts("ثانية", mulaw=True))
            _, frames = await hamsa_reply(ws)
            assert b"".join(frames) == mulaw_encode(pcm_for_text("ثانية", 8000))
        assert fake.connections[0].key_via == "header"
        assert [r["text"] for r in fake.requests] == [TEXT, "ثانية"]
        assert fake.requests[1]["connection_index"] == 0


async def test_hamsa_bad_key_closes_4001() -> None:
    async with FakeHamsa() as fake, connect(f"{fake.ws_url}?api_key=wrong") as ws:
        closed = await closed_with(ws)
        assert closed.rcvd is not None
        assert (closed.rcvd.code, closed.rcvd.reason) == (4001, "Invalid API key")
        assert fake.connections[0].key_via == "query"


async def test_hamsa_wav_header_glued_to_first_frame() -> None:
    async with FakeHamsa() as fake:
        fake.wav_header = True
        fake.send_info = False
        async with connect(f"{fake.ws_url}?api_key=hamsa-key") as ws:
            await ws.send(tts())
            _, frames = await hamsa_reply(ws)
    header = wav_header_streaming(22050)
    assert frames[0].startswith(header)
    assert b"".join(frames) == header + pcm_for_text(TEXT, 22050)


async def test_hamsa_faults_and_validation_keep_socket_open() -> None:
    async with FakeHamsa() as fake:
        fake.faults = [Fault.short_reply(), Fault.error("boom")]
        fake.send_info = False
        async with connect(f"{fake.ws_url}?api_key=hamsa-key") as ws:
            await ws.send(tts(speaker="Nobody"))  # invalid: does not consume a fault
            messages, _ = await hamsa_reply(ws)
            assert messages[-1]["payload"]["message"] == "TTS stream error: aborted"
            await ws.send(tts())
            messages, frames = await hamsa_reply(ws)
            assert [m["type"] for m in messages] == ["ack", "end"]
            assert frames == [pcm_for_text(TEXT, 16000)[:640]]
            await ws.send(tts())
            messages, frames = await hamsa_reply(ws)
            assert (messages[-1]["type"], frames) == ("error", [])
            await ws.send(tts(text=""))
            messages, _ = await hamsa_reply(ws)
            assert messages[-1]["payload"]["message"] == "Text is required"
            await ws.send(tts())
            _, frames = await hamsa_reply(ws)
            assert b"".join(frames) == pcm_for_text(TEXT, 16000)


async def test_hamsa_close_drop_idle_wallet() -> None:
    async with FakeHamsa(empty_wallet_keys={"broke"}) as fake:
        fake.send_info = False
        fake.connect_min_interval = None  # the connection-rate limit is checked below
        fake.faults = [Fault.close(4500, "internal"), Fault.drop_after_bytes(100)]
        url = f"{fake.ws_url}?api_key=hamsa-key"
        async with connect(url) as ws:
            await ws.send(tts())
            assert (await closed_with(ws)).rcvd.code == 4500  # type: ignore[union-attr]
        async with connect(url) as ws:
            await ws.send(tts())
            closed = await closed_with(ws)
            assert closed.rcvd is None  # no close frame: TCP was dropped
        async with connect(url) as ws:
            async with asyncio.timeout(HANG_GUARD):
                while fake.open_connections < 1:  # noqa: ASYNC110 (the fake offers no event)
                    await asyncio.sleep(0.01)
            assert await fake.close_all_idle() == 1
            assert (await closed_with(ws)).rcvd.code == 1000  # type: ignore[union-attr]
        fake.idle_close_after = 0.1
        async with connect(url) as ws:
            assert (await closed_with(ws)).rcvd.code == 1000  # type: ignore[union-attr]
        fake.idle_close_after = None
        async with connect(f"{fake.ws_url}?api_key=broke") as ws:
            await ws.send(tts())
            assert (await closed_with(ws)).rcvd.code == 4003  # type: ignore[union-attr]
        assert fake.connections[1].aborted


async def test_hamsa_stall_then_stop_leaves_no_tasks() -> None:
    before = asyncio.all_tasks()
    fake = FakeHamsa()
    async with fake:
        fake.faults = [Fault.stall_after_bytes(10)]
        fake.send_info = False
        async with connect(f"{fake.ws_url}?api_key=hamsa-key") as ws:
            await ws.send(tts())
            assert json.loads(await ws.recv())["type"] == "ack"
            assert len(await ws.recv()) == 10
            await fake.stop()
            assert (await closed_with(ws)).rcvd.code == 1001  # type: ignore[union-attr]
    await asyncio.sleep(0)
    assert asyncio.all_tasks() <= before


async def test_hamsa_rest_preload_and_custom_voice() -> None:
    async with FakeHamsa() as fake, aiohttp.ClientSession() as session:
        auth = {"Authorization": "Token hamsa-key"}
        url = f"{fake.api_url}/v2/tts/voices/custom/preload"
        async with session.post(url, json={"voiceId": VOICE_UUID}, headers=auth) as resp:
            assert resp.status == 404
        fake.custom_voices[VOICE_UUID] = "My voice"
        async with session.post(url, json={"voiceId": "nope"}, headers=auth) as resp:
            assert resp.status == 400
        bearer = {"Authorization": "Bearer hamsa-key"}
        async with session.post(url, json={"voiceId": VOICE_UUID}, headers=bearer) as resp:
            assert (resp.status, await resp.json()) == (
                401,
                {"success": False, "code": 401, "message": "Unauthorized"},
            )
        async with session.post(url, json={"voiceId": VOICE_UUID}, headers=auth) as resp:
            assert resp.status == 200
            assert (await resp.json())["success"] is True
        async with session.get(f"{fake.api_url}/v2/tts/voices/catalog", headers=auth) as resp:
            names = {v["name"] for v in (await resp.json())["voices"]}
            assert {"Salem", "Mariam", "Amjad"} <= names
        fake.list_builtins = False
        voices_url = f"{fake.api_url}/v2/tts/voices?page=1&perPage=20"
        async with session.get(voices_url, headers=auth) as resp:
            assert (await resp.json())["data"] == {
                "voices": [{"id": VOICE_UUID, "name": "My voice", "dialect": None}],
                "total": 1,
                "page": 1,
                "perPage": 20,
            }
        fake.preload_status = 500
        async with session.post(url, json={"voiceId": VOICE_UUID}, headers=auth) as resp:
            assert resp.status == 500
        async with connect(fake.ws_url, additional_headers={"X-Api-Key": "hamsa-key"}) as ws:
            await ws.recv()
            await ws.send(tts(speaker=VOICE_UUID))
            _, frames = await hamsa_reply(ws)
            assert b"".join(frames) == pcm_for_text(TEXT, 16000)
        assert [r.status for r in fake.rest_requests][:4] == [404, 400, 401, 200]


async def test_hamsa_catalogue_is_bcp47_and_voices_list_has_builtins_with_ids() -> None:
    """The catalogue tags voices with BCP-47, one id per speaker and accent; the voices list
    holds those built-ins beside the clones, and a built-in id is no clone to preload."""
    async with FakeHamsa() as fake, aiohttp.ClientSession() as session:
        auth = {"Authorization": "Token hamsa-key"}
        fake.custom_voices[VOICE_UUID] = "Grandma"
        async with session.get(f"{fake.api_url}/v2/tts/voices/catalog", headers=auth) as resp:
            catalog = (await resp.json())["voices"]
        tags = {(v["name"], v["language"]) for v in catalog}
        assert {("Mariam", "ar-EG"), ("Hiba", "ar-SA"), ("Ali", "ar-PS"), ("Ali", "ar-EG")} <= tags
        assert {("Salem", "ar"), ("Khalid", "ar-sa"), ("Emma", "en"), ("Marwan", "ar-LB")} <= tags
        jasem = {v["id"] for v in catalog if v["name"] == "Jasem"}
        assert len(jasem) == 2  # jor and ksa: one id each
        names = {v["name"] for v in catalog}
        assert set(TTS_STREAM_SPEAKERS) <= names
        assert {"Tamer", "Marwan", "Lamees", "Noura", "Adam", "Salem", "Khalid"} <= names
        assert len(names) == 55
        url = f"{fake.api_url}/v2/tts/voices?q=&page=1&perPage=100&source=jobs&projectId=p"
        async with session.get(url, headers=auth) as resp:
            data = (await resp.json())["data"]
        listed = {v["id"]: v for v in data["voices"]}
        mariam = fake.voice_id("Mariam", "egy")
        assert listed[mariam] == {
            "id": mariam,
            "name": "Mariam",
            "dialect": {"languageCode": "ar-EG"},
        }
        assert listed[VOICE_UUID] == {"id": VOICE_UUID, "name": "Grandma", "dialect": None}
        assert data["total"] == len(catalog) + 1
        assert fake.rest_requests[-1].query["projectId"] == "p"
        async with session.get(
            f"{fake.api_url}/v2/tts/voices?page=3&perPage=20", headers=auth
        ) as resp:
            assert len((await resp.json())["data"]["voices"]) == len(catalog) + 1 - 40
        preload = f"{fake.api_url}/v2/tts/voices/custom/preload"
        async with session.post(preload, json={"voiceId": mariam}, headers=auth) as resp:
            assert (resp.status, (await resp.json())["code"]) == (404, 404)
        async with session.get(f"{fake.api_url}/v1/projects/by-api-key", headers=auth) as resp:
            assert (await resp.json())["data"]["id"] == PROJECT_ID


async def test_hamsa_speakers_by_name_in_any_dialect_or_by_id() -> None:
    async with FakeHamsa() as fake:
        fake.send_info = False
        hiba_ksa = fake.voice_id("Hiba", "ksa")
        async with connect(fake.ws_url, additional_headers={"X-Api-Key": "hamsa-key"}) as ws:
            for speaker, dialect in (("Mariam", "ksa"), ("Ali", "pls"), (hiba_ksa, "ksa")):
                await ws.send(tts(speaker=speaker, dialect=dialect))
                messages, frames = await hamsa_reply(ws)
                assert [m["type"] for m in messages] == ["ack", "end"]
                assert b"".join(frames) == pcm_for_text(TEXT, 16000)
            for speaker, dialect in (("Zaid", "msa"), ("mariam", "egy"), ("Mariam", "xyz")):
                await ws.send(tts(speaker=speaker, dialect=dialect))
                messages, _ = await hamsa_reply(ws)
                assert messages[-1]["payload"]["message"] == ABORTED_MESSAGE
            fake.accept_ids = False
            await ws.send(tts(speaker=hiba_ksa, dialect="ksa"))
            messages, _ = await hamsa_reply(ws)
            assert messages[-1]["payload"]["message"] == ABORTED_MESSAGE
        assert [(r["voice_name"], r["dialect"]) for r in fake.requests[:3]] == [
            ("Mariam", "ksa"),
            ("Ali", "pls"),
            ("Hiba", "ksa"),
        ]
        assert fake.requests[3]["voice_name"] is None


@pytest.mark.parametrize(
    "message",
    [
        RATE_LIMIT_MESSAGE,
        USAGE_LIMIT_MESSAGE,
        INSUFFICIENT_FUNDS_MESSAGE,
        KEY_INACTIVE_MESSAGE,
        NOT_OWNED_MESSAGE,
        INVALID_PAYLOAD_MESSAGE,
        INVALID_FORMAT_MESSAGE,
        NOT_SUPPORTED_MESSAGE,
        ABORTED_MESSAGE,
    ],
)
async def test_hamsa_error_texts_verbatim(message: str) -> None:
    async with FakeHamsa() as fake:
        fake.send_info = False
        fake.faults = [Fault.error(message)]
        async with connect(fake.ws_url, additional_headers={"X-Api-Key": "hamsa-key"}) as ws:
            await ws.send(tts())
            messages, frames = await hamsa_reply(ws)
            assert messages == [
                {
                    "type": "ack",
                    "payload": {"message": "Real time text to speach connection establesh"},
                },
                {"type": "error", "payload": {"message": message}},
            ]
            assert frames == []


@pytest.mark.parametrize("answer", [QUOTA_BODY, RATE_LIMIT_BODY, SPEAKER_REQUIRED_BODY])
async def test_hamsa_rest_error_bodies_verbatim(answer: tuple[int, dict[str, Any]]) -> None:
    async with FakeHamsa() as fake, aiohttp.ClientSession() as session:
        fake.rest_errors["/v1/projects/by-api-key"] = answer
        auth = {"Authorization": "Token hamsa-key"}
        async with session.get(f"{fake.api_url}/v1/projects/by-api-key", headers=auth) as resp:
            assert (resp.status, await resp.json()) == answer


async def test_hamsa_connection_rate_limit_gives_a_640_byte_first_reply() -> None:
    """A connection opened too soon after the previous one: its first reply is 640 bytes."""
    async with FakeHamsa() as fake:
        fake.send_info = False
        fake.connect_min_interval = 0.3
        headers = {"X-Api-Key": "hamsa-key"}
        async with connect(fake.ws_url, additional_headers=headers) as first:
            async with connect(fake.ws_url, additional_headers=headers) as second:
                await second.send(tts())
                messages, frames = await hamsa_reply(second)
                assert [m["type"] for m in messages] == ["ack", "end"]
                assert frames == [pcm_for_text(TEXT, 16000)[:640]]
                await second.send(tts())  # only the first request is cut short
                _, frames = await hamsa_reply(second)
                assert b"".join(frames) == pcm_for_text(TEXT, 16000)
            await first.send(tts())
            _, frames = await hamsa_reply(first)
            assert b"".join(frames) == pcm_for_text(TEXT, 16000)
            await asyncio.sleep(0.35)
            async with connect(fake.ws_url, additional_headers=headers) as third:
                await third.send(tts())
                _, frames = await hamsa_reply(third)
                assert b"".join(frames) == pcm_for_text(TEXT, 16000)
        assert [c.throttled for c in fake.connections] == [False, True, False]
        assert fake.short_replies == [1]


async def test_hamsa_rate_limit_is_on_by_default_and_keeps_queued_faults() -> None:
    """Connections opened less than 1 s apart glitch unless a test says otherwise; the
    glitch does not eat a fault queued for the next real reply."""
    async with FakeHamsa() as fake:
        assert fake.connect_min_interval == DEFAULT_CONNECT_MIN_INTERVAL == 1.0
        fake.send_info = False
        fake.faults = [Fault.error("boom")]
        headers = {"X-Api-Key": "hamsa-key"}
        async with (
            connect(fake.ws_url, additional_headers=headers),
            connect(fake.ws_url, additional_headers=headers) as second,
        ):
            await second.send(tts())
            _, frames = await hamsa_reply(second)
            assert frames == [pcm_for_text(TEXT, 16000)[:640]]
            await second.send(tts())
            messages, _ = await hamsa_reply(second)
            assert messages[-1] == {"type": "error", "payload": {"message": "boom"}}
        assert [c.throttled for c in fake.connections] == [False, True]


async def test_hamsa_rest_stream_speaks_like_the_socket_and_plays_its_faults() -> None:
    """POST /v1/realtime/tts-stream: Token auth, the socket's validation, chunked PCM at
    16 kHz (the same bytes), {code, message} errors, and one-shot stall/drop faults."""
    async with FakeHamsa() as fake, aiohttp.ClientSession() as session:
        url = f"{fake.api_url}{TTS_STREAM_PATH}"
        auth = {"Authorization": "Token hamsa-key"}
        body = {"speaker": "Mariam", "dialect": "egy", "text": TEXT, "mulaw": False}
        async with session.post(url, json=body, headers=auth) as resp:
            assert resp.status == 200
            assert await resp.read() == pcm_for_text(TEXT, 16000)
        async with session.post(url, json=body) as resp:
            assert (resp.status, (await resp.json())["code"]) == (401, 401)
        unknown = {**body, "speaker": "Nobody"}
        async with session.post(url, json=unknown, headers=auth) as resp:
            assert (resp.status, (await resp.json())["message"]) == (400, ABORTED_MESSAGE)
        fake.rest_faults = [Fault.drop_after_bytes(100)]
        with pytest.raises(aiohttp.ClientPayloadError):
            async with session.post(url, json=body, headers=auth) as resp:
                await resp.read()
        fake.rest_faults = [Fault.stall_after_bytes(200)]
        async with session.post(url, json=body, headers=auth) as resp:
            assert len(await resp.content.readexactly(200)) == 200
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await resp.content.read(1)
    assert [r["transport"] for r in fake.requests] == ["rest"] * 4
    assert [r["voice_name"] for r in fake.requests] == ["Mariam", None, "Mariam", "Mariam"]


async def test_the_black_hole_accepts_tcp_and_never_answers() -> None:
    """No TLS, no HTTP, no WebSocket handshake: a client gives up on its own clock."""
    async with BlackHole() as hole, aiohttp.ClientSession() as session:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await connect(hole.ws_url("/v1/realtime/ws"), open_timeout=None)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await session.get(hole.http_url + "/v1/projects/by-api-key")
        assert hole.accepted == 2
    assert hole.open == 0  # every connection let go when the hole stopped


async def test_hamsa_realtime_pacing_and_timing_log() -> None:
    """realtime_factor paces frames on an absolute schedule; the log has every frame."""
    async with FakeHamsa() as fake:
        fake.send_info = False
        fake.frame_sizes = [3200]  # 100 ms of 16 kHz audio per frame
        fake.realtime_factor = 10.0  # so one frame every 10 ms
        fake.timing = TimingLog()
        text = TEXT * 2  # 42 characters: 0.84 s of audio, 9 frames
        async with connect(fake.ws_url, additional_headers={"X-Api-Key": "hamsa-key"}) as ws:
            await ws.send(tts(text))
            _, frames = await hamsa_reply(ws)
    assert b"".join(frames) == pcm_for_text(text, 16000)
    requests, sent = fake.timing.drain()
    assert [r.text for r in requests] == [text]
    assert [(f.offset, f.size) for f in sent] == [
        (0, 3200),
        *((n * 3200, 3200) for n in range(1, 8)),
        (25600, 1280),
    ]
    assert all(f.text == text for f in sent)
    gaps = [b.time - sent[0].time for b in sent[1:]]
    # Never early: pacing is on. How late depends on the machine, so the schedule itself
    # is checked where it is computed: absolute, 10 ms per 3200 bytes at 10x real time,
    # so a late wake-up pushes no later frame back.
    assert all(gap >= n * 0.01 - 0.002 for n, gap in enumerate(gaps, start=1))
    assert [frame_due(5.0, f.offset, 32000, 10.0) for f in sent] == pytest.approx(
        [5.0 + n * 0.01 for n in range(8)] + [5.0 + 25600 / 320000]
    )
    assert fake.timing.drain() == ([], [])


async def faseeh_audio(ws: ClientConnection) -> tuple[list[bytes], list[dict[str, Any]]]:
    """Decoded chunks up to isFinal, or the error that ended the generation."""
    chunks: list[bytes] = []
    async with asyncio.timeout(HANG_GUARD):
        while True:
            obj = json.loads(await ws.recv())
            if "audio" not in obj:
                return chunks, [obj]
            if obj["isFinal"]:
                return chunks, [obj]
            chunks.append(base64.b64decode(obj["audio"]))


INIT: dict[str, Any] = {"type": "initConnection", "model_id": "faseeh-mini-v1-preview"}
INIT |= {"voice_id": "ar-najdi-male-2", "voice_settings": {"stability": 0.5}}
# The socket takes its key in initConnection (a header alone is refused: see test_faseeh_fake).
KEYED_INIT = {**INIT, "x_api_key": "faseeh-key"}
FASEEH_TEXT = "مرحبا بك في فصيح كيف يمكنني مساعدتك اليوم"


async def test_faseeh_init_text_audio_exact_bytes() -> None:
    async with FakeFaseeh() as fake:
        fake.frame_sizes = [4801]
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps(KEYED_INIT))
            assert json.loads(await ws.recv()) == {"type": "connectionInitialized"}
            head, tail = FASEEH_TEXT[:10], FASEEH_TEXT[10:]
            await ws.send(json.dumps({"type": "text", "text": head}))
            await ws.send(
                json.dumps({"type": "text", "text": tail + "  ", "try_trigger_generation": True})
            )
            chunks, end = await faseeh_audio(ws)
            assert end == [{"audio": "", "sampleRate": 24000, "isFinal": True}]
            assert len(chunks[0]) == 4801
            assert b"".join(chunks) == pcm_for_text(FASEEH_TEXT, 24000)
            await ws.send(
                json.dumps({"type": "text", "text": TEXT, "try_trigger_generation": True})
            )
            chunks, _ = await faseeh_audio(ws)
            assert b"".join(chunks) == pcm_for_text(TEXT, 24000)
            await ws.send(json.dumps({"type": "closeConnection"}))
            assert (await closed_with(ws)).rcvd.code == 1000  # type: ignore[union-attr]
        assert [g.text for g in fake.generations] == [FASEEH_TEXT, TEXT]
        assert fake.generations[0] == (
            0,
            FASEEH_TEXT,
            "faseeh-mini-v1-preview",
            "ar-najdi-male-2",
            {"stability": 0.5},
            "websocket",
            24000,
            None,
        )
        spent = (len(FASEEH_TEXT) + len(TEXT)) * 0.0001
        assert fake.balance("faseeh-key") == pytest.approx(100.0 - spent)


async def test_faseeh_realtime_pacing_and_timing_log() -> None:
    async with FakeFaseeh() as fake:
        fake.frame_sizes = [4800]  # 100 ms of 24 kHz audio per frame
        fake.realtime_factor = 10.0
        fake.timing = TimingLog()
        async with connect(fake.ws_url) as ws:
            await ws.send(json.dumps(KEYED_INIT))
            assert json.loads(await ws.recv()) == {"type": "connectionInitialized"}
            await ws.send(
                json.dumps({"type": "text", "text": FASEEH_TEXT, "try_trigger_generation": True})
            )
            chunks, _ = await faseeh_audio(ws)
    assert b"".join(chunks) == pcm_for_text(FASEEH_TEXT, 24000)
    requests, sent = fake.timing.drain()
    assert [r.text for r in requests] == [FASEEH_TEXT]
    assert [f.offset for f in sent] == [n * 4800 for n in range(len(chunks))]
    assert sum(f.size for f in sent) == len(b"".join(chunks))
    gaps = [b.time - sent[0].time for b in sent[1:]]
    assert all(gap >= n * 0.01 - 0.002 for n, gap in enumerate(gaps, start=1))


async def test_faseeh_errors_and_key_paths() -> None:
    async with FakeFaseeh(balances={"poor": 0.001}, valid_keys={"faseeh-key", "poor"}) as fake:
        fake.forbidden_models = {"faseeh-v1-preview"}
        async with connect(fake.ws_url) as ws:  # key in initConnection
            await ws.send(json.dumps({**INIT, "model_id": "nope", "x_api_key": "faseeh-key"}))
            assert json.loads(await ws.recv()) == {"type": "error", "message": "Model not found"}
            await ws.send(json.dumps({"type": "text", "text": FASEEH_TEXT}))
            assert json.loads(await ws.recv())["message"] == "Connection not initialized"
            await ws.send(json.dumps({**INIT, "model_id": "faseeh-v1-preview"}))
            assert json.loads(await ws.recv())["errorCode"] == 40301
            await ws.send(json.dumps({**INIT, "voice_id": "nope"}))
            assert json.loads(await ws.recv())["message"] == "Voice not found"
            legacy = {"voice_id": "ar-kuwaiti-male-1", "model_id": "faseeh-mini-v1-preview"}
            await ws.send(json.dumps({**legacy, "stability": 0.3}))
            assert json.loads(await ws.recv()) == {"type": "connectionInitialized"}
            await ws.send(
                json.dumps({"type": "text", "text": "قصير", "try_trigger_generation": True})
            )
            assert json.loads(await ws.recv()) == {
                "errorCode": 40001,
                "errorMessage": "Text must have at least 3 words and 10 characters",
            }
            fake.faults = [FaseehFault.error_code(50001, "Internal error")]
            await ws.send(
                json.dumps({"type": "text", "text": TEXT, "try_trigger_generation": True})
            )
            assert json.loads(await ws.recv())["errorCode"] == 50001
        assert fake.connections[0].key_via == "init"
        async with connect(f"{fake.ws_url}?x-api-key=poor") as ws:
            await ws.send(json.dumps(INIT))
            await ws.recv()
            await ws.send(
                json.dumps({"type": "text", "text": TEXT, "try_trigger_generation": True})
            )
            assert json.loads(await ws.recv()) == {
                "errorCode": 40201,
                "errorMessage": "Insufficient wallet balance. Required: $0.00, Available: $0.00",
            }
        async with connect(f"{fake.ws_url}?x-api-key=bad") as ws:
            assert json.loads(await ws.recv()) == {
                "errorCode": 40101,
                "errorMessage": "Invalid API key",
            }
            assert (await closed_with(ws)).rcvd.code == 1008  # type: ignore[union-attr]


async def test_faseeh_concurrency_limit() -> None:
    async with FakeFaseeh(concurrency_limit=2) as fake:
        fake.faults = [FaseehFault.stall_after_bytes(100), FaseehFault.stall_after_bytes(100)]
        sockets = [await connect(fake.ws_url) for _ in range(3)]
        try:
            for ws in sockets:
                await ws.send(json.dumps(KEYED_INIT))
                await ws.recv()
            trigger = json.dumps({"type": "text", "text": TEXT, "try_trigger_generation": True})
            for ws in sockets[:2]:
                await ws.send(trigger)
                chunk = json.loads(await ws.recv())
                assert len(base64.b64decode(chunk["audio"])) == 100
            await sockets[2].send(trigger)
            assert json.loads(await sockets[2].recv()) == {
                "errorCode": 42901,
                "errorMessage": "Concurrency limit exceeded",
            }
        finally:
            for ws in sockets:
                await ws.close()


async def test_faseeh_rest() -> None:
    async with FakeFaseeh() as fake, aiohttp.ClientSession() as session:
        async with session.get(f"{fake.api_url}/models") as resp:
            assert (resp.status, await resp.json()) == (
                401,
                {"errorCode": 40101, "errorMessage": "Invalid API key"},
            )
        headers = {"x-api-key": "faseeh-key"}
        async with session.get(f"{fake.api_url}/models", headers=headers) as resp:
            models = [m["model_id"] for m in await resp.json()]
            assert models == ["faseeh-v1-preview", "faseeh-mini-v1-preview"]
        async with session.get(f"{fake.api_url}/voices", headers=headers) as resp:
            voices = {v["voice_id"]: v["name"] for v in await resp.json()}
            assert voices["ar-najdi-male-2"] == "Fahad"
            assert voices["ar-hijazi-female-2"] == "Noura"
        fake.rest_status_override["/api/v1/models"] = 500
        async with session.get(f"{fake.api_url}/models", headers=headers) as resp:
            assert resp.status == 500
        assert [r.status for r in fake.rest_requests] == [401, 200, 200, 500]
