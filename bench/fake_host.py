"""Child process: the fake Hamsa and Faseeh with realistic timing and a timing log.

``python -m bench.fake_host '<ProviderTiming JSON>'`` prints its URLs and keys (and a
black hole's: an address that accepts TCP and never answers), then answers commands on
stdin: ``drain`` (requests and frames logged since the last drain), ``pace`` (change the
realtime factor; null sends frames as fast as possible), ``frames`` (Hamsa's frame size
in bytes), ``connections`` (open sockets per provider), ``arrange`` (the faults of one
"first audio under faults" row or of the soak; see ``arrange``), ``reset`` (back to a
healthy provider), ``stats`` (what the fakes saw since the last reset), ``quit``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from tests.fakes import faseeh as faseeh_fake
from tests.fakes import hamsa as hamsa_fake
from tests.fakes.blackhole import BlackHole
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import DEFAULT_CONNECT_MIN_INTERVAL, FakeHamsa
from tests.fakes.timing import TimingLog

from .config import ProviderTiming
from .ipc import serve

HAMSA_KEY = "bench-hamsa-key"
FASEEH_KEY = "bench-faseeh-key"


def configure(hamsa: FakeHamsa, faseeh: FakeFaseeh, timing: ProviderTiming) -> None:
    """Apply the run's provider timing to both fakes and start their timing logs."""
    for fake in (hamsa, faseeh):
        fake.handshake_delay = timing.handshake_delay
        fake.first_audio_delay = timing.first_audio_delay
        fake.realtime_factor = timing.realtime_factor
        fake.timing = TimingLog()
    hamsa.frame_sizes = [timing.hamsa_frame_bytes]
    faseeh.frame_sizes = [timing.faseeh_frame_bytes]
    faseeh.concurrency_limit = 10_000  # a plan limit is not what we measure
    faseeh.balances = {FASEEH_KEY: 1e12}
    reset(hamsa, faseeh)


# Connections opened before the last reset: "open since reset" leaves them out.
_BASE = {"hamsa": 0, "faseeh": 0}


def reset(hamsa: FakeHamsa, faseeh: FakeFaseeh) -> None:
    """Healthy providers. The relay figures run the server unpaced (its flag), so the
    fake's connection-rate glitch is off for them; ``arrange`` turns it back on."""
    _BASE.update(hamsa=len(hamsa.connections), faseeh=len(faseeh.connections))
    hamsa.connect_min_interval = None
    for fake in (hamsa, faseeh):
        fake.faults.clear()
        fake.random_faults = 0.0
    hamsa.rest_faults.clear()
    hamsa.requests.clear()
    hamsa.short_replies.clear()
    faseeh.silent_socket = False
    faseeh.generations.clear()
    faseeh.silent_texts.clear()
    for fake in (hamsa, faseeh):
        if fake.timing is not None:
            fake.timing.drain()  # the issue-18 figures keep no frame log


def arrange(hamsa: FakeHamsa, faseeh: FakeFaseeh, plan: dict[str, Any]) -> None:
    """One row's provider behaviour, on top of ``reset``. Keys of ``plan``:

    ``rate_limit`` (bool: connections < 1 s apart answer 640 bytes, as the evidence
    suggests; on for every issue-18 row), ``hamsa_socket_faults`` / ``hamsa_rest_faults``
    / ``faseeh_faults`` (lists of Fault fields, e.g. ``{"kind": "stall_after_bytes",
    "n": 0}``, each used once, in order), ``faseeh_silent_socket`` (bool), and
    ``random_faults`` (a share of every provider request that gets one of the soak's
    faults).
    """
    reset(hamsa, faseeh)
    if plan.get("rate_limit"):
        hamsa.connect_min_interval = DEFAULT_CONNECT_MIN_INTERVAL
    hamsa.faults.extend(hamsa_fake.Fault(**f) for f in plan.get("hamsa_socket_faults", []))
    hamsa.rest_faults.extend(hamsa_fake.Fault(**f) for f in plan.get("hamsa_rest_faults", []))
    faseeh.faults.extend(faseeh_fake.Fault(**f) for f in plan.get("faseeh_faults", []))
    faseeh.silent_socket = bool(plan.get("faseeh_silent_socket"))
    share = float(plan.get("random_faults", 0.0))
    if share:
        # What a real provider does now and then: stop after its ack or mid-reply, drop
        # the connection, close before replying, the 640-byte reply, an internal error.
        hamsa.random_fault_choices = [
            hamsa_fake.Fault.stall_after_bytes(0),
            hamsa_fake.Fault.stall_after_bytes(8000),
            hamsa_fake.Fault.drop_after_bytes(8000),
            hamsa_fake.Fault.close(1011),
            hamsa_fake.Fault.short_reply(),
            hamsa_fake.Fault.error("Internal server error"),
        ]
        rest = [hamsa_fake.Fault.stall_after_bytes(0), hamsa_fake.Fault.drop_after_bytes(8000)]
        hamsa.random_rest_fault_choices = rest
        faseeh.random_fault_choices = [
            faseeh_fake.Fault.stall_after_bytes(0),
            faseeh_fake.Fault.stall_after_bytes(9600),
            faseeh_fake.Fault.drop_after_bytes(9600),
            faseeh_fake.Fault.close(1011),
            faseeh_fake.Fault.error_code(50001, "Internal server error"),
        ]
        faseeh.random_rest_fault_choices = [
            faseeh_fake.Fault.stall_after_bytes(0),
            faseeh_fake.Fault.drop_after_bytes(9600),
        ]
        for fake in (hamsa, faseeh):
            fake.random_faults = share


