"""The outputs: a Markdown table on stdout, results.json and bench.png."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

from .config import BenchConfig

# Every figure the JSON must hold (the smoke test checks them).
FIGURES = (
    "describe",
    "ttfa_cold",
    "ttfa_warm",
    "small_frames",
    "chunk_latency",
    "streaming",
    "throughput",
    "concurrency",
    "memory",
    "hostile",
    "faults",
    "ha",
)

TTFA_ADDED_TARGET_MS = 2.0
DESCRIBE_UNDER_LOAD_TARGET_MS = 100.0
CHUNK_P99_TARGET_MS = 5.0
THROUGHPUT_TARGET = 1000.0


def machine() -> dict[str, Any]:
    """Where the run happened."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _level(results: dict[str, Any], streams: int) -> dict[str, Any] | None:
    for level in results["concurrency"]["levels"]:
        if level["streams"] == streams:
            found: dict[str, Any] = level
            return found
    return None


def targets(results: dict[str, Any], config: BenchConfig) -> dict[str, Any]:
    """The three targets of issue 6: measured value and whether it was met."""
    added = [
        results["ttfa_warm"][p]["added_ours"]["p50"]
        for p in ("hamsa", "faseeh", "faseeh_rest")
        if p in results["ttfa_warm"] and results["ttfa_warm"][p]["added_ours"]["p50"] is not None
    ]
    worst_added = max(added) if added else None
    level = _level(results, config.target_concurrency)
    chunk_p99 = level["ours"]["chunk"]["p99"] if level else None
    throughput = results["throughput"]["ours_audio_s_per_cpu_s"]
    return {
        "added_ttfa_p50_warm_ms": {
            "value": worst_added,
            "target": f"< {TTFA_ADDED_TARGET_MS:g} ms",
            "met": worst_added is not None and worst_added < TTFA_ADDED_TARGET_MS,
        },
        f"chunk_p99_at_{config.target_concurrency}_streams_ms": {
            "value": chunk_p99,
            "target": f"< {CHUNK_P99_TARGET_MS:g} ms",
            "met": chunk_p99 is not None and chunk_p99 < CHUNK_P99_TARGET_MS,
        },
        "audio_s_per_cpu_s": {
            "value": throughput,
            "target": f">= {THROUGHPUT_TARGET:g}",
            "met": throughput is not None and throughput >= THROUGHPUT_TARGET,
        },
    }


# --- table -------------------------------------------------------------------------------


def _ms(summary: dict[str, Any] | None) -> str:
    if not summary or summary.get("p50") is None:
        return "n/a"
    return f"{summary['p50']:.1f} / {summary['p99']:.1f}"


def _ms3(summary: dict[str, Any] | None) -> str:
    if not summary or summary.get("p50") is None:
        return "n/a"
    return f"{summary['p50']:.2f} / {summary['p99']:.2f}"


def _over(ours: dict[str, Any] | None, floor: dict[str, Any] | None, key: str = "p50") -> str:
    if not ours or not floor or ours.get(key) is None or floor.get(key) is None:
        return "n/a"
    diff = ours[key] - floor[key]
    ratio = f" ({ours[key] / floor[key]:.2f}x)" if floor[key] > 0 else ""
    return f"{diff:+.2f} ms{ratio}"


def _within_one_frame(small: dict[str, Any]) -> bool:
    """The hold-back for 640-byte replies costs at most one provider frame: ours at p50 is
    within one frame plus the usual relay overhead target (2 ms) of the direct client."""
    ours, floor = small["added_ours"]["p50"], small["added_floor"]["p50"]
    if ours is None or floor is None:
        return False
    return bool(ours - floor <= small["frame_ms"] + TTFA_ADDED_TARGET_MS)


def _mark(met: bool) -> str:
    return "met" if met else "NOT met"


