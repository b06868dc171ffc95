"""Benchmarks: our pipeline against peers (datatrove, datasketch), per stage, across revisions and engines.

Run from the repository root as modules: ``python -m scripts.bench.pipeline`` (make bench),
``scripts.bench.neardup`` (make bench-neardup), ``scripts.bench.ab`` (make bench-ab),
``scripts.bench.ray_engine`` (make bench-ray). Workers that run in the peers' venv
(``scripts.bench.peers``, ``scripts.bench.neardup_tools``) import only the standard library and
``scripts.bench.common`` at module level.
"""
