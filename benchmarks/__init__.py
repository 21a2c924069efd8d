"""Benchmarks: figures for people, not timed tests. Run with `make bench`."""