def stats(hamsa: FakeHamsa, faseeh: FakeFaseeh) -> dict[str, Any]:
    """What the fakes saw since the last reset."""
    return {
        "open_since_reset": {
            "hamsa": sum(c.open for c in hamsa.connections[_BASE["hamsa"] :]),
            "faseeh": sum(c.open for c in faseeh.connections[_BASE["faseeh"] :]),
        },
        "hamsa_requests": {
            "websocket": len(hamsa.socket_requests()),
            "rest": len(hamsa.rest_tts_requests()),
        },
        "hamsa_short_replies": len(hamsa.short_replies),
        "hamsa_throttled": sum(conn.throttled for conn in hamsa.connections),
        "faseeh_generations": {
            "websocket": sum(g.transport == "websocket" for g in faseeh.generations),
            "rest": sum(g.transport == "rest" for g in faseeh.generations),
        },
        "faseeh_silent_texts": len(faseeh.silent_texts),
    }


def drain(provider: str, log: TimingLog | None) -> tuple[list[Any], list[Any]]:
    """The log as JSON lists: requests [provider, text, t], frames [provider, text, off, n, t]."""
    if log is None:
        return [], []
    requests, frames = log.drain()
    return (
        [[provider, r.text, r.time] for r in requests],
        [[provider, f.text, f.offset, f.size, f.time] for f in frames],
    )


async def main(timing: ProviderTiming) -> None:
    """Run both fakes until told to quit."""
    async with (
        FakeHamsa(valid_keys={HAMSA_KEY}) as hamsa,
        FakeFaseeh(valid_keys={FASEEH_KEY}) as faseeh,
        BlackHole() as hole,
    ):
        configure(hamsa, faseeh, timing)

        async def handle(command: dict[str, Any]) -> dict[str, Any]:
            if command["cmd"] == "drain":
                hamsa_requests, hamsa_frames = drain("hamsa", hamsa.timing)
                faseeh_requests, faseeh_frames = drain("faseeh", faseeh.timing)
                return {
                    "requests": hamsa_requests + faseeh_requests,
                    "frames": hamsa_frames + faseeh_frames,
                }
            if command["cmd"] == "pace":
                # None: frames as fast as the fake can send them (throughput runs).
                for fake in (hamsa, faseeh):
                    fake.realtime_factor = command["realtime_factor"]
                return {}
            if command["cmd"] == "frames":
                hamsa.frame_sizes = [int(command["hamsa"])]
                return {}
            if command["cmd"] == "connections":
                return {"hamsa": hamsa.open_connections, "faseeh": faseeh.open_connections}
            if command["cmd"] == "arrange":
                arrange(hamsa, faseeh, command["plan"])
                return {}
            if command["cmd"] == "reset":
                reset(hamsa, faseeh)
                return {}
            if command["cmd"] == "stats":
                return stats(hamsa, faseeh)
            raise ValueError(f"unknown command {command['cmd']}")

        await serve(
            {
                "hamsa_ws": hamsa.ws_url,
                "hamsa_api": hamsa.api_url,
                "hamsa_key": HAMSA_KEY,
                "faseeh_ws": faseeh.ws_url,
                "faseeh_api": faseeh.api_url,
                "faseeh_key": FASEEH_KEY,
                "hole_http": hole.http_url,
                "hole_hamsa_ws": hole.ws_url("/v1/realtime/ws"),
                "hole_faseeh_ws": hole.ws_url("/api/v1/websocket/text-to-speech"),
            },
            handle,
        )


if __name__ == "__main__":
    asyncio.run(main(ProviderTiming(**json.loads(sys.argv[1]))))
