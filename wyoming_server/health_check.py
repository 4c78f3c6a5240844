"""Container health check: a real Describe → Info round trip (exit 0 healthy, 1 not).

A connect-only check stays green while the event loop is wedged, because the kernel
accepts connections on the bound port by itself; an Info reply proves the accept loop and
the handler both run. Imports only ``wyoming`` so it starts fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from wyoming.client import AsyncClient
from wyoming.info import Describe, Info

DEFAULT_URI = "tcp://127.0.0.1:10200"


async def check(uri: str) -> None:
    """Ask the server for its info; raise unless it offers a TTS program with voices."""
    async with AsyncClient.from_uri(uri) as client:
        await client.write_event(Describe().event())
        while True:
            event = await client.read_event()
            if event is None:
                raise RuntimeError("connection closed without info")
            if Info.is_type(event.type):
                info = Info.from_event(event)
                if not info.tts or not info.tts[0].voices:
                    raise RuntimeError("no TTS voices in info")
                return


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status for Docker's HEALTHCHECK; the reason goes to stderr."""
    parser = argparse.ArgumentParser(prog="python -m wyoming_server.health_check")
    parser.add_argument("--uri", default=DEFAULT_URI, help=f"server to ask (default {DEFAULT_URI})")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait (default 5)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(asyncio.wait_for(check(args.uri), timeout=args.timeout))
    except Exception as err:  # any failure means unhealthy
        print(f"unhealthy: {str(err) or type(err).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
