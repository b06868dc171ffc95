"""Corpus-level steps, split into a pure map side and a stateful reduce side.

``fingerprint(doc)`` is pure and runs wherever the per-document stages run (a
worker process). Then, in the process that holds the step's state (keys only,
never text), in stable input order:

* a streaming step (``CorpusStep``) decides at once: ``admit(key, doc)``;
* a global step (``GlobalStep``: near-duplicate clustering, repeated-line
  learning) first ``collect``s every key, then ``prepare``s, then ``decide``s
  on each document in a second pass over the spooled survivors. Several global
  steps chain: each one's decide pass feeds the next one's collect.

Calling a step on a document (``step(doc)``) does the streaming form, so
``Pipeline([...])`` works in plain Python too.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.document import FIELDS, Document
from corpus.errors import BuildError
from corpus.stages.base import Outcome, Stage

FIELD_NAMES = frozenset(f.name for f in FIELDS)


def fold(text: str, *, lowercase: bool = True) -> str:
    """NFKC and lower case (unless ``lowercase=False``): the form both dedup steps compare texts in.

    ``unicodedata.normalize`` costs 10x ``is_normalized`` on text that is already NFKC (most
    text), so it runs only when the check says it must; the result is the same.

    >>> fold("Ｃａｆé  ＡＢＣ")
    'café  abc'
    """
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower() if lowercase else text


class CorpusStep(Stage):
    """A stage whose decision depends on the documents seen before it.

    A step whose fingerprints start from ``fold(text)`` says so with ``takes_folded``; the
    pipeline then folds a batch's texts once and hands them to every such step's
    ``fingerprint_folded`` (one pass over the text instead of one per step). Both forms give
    the same fingerprints.
    """

    takes_folded: bool = False

    def fingerprint(self, doc: Document) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def fingerprint_folded(self, folded: Sequence[str]) -> Sequence[Any]:
        """Fingerprints of documents given as ``fold(text)``; only called when ``takes_folded``."""
        raise NotImplementedError

    def admit(self, key: Any, doc: Document) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self) -> None:
        """Forget every document seen (start of a new build)."""

    def apply(self, doc: Document) -> Outcome:
        return self.admit(self.fingerprint(doc), doc)


@dataclass
class Verdict:
    """A global step's decision on one document (the form clustering steps return)."""

    keep: bool
    reason: str = ""  # drop reason code when not kept
    note: str = ""  # human-readable, e.g. "near duplicate of X (J~0.87)"
    fields: dict[str, Any] = field(default_factory=dict)  # set on the kept document
    details: dict[str, Any] = field(default_factory=dict)  # of a drop, for dropped.jsonl (e.g. kept_id)


def apply_verdict(doc: Document, verdict: Verdict) -> Outcome:
    """The outcome a verdict means: drop with its reason, or keep with its fields set (others to meta)."""
    if not verdict.keep:
        out = Outcome.drop(verdict.reason or "unspecified")
        out.info = dict(verdict.details)
        out.note = verdict.note  # for the drop log; a drop is not a text edit
        return out
    if not verdict.fields:
        return Outcome(doc)
    known = FIELD_NAMES
    direct = {k: v for k, v in verdict.fields.items() if k in known}
    meta = {k: v for k, v in verdict.fields.items() if k not in known}
    return Outcome(dataclasses.replace(doc, **direct, meta={**doc.meta, **meta} if meta else doc.meta))


class GlobalStep(CorpusStep):
    """A corpus step that decides only after it has seen every document's key.

    Protocol, in stable input order: ``collect(key, doc)`` for every document,
    then ``prepare()`` once, then ``decide(i, doc)`` for the i-th collected
    document, which may drop it, change it or annotate it. A clustering step
    usually implements ``resolve()`` (one Verdict per document, no text needed)
    and inherits ``prepare``/``decide``; a step that rewrites text overrides
    ``decide``.
    """

    _verdicts: Sequence[Verdict] | None = None

    def collect(self, key: Any, doc: Document) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def resolve(self) -> Sequence[Verdict] | None:
        """One verdict per collected document, in collection order (None: ``decide`` is overridden)."""
        return None

    def prepare(self) -> None:
        """Called once, after the last ``collect`` and before the first ``decide``."""
        self._verdicts = self.resolve()

    def save(self, root: Path) -> list[Path]:
        """Write what a later build needs (e.g. an index) under ``root``; returns the files written."""
        return []

    def decide(self, index: int, doc: Document) -> Outcome:
        """The outcome for the ``index``-th collected document; BuildError for one never collected.

        In a build that means the documents passed again are not those collected (a work folder
        changed under the build); in Python, ``decide`` came before ``collect``/``prepare``.
        """
        if self._verdicts is None or not 0 <= index < len(self._verdicts):
            collected = "none" if self._verdicts is None else str(len(self._verdicts))
            raise BuildError(
                f"{self.name}: no verdict for document {index} ({doc.id}); {collected} were collected. "
                "Call collect() on every document, then prepare(), before decide(); in a build, "
                "build again into an empty output folder"
            )
        return apply_verdict(doc, self._verdicts[index])
