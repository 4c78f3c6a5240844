"""The benchmark's quick mode runs end to end and reports every figure.

A smoke test only: it asserts that the command completed and wrote its outputs, never a
timing (those depend on the machine; see docs/benchmarks.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.faults import ROWS
from bench.report import FIGURES

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_GUARD = 480  # seconds; the quick mode takes about two minutes on 2 busy cores


def test_quick_bench_reports_every_figure(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_GUARD,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-5000:]

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    for figure in FIGURES:
        assert figure in results, figure
        assert "error" not in results[figure], results[figure]
    for provider in ("hamsa", "faseeh"):
        for figure in ("ttfa_cold", "ttfa_warm", "chunk_latency", "streaming"):
            assert results[figure][provider]["ours"]["n"] > 0, (figure, provider)
            assert results[figure][provider]["floor"]["n"] > 0, (figure, provider)
        assert results["ha"][provider]["warm"]["ours"]["ttfa"]["n"] > 0
    for figure in ("ttfa_warm", "chunk_latency"):  # Faseeh over REST, beside its socket
        assert results[figure]["faseeh_rest"]["ours"]["n"] > 0, figure
        assert results[figure]["faseeh_rest"]["floor"]["n"] > 0, figure
    assert results["concurrency"]["levels"]
    long = results["hostile"]["describe_under_long_text"]
    assert long["ours"]["n"] > 0 and not long["describe_failures"], long
    assert long["long_reply_audio_mb"] > 0 and not long["long_reply_errors"], long
    assert results["hostile"]["slow_reader"]["rss_peak_mb"] > 0
    assert set(results["targets"]) == {
        "added_ttfa_p50_warm_ms",
        f"chunk_p99_at_{results['meta']['config']['target_concurrency']}_streams_ms",
        "audio_s_per_cpu_s",
    }
    faults = results["faults"]
    assert [row["key"] for row in faults["rows"]] == [row.key for row in ROWS]
    assert all(len(row["first_audio_s"]) == 2 for row in faults["rows"])  # quick: 2 each
    assert len(faults["at_once"]["bursts"]) == 2
    assert faults["soak"]["replies"] > 0
    assert "First audio under faults" in result.stdout
    assert (tmp_path / "bench.png").stat().st_size > 0
    assert "| Figure |" in result.stdout
    assert (tmp_path / "table.md").read_text(encoding="utf-8").strip() in result.stdout


def test_piper_bench_reports_every_figure_for_the_tiny_voice(tmp_path: Path) -> None:
    """``script/bench piper --quick`` without a voice file: the tests' tiny voice, named."""
    result = subprocess.run(
        [sys.executable, "-m", "bench", "piper", "--quick", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_GUARD,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-5000:]

    results = json.loads((tmp_path / "piper.json").read_text(encoding="utf-8"))
    assert results["voice"]["label"].startswith("the tests' tiny voice")
    for where in ("through_server", "engine_only"):
        for text in ("first_sentence", "reply_500"):
            figures = results[where][text]
            assert figures["first_audio_ms"]["n"] == figures["rtf"]["n"] == 3, (where, text)
            assert figures["audio_s"] > 0
    assert results["idle_rss_mb"]["with_voice"] > 0
    assert results["idle_rss_mb"]["without_piper"] > 0
    assert "Voice: the tests' tiny voice" in result.stdout
    assert (tmp_path / "piper.md").read_text(encoding="utf-8").strip() in result.stdout
