"""The local engine's reduce phase: corpus-level steps over the committed chunks, in input order.

Streaming steps (exact dedup) decide document by document (``phases.admit``); global steps
(near dedup, repeated lines) collect every survivor, then decide in one more pass each over a
spool (``phases.global_pass``); the last pass feeds the build's ``Output``. The shell
(``corpus.engines.build``) finishes and swaps the build into place.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.engines import phases
from corpus.engines.checkpoint import WorkDir
from corpus.io.write.shards import ShardWriter, read_documents
from corpus.io.write.sink import Output, Sink
from corpus.stats import Stats

Event = Callable[[str, int], None]


def reduce_chunks(
    pipeline: Any, work: WorkDir, chunks: int, out: Output, event: Event
) -> tuple[Stats, list[Path]]:
    """Run the corpus-level steps over chunks 0..chunks-1 into ``out``; returns stats and files saved."""
    stats = Stats()
    phases.reduce_start(pipeline)
    tmp, ledger, sink = out.tmp, out.ledger, out.sink
    # With global steps, the first decide pass reads the survivors again from the chunk files
    # (``passed`` says which of them the streaming steps kept); only a document a streaming
    # step changed is spooled.
    passed: list[bytearray] | None = [] if pipeline.global_steps else None
    changed = (
        ShardWriter(tmp / ".spool-0", split="spool", compression="none") if pipeline.global_steps else None
    )
    for i in range(chunks):
        event("reduce_chunk", i)
        part = work.load(i)
        stats.update(part.stats)
        ledger.count_read(part.read, part.invalid_utf8)
        for record in part.quarantine:
            ledger.quarantine(record)
        for reason, n in part.skipped.items():
            ledger.skip(reason, n)
        for record in part.drops:
            sink.drop(record["id"], record["dropped_by"])
        flags = bytearray()
        for doc, keys in zip(work.survivors(i), part.keys, strict=True):
            outcome, reason = phases.admit(pipeline, doc, keys, stats)
            if passed is None or outcome.doc is None:
                sink.route(doc.id, outcome, reason)
                flags.append(_DROPPED)
            elif outcome.doc is doc:
                flags.append(_PASSED)
            else:
                flags.append(_CHANGED)
                changed.write(outcome.doc)
        if passed is not None:
            passed.append(flags)
    if passed is not None:
        _global_passes(pipeline, _first_pass_input(work, passed, changed), sink, stats, tmp, event)
    event("final_write", 0)
    return stats, [p for step in pipeline.global_steps for p in step.save(tmp)]


_DROPPED, _PASSED, _CHANGED = 0, 1, 2


def _first_pass_input(work: WorkDir, passed: list[bytearray], changed: ShardWriter) -> Iterator[Document]:
    """What the streaming steps kept, in input order: from the chunk files, changed ones from the spool."""
    spooled = _drain(changed)
    for i, flags in enumerate(passed):
        if flags.count(_DROPPED) < len(flags):  # a chunk with nothing left is not read again
            for doc, flag in zip(work.survivors(i), flags, strict=True):
                if flag == _PASSED:
                    yield doc
                elif flag == _CHANGED:
                    yield next(spooled)
    for _ in spooled:  # (none left) lets the spool remove its directory
        pass


def _global_passes(
    pipeline: Any, docs: Iterator[Document], sink: Sink, stats: Stats, tmp: Path, event: Event
) -> None:
    """One pass over the survivors per global step, in input order; the last feeds the sink.

    The first pass reads ``docs``; each later one the spool the pass before it wrote.
    """
    count = len(pipeline.global_steps)
    for k in range(count):
        event("global_pass", k)
        nxt = (
            ShardWriter(tmp / f".spool-{k + 1}", split="spool", compression="none") if k + 1 < count else None
        )
        for doc, outcome, reason in phases.global_pass(pipeline, k, docs, stats):
            sink.route(doc.id, outcome, reason, nxt)
        if nxt is not None:
            docs = _drain(nxt)


def _drain(spool: ShardWriter) -> Iterator[Document]:
    """A spool's documents in order; its directory is removed once they are read."""
    root, parts = spool.root, spool.close()
    for part in parts:
        yield from read_documents(root / part["path"])
    shutil.rmtree(root)
