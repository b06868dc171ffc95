"""The phase protocol every engine runs, in this order; the one place each phase is written.

1. ``map_batch`` (worker side, any process): the per-document stages over a batch, then the
   fingerprints of the corpus steps the workers compute (``pipeline.worker_steps``).
2. ``admit`` (reduce side, one process, stable input order): the streaming steps (exact dedup)
   decide; the first global step collects.
3. ``global_pass`` (reduce side, once per global step): a global step (near dedup, repeated
   lines) decides on every document it collected; the survivors are collected by the next one.

``run`` chains them in memory for plain-Python use (``Pipeline.run``); the local engine
(``corpus.engines.local``) and the Ray engine (``corpus.engines.ray``) call the same functions
per block, with a work folder and a cluster around them. Drops are named with
``corpus.stats.drop_key``; documents with no text left after cleaning are dropped as
``EMPTY``. CPU seconds per stage go to ``stats.seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from corpus.dedup.base import GlobalStep, fold
from corpus.document import Document
from corpus.stages.base import Outcome
from corpus.stats import Stats, drop_key

EMPTY = "empty"  # the drop reason of a document with no text left after cleaning (output.min_chars)


class Mapped(NamedTuple):
    """One input document after the map phase: the cleaned document and its fingerprints, or the
    ``stage.reason`` that dropped it (``doc`` None)."""

    doc: Document | None
    keys: list[Any]
    dropped: str


def map_batch(pipeline: Any, docs: list[Document], stats: Stats) -> list[Mapped]:
    """The per-document stages stage by stage over the batch, then fingerprints; one result per doc.

    Each stage's ``apply_batch`` sees the survivors of the one before; the text is folded once
    for every step that starts from ``fold(text)``. Gives what the stages give one by one.
    """
    pipeline.setup()
    clock = time.process_time
    current: list[Document | None] = list(docs)
    why = [""] * len(docs)
    alive = list(range(len(docs)))
    for stage in pipeline.doc_stages:
        if not alive:
            break
        started = clock()
        outcomes = stage.apply_batch([current[i] for i in alive])
        still = []
        for i, outcome in zip(alive, outcomes, strict=True):
            stats.record(stage.name, current[i], outcome)
            if outcome.doc is None:
                current[i] = None
                why[i] = drop_key(stage.name, outcome.reason)
            else:
                current[i] = outcome.doc
                still.append(i)
        alive = still
        stats.seconds[stage.name] += clock() - started
    for i in [i for i in alive if pipeline.too_short(current[i].text)]:
        current[i], why[i] = None, EMPTY
    alive = [i for i in alive if current[i] is not None]
    columns = _fingerprints(pipeline, [current[i] for i in alive], stats)
    keys = dict(zip(alive, zip(*columns, strict=True) if columns else [()] * len(alive), strict=True))
    return [
        Mapped(current[i], list(keys[i]), "") if current[i] is not None else Mapped(None, [], why[i])
        for i in range(len(docs))
    ]


def map_one(pipeline: Any, doc: Document, stats: Stats) -> Mapped:
    """The reference form of ``map_batch`` for one document: each stage's ``apply``, each step's
    ``fingerprint``. ``map_batch`` must give exactly this, document by document."""
    pipeline.setup()
    for stage in pipeline.doc_stages:
        outcome = stage.apply(doc)
        stats.record(stage.name, doc, outcome)
        if outcome.doc is None:
            return Mapped(None, [], drop_key(stage.name, outcome.reason))
        doc = outcome.doc
    if pipeline.too_short(doc.text):
        return Mapped(None, [], EMPTY)
    return Mapped(doc, [step.fingerprint(doc) for step in pipeline.worker_steps], "")


def _fingerprints(pipeline: Any, survivors: list[Document], stats: Stats) -> list[list[Any]]:
    """One column of fingerprints per worker step, batch-wise where a step offers it."""
    clock = time.process_time
    columns: list[list[Any]] = []
    folded: list[str] | None = None
    for step in pipeline.worker_steps:
        started = clock()
        if not survivors:
            columns.append([])
        elif step.takes_folded:  # the text folded once for every step that starts from it
            if folded is None:
                folded = [fold(d.text) for d in survivors]
            columns.append(list(step.fingerprint_folded(folded)))
        elif (batch := getattr(step, "fingerprint_batch", None)) is not None:
            columns.append(list(batch(survivors)))
        else:
            columns.append([step.fingerprint(d) for d in survivors])
        stats.seconds[step.name] += clock() - started
    return columns


def admit(pipeline: Any, doc: Document, keys: list[Any], stats: Stats) -> tuple[Outcome, str]:
    """Reduce side, in stable input order: streaming steps decide; the first global step collects.

    Returns the outcome and ``stage.reason`` when a step dropped the document, else "".
    """
    outcome = Outcome(doc)
    for step, key in zip(pipeline.worker_steps, keys, strict=True):
        if isinstance(step, GlobalStep):
            step.collect(key, doc)
            continue
        outcome = step.admit(key, doc)
        stats.record(step.name, doc, outcome)
        if outcome.doc is None:
            return outcome, drop_key(step.name, outcome.reason)
        doc = outcome.doc
    return outcome, ""


def global_pass(
    pipeline: Any, k: int, docs: Iterable[Document], stats: Stats
) -> Iterator[tuple[Document, Outcome, str]]:
    """Decide pass of global step ``k`` over the documents it collected, in order.

    Yields (input document, outcome, ``stage.reason`` or ""). Survivors are collected by
    global step ``k + 1`` as they pass.
    """
    step = pipeline.global_steps[k]
    following = pipeline.global_steps[k + 1] if k + 1 < len(pipeline.global_steps) else None
    step.prepare()
    for i, doc in enumerate(docs):
        outcome = step.decide(i, doc)
        stats.record(step.name, doc, outcome)
        if outcome.doc is None:
            yield doc, outcome, drop_key(step.name, outcome.reason)
            continue
        if following is not None:
            following.collect(following.fingerprint(outcome.doc), outcome.doc)
        yield doc, outcome, ""


def reduce_start(pipeline: Any) -> None:
    """Forget every document the corpus steps saw: the start of a build or a run."""
    for step in pipeline.corpus_steps:
        step.reset()


def run(pipeline: Any, docs: Iterable[Document], stats: Stats) -> Iterator[Document]:
    """Every phase in this process, yielding the kept documents in input order.

    With global steps, survivors are held in memory until each has seen them all: fine for
    the small inputs this is for; the engines spool to disk instead.
    """
    reduce_start(pipeline)
    survivors: list[Document] = []
    for doc in docs:
        out, keys, _ = map_one(pipeline, doc, stats)
        if out is None:
            continue
        kept = admit(pipeline, out, keys, stats)[0].doc
        if kept is None:
            continue
        if not pipeline.global_steps:
            yield kept
        else:
            survivors.append(kept)
    for k in range(len(pipeline.global_steps)):
        survivors = [o.doc for _, o, _ in global_pass(pipeline, k, survivors, stats) if o.doc is not None]
    yield from survivors if pipeline.global_steps else ()
