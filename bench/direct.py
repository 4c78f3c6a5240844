"""The floor: the least a client can do to get speech from the providers.

A bare WebSocket client per provider (and a bare streaming HTTP client for Faseeh's REST
transport), no pool logic, no re-chunking, no relay: it sends the request and timestamps
every frame as it arrives. Used by the floor process
(bench/floor.py) beside our Wyoming server, and inside Home Assistant's loop by
bench/test_ha_latency.py beside our TTS entity.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect

from .trace import Trace

HAMSA_BYTES_PER_SECOND = 2 * 16000
REPLY_GUARD = 60.0  # a hung fake ends the request instead of the benchmark
OPEN_GUARD = 30.0

FASEEH_INIT: dict[str, Any] = {
    "type": "initConnection",
    "model_id": "faseeh-v1-preview",
    "voice_id": "ar-najdi-male-2",
}
FASEEH_RATE = 24000


async def open_hamsa(url: str, key: str) -> ClientConnection:
    """A socket ready for requests (the optional ``info`` greeting is read by requests)."""
    async with asyncio.timeout(OPEN_GUARD):
        return await connect(
            url, additional_headers={"X-Api-Key": key}, compression=None, max_size=None
        )


async def hamsa_request(
    ws: ClientConnection, text: str, *, speaker: str = "Salem", dialect: str = "msa"
) -> Trace:
    """One Hamsa request on an open socket; every binary frame timestamped."""
    request = {
        "type": "tts",
        "payload": {
            "text": text,
            "speaker": speaker,
            "dialect": dialect,
            "languageId": "ar",
            "mulaw": False,
        },
    }
    trace = Trace(text=text, t0=time.monotonic(), bytes_per_second=HAMSA_BYTES_PER_SECOND)
    await ws.send(json.dumps(request, ensure_ascii=False))
    received = 0
    async with asyncio.timeout(REPLY_GUARD):
        while True:
            message = await ws.recv()
            now = time.monotonic()
            if isinstance(message, bytes):
                received += len(message)
                trace.arrivals.append((received, now))
                continue
            kind = json.loads(message).get("type")
            if kind == "end":
                break
            if kind == "error":
                trace.error = str(message)
                break
    trace.t_end = time.monotonic()
    return trace


async def hamsa_cold_request(url: str, key: str, text: str) -> Trace:
    """Connect (paying the handshake), request, close: a client with no warm socket."""
    t0 = time.monotonic()
    ws = await open_hamsa(url, key)
    try:
        trace = await hamsa_request(ws, text)
    finally:
        await ws.close()
    trace.t0 = t0
    return trace


async def open_faseeh(url: str, key: str) -> ClientConnection:
    """A socket initialised for the default model and voice (the key in initConnection)."""
    async with asyncio.timeout(OPEN_GUARD):
        ws = await connect(url, compression=None, max_size=None)
        await ws.send(json.dumps({**FASEEH_INIT, "x_api_key": key}))
        while True:
            data = json.loads(await ws.recv())
            if data.get("type") == "connectionInitialized":
                return ws
            if "errorCode" in data or data.get("type") == "error":
                await ws.close()
                raise RuntimeError(f"Faseeh refused initConnection: {data}")


async def faseeh_request(ws: ClientConnection, text: str) -> Trace:
    """One Faseeh generation on an initialised socket; every audio message timestamped."""
    trace = Trace(text=text, t0=time.monotonic())
    message = {"type": "text", "text": text, "try_trigger_generation": True, "flush": True}
    await ws.send(json.dumps(message, ensure_ascii=False))
    received = 0
    async with asyncio.timeout(REPLY_GUARD):
        while True:
            raw = await ws.recv()
            now = time.monotonic()
            data = json.loads(raw)
            if "audio" not in data:
                trace.error = str(raw)
                break
            if data["audio"]:
                received += len(base64.b64decode(data["audio"]))
                trace.bytes_per_second = 2 * int(data.get("sampleRate") or 24000)
                trace.arrivals.append((received, now))
            if data.get("isFinal"):
                break
    trace.t_end = time.monotonic()
    return trace


async def faseeh_rest_request(
    session: aiohttp.ClientSession, api_url: str, key: str, text: str
) -> Trace:
    """One Faseeh generation over REST streaming on a kept-alive connection."""
    body = {
        "voice_id": FASEEH_INIT["voice_id"],
        "text": text,
        "stability": 0.5,
        "speed": 1.0,
        "streaming": True,
        "sample_rate": FASEEH_RATE,
        "dialect": "auto",
    }
    trace = Trace(text=text, t0=time.monotonic(), bytes_per_second=2 * FASEEH_RATE)
    url = f"{api_url}/text-to-speech/{FASEEH_INIT['model_id']}"
    received = 0
    async with (
        asyncio.timeout(REPLY_GUARD),
        session.post(url, json=body, headers={"x-api-key": key}) as response,
    ):
        if response.status != 200:
            trace.error = f"{response.status} {await response.text()}"
            return trace
        async for data in response.content.iter_any():
            received += len(data)
            trace.arrivals.append((received, time.monotonic()))
    trace.t_end = time.monotonic()
    return trace


async def faseeh_cold_request(url: str, key: str, text: str) -> Trace:
    """Connect and initialise (paying both), generate, close."""
    t0 = time.monotonic()
    ws = await open_faseeh(url, key)
    try:
        trace = await faseeh_request(ws, text)
    finally:
        await ws.close()
    trace.t0 = t0
    return trace
