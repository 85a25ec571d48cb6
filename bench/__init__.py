"""Benchmark scripts (run with `python -m bench.<name>`; see bench/README.md)."""
