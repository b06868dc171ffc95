"""Corpus-level steps, split into a pure map side and a stateful reduce side.

``fingerprint(doc)`` is pure and runs wherever the per-document stages run (a
worker process); ``admit(key, doc)`` runs once, in stable input order, in the
process that holds the step's state (only keys, never text). Calling the step
on a document does both, so ``Pipeline([...])`` works in plain Python too.
"""

from __future__ import annotations

from typing import Any

from corpus.document import Document
from corpus.stages.base import Outcome, Stage


class CorpusStep(Stage):
    """A stage whose decision depends on the documents seen before it."""

    corpus_level = True

    def fingerprint(self, doc: Document) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def admit(self, key: Any, doc: Document) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self) -> None:
        """Forget every document seen (start of a new build)."""

    def apply(self, doc: Document) -> Outcome:
        return self.admit(self.fingerprint(doc), doc)
