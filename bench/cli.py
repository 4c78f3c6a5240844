"""Command line: run the benchmark, print the table, write results.json and bench.png."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import BenchConfig, ProviderTiming
from .report import faults_table, machine, plot, table, targets, write_json
from .run import Runner

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def build_parser() -> argparse.ArgumentParser:
    """Flags (timing knobs default to realistic cloud figures)."""
    defaults = ProviderTiming()
    parser = argparse.ArgumentParser(
        prog="script/bench",
        description="Benchmark the Wyoming relay and the Home Assistant entity against a "
        "client that talks to the (fake) providers directly.",
    )
    parser.add_argument("--quick", action="store_true", help="few samples (a smoke run)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--handshake-delay",
        type=float,
        default=defaults.handshake_delay,
        metavar="S",
        help="provider TLS + WebSocket handshake (default %(default)s s)",
    )
    parser.add_argument(
        "--first-audio-delay",
        type=float,
        default=defaults.first_audio_delay,
        metavar="S",
        help="provider request → first audio frame (default %(default)s s)",
    )
    parser.add_argument(
        "--realtime-factor",
        type=float,
        default=defaults.realtime_factor,
        metavar="X",
        help="audio produced X times faster than real time (default %(default)s)",
    )
    parser.add_argument(
        "--concurrency",
        type=lambda v: tuple(int(x) for x in v.split(",")),
        default=None,
        metavar="N,N,…",
        help="concurrent stream levels (default 1,10,25,50,75,100; quick 1,5,10)",
    )
    parser.add_argument("--no-ha", action="store_true", help="skip the Home Assistant part")
    parser.add_argument(
        "--faults-only",
        action="store_true",
        help="only the issue-18 figures: first audio under faults, 20 requests at once, "
        "the soak (default flags; a few minutes)",
    )
    parser.add_argument("--no-faults", action="store_true", help="skip the issue-18 figures")
    parser.add_argument(
        "--soak-seconds",
        type=float,
        default=None,
        metavar="S",
        help="how long the soak's 20 clients speak (default 60; quick 10)",
    )
    parser.add_argument(
        "--server-tree",
        type=Path,
        default=None,
        metavar="DIR",
        help="run another checkout's server (an A/B run, e.g. a worktree of main)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run and report; exit status 0 even when a target is missed (see the table)."""
    args = build_parser().parse_args(argv)
    timing = ProviderTiming(
        handshake_delay=args.handshake_delay,
        first_audio_delay=args.first_audio_delay,
        realtime_factor=args.realtime_factor,
    )
    config = BenchConfig.quick_mode(timing) if args.quick else BenchConfig.full(timing)
    if args.concurrency:
        target = config.target_concurrency
        if target not in args.concurrency:
            target = max(args.concurrency)
        config = _replace(config, concurrency=args.concurrency, target_concurrency=target)
    if args.no_ha:
        config = _replace(config, ha=False)
    if args.faults_only:
        config = _replace(config, ha=False, relay=False)
    if args.no_faults:
        config = _replace(config, faults=False)
    if args.soak_seconds is not None:
        config = _replace(config, soak_seconds=args.soak_seconds)
    if args.server_tree is not None:
        config = _replace(config, server_tree=str(args.server_tree.resolve()))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    runner = Runner(config, out)
    results = asyncio.run(runner.run())
    results["meta"] = {
        "machine": machine(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "config": config.to_json(),
    }
    parts: list[str] = []
    if config.relay:
        results["targets"] = targets(results, config)
        parts.append(table(results, config))
    if config.faults:
        parts.append(faults_table(results["faults"]))
    text = "\n\n".join(parts)
    write_json(results, out / "results.json")
    (out / "table.md").write_text(text + "\n", encoding="utf-8")
    written = [out / "results.json", out / "table.md"]
    if config.relay:
        plot(results, runner.samples, out / "bench.png", config)
        written.append(out / "bench.png")
    print(text)
    print(f"\nWrote {', '.join(str(path) for path in written)}", file=sys.stderr)


def _replace(config: BenchConfig, **changes: object) -> BenchConfig:
    import dataclasses  # noqa: PLC0415

    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]
