"""Corpus-level steps, split into a pure map side and a stateful reduce side.

``fingerprint(doc)`` is pure and runs wherever the per-document stages run (a
worker process). Then, in the process that holds the step's state (keys only,
never text), in stable input order:

* a streaming step (``CorpusStep``) decides at once: ``admit(key, doc)``;
* a global step (``GlobalStep``, e.g. near-duplicate clustering) first
  ``collect``s every key, then ``resolve()`` returns one ``Verdict`` per
  collected document, in the same order; the engine applies them in a second
  pass over the spooled survivors.

Calling a step on a document (``step(doc)``) does the streaming form, so
``Pipeline([...])`` works in plain Python too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpus.document import Document
from corpus.stages.base import Outcome, Stage


class CorpusStep(Stage):
    """A stage whose decision depends on the documents seen before it."""

    def fingerprint(self, doc: Document) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def admit(self, key: Any, doc: Document) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self) -> None:
        """Forget every document seen (start of a new build)."""

    def apply(self, doc: Document) -> Outcome:
        return self.admit(self.fingerprint(doc), doc)


@dataclass
class Verdict:
    """A global step's decision on one document."""

    keep: bool
    reason: str = ""  # drop reason code when not kept
    note: str = ""  # human-readable, e.g. "near duplicate of X (J~0.87)"
    fields: dict[str, Any] = field(default_factory=dict)  # set on the kept document


class GlobalStep(CorpusStep):
    """A corpus step that decides only after it has seen every document's key."""

    def collect(self, key: Any, doc: Document) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def resolve(self) -> list[Verdict]:  # pragma: no cover - abstract
        """One verdict per collected document, in collection order."""
        raise NotImplementedError


def apply_verdict(doc: Document, verdict: Verdict) -> Document:
    """The kept document with the verdict's fields set (unknown fields go to meta)."""
    if not verdict.fields:
        return doc
    import dataclasses

    known = {f.name for f in dataclasses.fields(doc)}
    direct = {k: v for k, v in verdict.fields.items() if k in known}
    meta = {k: v for k, v in verdict.fields.items() if k not in known}
    return dataclasses.replace(doc, **direct, meta={**doc.meta, **meta} if meta else doc.meta)
