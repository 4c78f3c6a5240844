"""Child process: the fake Hamsa and Faseeh with realistic timing and a timing log.

``python -m bench.fake_host '<ProviderTiming JSON>'`` prints its URLs and keys, then
answers commands on stdin: ``drain`` (requests and frames logged since the last drain),
``pace`` (change the realtime factor; null sends frames as fast as possible),
``frames`` (Hamsa's frame size in bytes),
``connections`` (open sockets per provider), ``quit``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa
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
            raise ValueError(f"unknown command {command['cmd']}")

        await serve(
            {
                "hamsa_ws": hamsa.ws_url,
                "hamsa_api": hamsa.api_url,
                "hamsa_key": HAMSA_KEY,
                "faseeh_ws": faseeh.ws_url,
                "faseeh_api": faseeh.api_url,
                "faseeh_key": FASEEH_KEY,
            },
            handle,
        )


if __name__ == "__main__":
    asyncio.run(main(ProviderTiming(**json.loads(sys.argv[1]))))