def table(results: dict[str, Any], config: BenchConfig) -> str:
    """The figures as Markdown: main table, then the concurrency curve."""
    rows: list[tuple[str, str, str, str, str]] = []
    goal = results["targets"]

    def row(name: str, ours: str, floor: str, over: str, target: str = "") -> None:
        rows.append((name, ours, floor, over, target))

    for engine, name in (("hamsa", "Hamsa and Faseeh default"), ("offline", "offline voice")):
        f = results.get("frontend", {}).get(engine)
        if f is not None:
            row(
                f"Front-end on the first sentence, {name} ({f['steps']}) (ms)",
                _ms3(f["added"]),
                "",
                "",
                "a few ms",
            )
    d = results["describe"]
    row(
        "Describe round trip, p50 / p99 (ms)",
        _ms3(d["ours"]),
        _ms3(d["floor"]),
        _over(d["ours"], d["floor"]),
        "< 1000 ms",
    )
    for provider, name in (("hamsa", "Hamsa"), ("faseeh", "Faseeh")):
        c = results["ttfa_cold"][provider]
        row(
            f"TTFA cold, {name} (fresh server, first request)",
            _ms(c["ours"]),
            _ms(c["floor"]),
            _over(c["ours"], c["floor"]),
        )
    warm_paths = (("hamsa", "Hamsa"), ("faseeh", "Faseeh"), ("faseeh_rest", "Faseeh over REST"))
    for provider, name in warm_paths:
        w = results["ttfa_warm"][provider]
        row(f"TTFA warm, {name}", _ms(w["ours"]), _ms(w["floor"]), _over(w["ours"], w["floor"]))
        added = w["added_ours"]["p50"]
        row(
            f"TTFA warm, {name}: added over the provider's own first frame",
            _ms3(w["added_ours"]),
            _ms3(w["added_floor"]),
            _over(w["added_ours"], w["added_floor"]),
            f"p50 < 2 ms: {_mark(added is not None and added < TTFA_ADDED_TARGET_MS)}",
        )
    small = results["small_frames"]
    frame_ms = small["frame_ms"]
    within = _within_one_frame(small)
    row(
        f"TTFA warm, Hamsa, {config.small_frame_bytes}-byte frames at real time: added over "
        "the provider's own first frame",
        _ms3(small["added_ours"]),
        _ms3(small["added_floor"]),
        _over(small["added_ours"], small["added_floor"]),
        f"p50 within one frame ({frame_ms:g} ms) + 2 ms of the floor: {_mark(within)}",
    )
    for provider, name in warm_paths:
        w = results["ttfa_warm"][provider]
        row(
            f"End of reply after the provider's last frame, {name}",
            _ms(w["end_ours"]),
            _ms(w["end_floor"]),
            _over(w["end_ours"], w["end_floor"]),
        )
    for provider, name in warm_paths:
        c = results["chunk_latency"][provider]
        row(
            f"Per-chunk latency, 1 stream, {name}",
            _ms3(c["ours"]),
            _ms3(c["floor"]),
            _over(c["ours"], c["floor"], "p99") + " at p99",
        )
    level = _level(results, config.target_concurrency)
    chunk_key = f"chunk_p99_at_{config.target_concurrency}_streams_ms"
    if level is not None:
        row(
            f"Per-chunk latency, {config.target_concurrency} streams, Hamsa",
            _ms3(level["ours"]["chunk"]),
            _ms3(level["floor"]["chunk"]),
            _over(level["ours"]["chunk"], level["floor"]["chunk"], "p99") + " at p99",
            f"p99 < 5 ms: {_mark(goal[chunk_key]['met'])}",
        )
    for provider, name in (("hamsa", "Hamsa"), ("faseeh", "Faseeh")):
        s = results["streaming"][provider]
        row(
            f"Streaming text ({config.tokens_per_second:g} tok/s): sentence → audio, {name}",
            _ms(s["ours"]),
            _ms(s["floor"]),
            _over(s["ours"], s["floor"]),
        )
    t = results["throughput"]
    sat = t["saturated"]
    row(
        f"Throughput at saturation: audio-s per CPU-s ({sat['streams']} unpaced streams)",
        f"{t['ours_audio_s_per_cpu_s']}",
        f"{t['floor_audio_s_per_cpu_s']}",
        f"{t['ratio']}x the floor's CPU" if t["ratio"] else "n/a",
        f">= 1000: {_mark(goal['audio_s_per_cpu_s']['met'])}",
    )
    paced = t["paced"]
    row(
        f"Throughput paced at {config.timing.realtime_factor:g}x real time (whole sweep)",
        f"{paced['ours_audio_s_per_cpu_s']}",
        f"{paced['floor_audio_s_per_cpu_s']}",
        f"{paced['ratio']}x the floor's CPU" if paced["ratio"] else "n/a",
    )
    top = results["concurrency"]["levels"][-1]
    row(
        f"Late chunks at {top['streams']} streams (of all chunks)",
        f"{top['ours']['late_chunks']} of {top['ours']['chunks']}",
        f"{top['floor']['late_chunks']} of {top['floor']['chunks']}",
        "",
        "0",
    )
    m = results["memory"]
    row(
        "Memory: RSS idle (MB)",
        f"{m['ours_idle_mb']:.1f}",
        f"{m['floor_idle_mb']:.1f}",
        f"{m['ours_idle_mb'] - m['floor_idle_mb']:+.1f} MB",
    )
    row(
        f"Memory: RSS per concurrent stream (KB, at {m['at_streams']})",
        f"{m['ours_per_stream_kb']:.0f}",
        f"{m['floor_per_stream_kb']:.0f}",
        f"{m['ours_per_stream_kb'] - m['floor_per_stream_kb']:+.0f} KB",
    )
    h = results["hostile"]
    long = h["describe_under_long_text"]
    long_p99 = long["ours"]["p99"]
    row(
        f"Describe while another client's {long['text_chars']:,}-character text is spoken "
        "(floor column: idle server)",
        _ms3(long["ours"]),
        _ms3(long["idle"]),
        _over(long["ours"], long["idle"], "p99") + " at p99",
        f"p99 < {DESCRIBE_UNDER_LOAD_TARGET_MS:g} ms: "
        + _mark(long_p99 is not None and long_p99 < DESCRIBE_UNDER_LOAD_TARGET_MS),
    )
    slow = h["slow_reader"]
    row(
        f"Memory: RSS high-water while a client reads none of a "
        f"{slow['audio_requested_mb']:g} MB reply ({slow['window_s']:g} s; MB over before)",
        f"{slow['high_water_mb']:+.1f}",
        "",
        f"{slow['rss_before_mb']:.1f} → peak {slow['rss_peak_mb']:.1f} → "
        f"{slow['rss_after_mb']:.1f} MB after it left",
    )
    ha = results["ha"]
    if "error" in ha or "skipped" in ha:
        row("Home Assistant entity", ha.get("error", "skipped"), "", "", "")
    else:
        for provider, name in (("hamsa", "Hamsa"), ("faseeh", "Faseeh")):
            h = ha[provider]
            row(
                f"HA TTS stream, TTFA cold, {name}",
                _ms(h["cold"]["ours"]),
                _ms(h["cold"]["floor"]),
                _over(h["cold"]["ours"], h["cold"]["floor"]),
            )
            row(
                f"HA TTS stream, TTFA warm, {name}",
                _ms(h["warm"]["ours"]["ttfa"]),
                _ms(h["warm"]["floor"]["ttfa"]),
                _over(h["warm"]["ours"]["ttfa"], h["warm"]["floor"]["ttfa"]),
            )
            row(
                f"HA TTS stream, TTFA warm, {name}: added over provider",
                _ms3(h["warm"]["ours"]["added"]),
                _ms3(h["warm"]["floor"]["added"]),
                _over(h["warm"]["ours"]["added"], h["warm"]["floor"]["added"]),
            )
            row(
                f"HA entity alone (no TTS manager), added, {name}",
                _ms3(h["warm"]["entity"]["added"]),
                _ms3(h["warm"]["floor"]["added"]),
                _over(h["warm"]["entity"]["added"], h["warm"]["floor"]["added"]),
            )

    lines = [
        "| Figure | Ours (p50 / p99) | Floor: direct client | Overhead | Target |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(r)} |" for r in rows),
        "",
        "Concurrency (Hamsa, plain `synthesize`, each stream its own connection):",
        "",
        "| Streams | TTFA p50 ours / floor (ms) | Chunk p50 ours / floor (ms) "
        "| Chunk p99 ours / floor (ms) | Late chunks ours / floor "
        "| Server CPU (s) | Audio-s per CPU-s ours / floor | Server RSS peak (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for level in results["concurrency"]["levels"]:
        ours, floor = level["ours"], level["floor"]
        lines.append(
            f"| {level['streams']} "
            f"| {_p(ours['ttfa'], 'p50', 1)} / {_p(floor['ttfa'], 'p50', 1)} "
            f"| {_p(ours['chunk'], 'p50')} / {_p(floor['chunk'], 'p50')} "
            f"| {_p(ours['chunk'], 'p99')} / {_p(floor['chunk'], 'p99')} "
            f"| {ours['late_chunks']} / {floor['late_chunks']} "
            f"| {ours['cpu_s']:.2f} "
            f"| {ours['audio_s_per_cpu_s']} / {floor['audio_s_per_cpu_s']} "
            f"| {ours['rss_peak_mb']:.1f} |"
        )
    lines += ["", "Targets:", ""]
    for name, target in goal.items():
        lines.append(
            f"- {name}: {target['value']} (target {target['target']}): {_mark(target['met'])}"
        )
    meta = results["meta"]
    lines += [
        "",
        f"Machine: {meta['machine']['cpus']} CPUs, {meta['machine']['cpu_model']}, "
        f"Python {meta['machine']['python']}. Mode: {'quick' if config.quick else 'full'}, "
        f"{results['duration_s']} s. Provider timing: handshake "
        f"{config.timing.handshake_delay * 1000:.0f} ms, first audio "
        f"{config.timing.first_audio_delay * 1000:.0f} ms, audio at "
        f"{config.timing.realtime_factor:g}x real time.",
    ]
    return "\n".join(lines)


