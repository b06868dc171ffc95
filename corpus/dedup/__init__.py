"""Corpus-level steps: they need to see every document (exact and near-duplicate removal)."""

from corpus.dedup.base import CorpusStep, GlobalStep, Verdict

__all__ = ["CorpusStep", "GlobalStep", "Verdict"]
