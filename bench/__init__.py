"""Benchmarks: `python -m bench [name ...]` runs bench/<name>.py (all of them when no name is given)."""