def faults_table(faults: dict[str, Any]) -> str:
    """Issue 18's table: first audio under faults, twenty at once, and the soak."""

    def seconds(values: list[float | None]) -> str:
        return " / ".join("—" if v is None else f"{v:.2f}" for v in values)

    def voices(names: list[str]) -> str:
        return " / ".join(names)

    lines = [
        "First audio under faults (issue 18): the server's default flags, a fresh server "
        "per row, requests in a row; seconds from the request (a streamed answer: from its "
        "first complete sentence) as the client saw them. Budget: 1.5 s, every reply ending "
        "with audio-stop.",
        "",
        "| What the provider does | First audio, each request (s) | End of reply, each (s) "
        "| Voice that spoke | Within 1.5 s, no error |",
        "|---|---|---|---|---|",
    ]
    for row in faults["rows"]:
        lines.append(
            f"| {row['label']} | {seconds(row['first_audio_s'])} | {seconds(row['end_s'])} "
            f"| {voices(row['spoken_by'])} | {_mark(row['met'])}"
            + (f": {'; '.join(row['errors'])[:120]}" if row["errors"] else "")
            + " |"
        )
    burst = faults["at_once"]
    for number, b in enumerate(burst["bursts"], 1):
        spoken = ", ".join(f"{name} ×{n}" for name, n in _counts(b["spoken_by"]).items())
        fakes = b["fakes"]
        lines.append(
            f"| {burst['streams']} requests at once, Hamsa healthy, 10x real time "
            f"(burst {number}; {fakes['hamsa_requests']['websocket']} over warm sockets, "
            f"{fakes['hamsa_requests']['rest']} over REST; 640-byte replies: "
            f"{fakes['hamsa_short_replies']}) "
            f"| p50 {_p(b['first_audio'], 'p50')}, max {_p(b['first_audio'], 'max')} "
            f"| max {max((e for e in b['end_s'] if e is not None), default=0):.2f} "
            f"| {spoken} | {_mark(b['met'])} (server: {b['audio_s_per_cpu_s']} audio-s per "
            "CPU-s) |"
        )
    soak = faults["soak"]
    ends = soak["end_after_last_event"]
    lines += [
        "",
        f"Soak: {soak['clients']} clients for {soak['seconds']:g} s, "
        f"{soak['fault_share']:.0%} of provider requests failing: {soak['replies']} replies "
        f"({', '.join(f'{k} {v}' for k, v in soak['spoken_by'].items())}), "
        f"{soak['errors']} errors; end of reply after the client's last event p50 "
        f"{_p(ends, 'p50')} s, max {soak['max_end_after_last_event_s']} s; "
        f"{soak['over_limit']} over {soak['limit_s']:g} s (--provider-timeout + 3 s): "
        f"{_mark(soak['over_limit'] == 0 and soak['errors'] == 0)}. First audio p50 "
        f"{_p(soak['first_audio'], 'p50')} s, max {_p(soak['first_audio'], 'max')} s; "
        f"{soak['over_budget']} replies over 1.5 s or failed.",
    ]
    return "\n".join(lines)


