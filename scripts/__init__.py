"""Evaluation, benchmark and maintenance scripts of the corpus repository (not part of the package).

Run them from the repository root as modules, e.g. ``python -m scripts.eval`` or
``python -m scripts.bench.pipeline --quick``, so ``scripts.*`` imports resolve without path edits.
"""
