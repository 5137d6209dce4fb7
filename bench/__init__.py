"""Benchmarks that print figures (``python -m bench.throughput``, ``python -m bench.authz``)."""
