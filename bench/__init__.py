"""Benchmarks (not tests): run with ``python -m bench.<name>``."""

__all__: list[str] = []
