"""Benchmarks: not tests, never gating CI. See bench/README.md."""
