"""Benchmarks: a synthetic county (make_county) and the measurements against their floors (run).

Nothing here is imported by the product. See BENCHMARKS.md at the repository root.
"""