def _counts(names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return counts


def _p(summary: dict[str, Any], key: str, digits: int = 2) -> str:
    value = summary.get(key)
    return "n/a" if value is None else f"{value:.{digits}f}"


# --- JSON --------------------------------------------------------------------------------


def write_json(results: dict[str, Any], path: Path) -> None:
    """results.json"""
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- plot --------------------------------------------------------------------------------


def plot(
    results: dict[str, Any],
    samples: dict[str, dict[str, list[float]]],
    path: Path,
    config: BenchConfig,
) -> None:
    """bench.png: latency distributions (top) and the concurrency curve (bottom)."""
    import matplotlib  # noqa: PLC0415 - only the report needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    plain = FuncFormatter(lambda value, _pos: f"{value:g}")
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    colors = {"ours": "tab:blue", "floor": "tab:gray"}

    ax = axes[0][0]
    for provider, style in (("hamsa", "-"), ("faseeh", "--")):
        for path_name in ("ours", "floor"):
            values = samples.get(f"added_warm_{provider}_{path_name}", {}).get("values", [])
            label = f"{provider} {path_name}"
            _ecdf(ax, [v * 1000 for v in values], label, colors[path_name], style)
    ax.axvline(TTFA_ADDED_TARGET_MS, color="tab:red", linewidth=0.8, linestyle=":", label="target")
    ax.set_title(
        "Warm time to first audio, minus the provider's own "
        f"({config.timing.first_audio_delay * 1000:.0f} ms)"
    )
    ax.set_xlabel("added ms: request → provider + provider's first frame → client")
    ax.set_ylabel("fraction of requests")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    top = config.target_concurrency
    for key, label, style in (
        ("chunk_hamsa", "1 stream", "-"),
        (f"chunk_concurrent_{top}", f"{top} streams", "--"),
    ):
        for path_name in ("ours", "floor"):
            values = samples.get(f"{key}_{path_name}", {}).get("values", [])
            _ecdf(
                ax,
                [max(v * 1000, 1e-3) for v in values],
                f"{label} {path_name}",
                colors[path_name],
                style,
            )
    ax.axvline(CHUNK_P99_TARGET_MS, color="tab:red", linewidth=0.8, linestyle=":", label="target")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plain)
    ax.set_title("Per-chunk latency: provider frame sent → chunk received (Hamsa)")
    ax.set_xlabel("ms (log scale)")
    ax.set_ylabel("fraction of chunks")
    ax.legend(fontsize=8)

    levels = results["concurrency"]["levels"]
    streams = [level["streams"] for level in levels]
    ax = axes[1][0]
    for path_name in ("ours", "floor"):
        for stat, style in (("p50", "-o"), ("p99", "--o")):
            values = [level[path_name]["chunk"][stat] or np.nan for level in levels]
            ax.plot(streams, values, style, color=colors[path_name], label=f"{path_name} {stat}")
    ax.axhline(CHUNK_P99_TARGET_MS, color="tab:red", linewidth=0.8, linestyle=":", label="target")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    late_ours = [level["ours"]["late_chunks"] for level in levels]
    late_floor = [level["floor"]["late_chunks"] for level in levels]
    ax.set_title(
        "Per-chunk latency vs concurrent streams (Hamsa); late chunks: "
        f"ours {sum(late_ours)}, floor {sum(late_floor)}"
    )
    ax.set_xlabel("concurrent streams")
    ax.set_ylabel("ms (log scale)")
    ax.legend(fontsize=8)

    ax = axes[1][1]
    for path_name in ("ours", "floor"):
        values = [level[path_name]["audio_s_per_cpu_s"] or np.nan for level in levels]
        ax.plot(streams, values, "-o", color=colors[path_name], label=f"{path_name}, paced")
        saturated = results["throughput"]["saturated"][path_name]["audio_s_per_cpu_s"]
        if saturated:
            ax.axhline(
                saturated,
                color=colors[path_name],
                linestyle="--",
                linewidth=1,
                label=f"{path_name}, saturated",
            )
    ax.axhline(THROUGHPUT_TARGET, color="tab:red", linewidth=0.8, linestyle=":", label="target")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("concurrent streams")
    ax.set_ylabel("audio-seconds per CPU-second (log scale)")
    ax.set_title("Relay efficiency: paced at the provider's speed, and saturated")
    ax.legend(fontsize=8)

    meta = results["meta"]["machine"]
    fig.suptitle(
        f"wyoming-arabic-tts relay vs direct provider client — {meta['cpus']} CPUs, "
        f"{meta['cpu_model']} ({'quick' if config.quick else 'full'} run)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ecdf(ax: Any, values: list[float], label: str, color: str, style: str) -> None:
    if not values:
        return
    data = np.sort(np.asarray(values))
    ax.plot(data, np.arange(1, data.size + 1) / data.size, style, color=color, label=label)
