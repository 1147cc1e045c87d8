"""Benchmarks: bench_*.py print figures against the issue's targets (see docs/performance.md)."""
