"""The benchmark harness: `python -m bench [--rows N] [--json]` (see bench/__main__.py and BENCHMARKS.md)."""
