"""Synthetic operations for tests, demos and benchmarks."""
