"""Benchmarks of each area (run together by ``make bench``: ``python -m fingertip_dev.bench``)."""
