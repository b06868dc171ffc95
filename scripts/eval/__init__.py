"""Scorers of the stages on the data other people labelled (../shared/eval), one module a stage.

Each module exposes ``run() -> list[dict]``; ``python -m scripts.eval`` runs them all as one table.
"""
