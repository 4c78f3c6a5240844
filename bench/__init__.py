"""Benchmark suite: latency, throughput and memory of the relay, beside the provider floor.

``script/bench [--quick] [--out DIR]`` (or ``python -m bench``) starts the fake providers
with realistic timing, the real Wyoming server, and a *floor* client that talks to the fake
providers directly; it prints a table, writes ``results.json`` and ``bench.png``. See
docs/benchmarks.md for what each figure means.
"""
