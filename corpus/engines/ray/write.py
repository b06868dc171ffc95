"""The ordered write: the committed parts and the dedup decisions, written as the local engine would.

The driver reads the parts back in input order, merges in the decisions, and feeds the local
build's ``Output`` (``corpus.io.write.sink``), replaying the local reduce's order of
records (quarantine, drop log by chunk, then near drops, then repeated_lines drops), so shards,
card, manifest and index are byte for byte the local engine's.

repeated_lines (after near dedup) needs every survivor's line hashes before it removes a line:
``_learn_repeated`` reads the parts once more before the write and counts them on the driver,
in input order, as the local reduce process does (8-byte hashes per distinct eligible line and
document, never text); the write then applies it to each document near dedup keeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup import distributed as dist
from corpus.dedup.base import apply_verdict
from corpus.dedup.exact import duplicate_of
from corpus.dedup.index import INDEX_DIR, save_index
from corpus.dedup.near import verdict
from corpus.document import Document
from corpus.engines.ray.dedup import check_supported, repeated_step
from corpus.engines.ray.work import (
    DROPPED,
    FILE_SHIFT,
    QUARANTINED,
    SECONDS,
    SKIPPED,
    _decode,
    _decode_stats,
    _dump,
)
from corpus.errors import BuildError
from corpus.io.write.sink import Output
from corpus.stages.base import Outcome
from corpus.stats import Stats, drop_key


def _decisions(ds: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    if ds is None:
        return
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for idx, payload in zip(batch["idx"].to_pylist(), batch["payload"].to_pylist(), strict=True):
            yield idx, dist.decode(payload)


def _survivor(
    doc: Document, decided: tuple[Any, ...] | None, exact: Any, near: Any
) -> tuple[str, Outcome | None]:
    """What exact and near dedup make of a mapped survivor: ("exact", drop), ("near", outcome) or
    ("kept", None) when neither step is in the pipeline."""
    if exact is not None and decided is not None and decided[0] == "exact":
        return "exact", duplicate_of(doc, decided[1])
    if near is None:
        return "kept", None
    _, keep, kept_id, size, sim = decided or ("near", True, doc.id, 1, 1.0)
    return "near", apply_verdict(doc, verdict(keep, kept_id, size, sim, annotate=near.annotate))


def _learn_repeated(
    repeated: Any, mapped: Iterable[Any], decisions: Any, exact: Any, near: Any, where: Callable[[int], str]
) -> None:
    """repeated_lines' collect pass: every document exact and near dedup keep, in input order."""
    repeated.reset()
    todo = _decisions(decisions)
    upcoming = next(todo, None)
    for batch in mapped:
        for row in batch.to_pylist():
            if row["kind"] not in (QUARANTINED, SKIPPED, DROPPED):
                idx = row["idx"]
                decided = None
                if upcoming is not None and upcoming[0] == idx:
                    decided = upcoming[1]
                    upcoming = next(todo, None)
                doc: Document = _decode(row["kind"], row["payload"], where(idx >> FILE_SHIFT))
                step, outcome = _survivor(doc, decided, exact, near)
                if step == "exact" or (outcome is not None and outcome.doc is None):
                    continue
                kept = doc if outcome is None else outcome.doc
                repeated.collect(repeated.fingerprint(kept), kept)
    repeated.prepare()


def _write(
    pipeline: Any,
    mapped: Callable[[], Iterable[Any]],
    decisions: Any,
    out: Output,
    where: Callable[[int], str] = str,
    event: Callable[[str, int], None] | None = None,
) -> tuple[Stats, list[Path]]:
    """Everything after the distributed steps, in the local reduce's order of writes, into ``out``.

    ``mapped()``: the map output's record batches in input order (the committed parts), read
    once, or twice with repeated_lines; ``where(file number)`` names a part in an error about
    its contents; ``event("final_write", file number)`` is called as each input file's records
    start being written.
    """
    exact, near = check_supported(pipeline)
    repeated = repeated_step(pipeline)
    if repeated is not None:
        _learn_repeated(repeated, mapped(), decisions, exact, near, where)
    chunk_docs = pipeline.settings.checkpoint_docs
    stats = Stats()
    tmp, ledger, sink = out.tmp, out.ledger, out.sink
    read = 0
    pending: list[tuple[str, Outcome, str]] = []  # this chunk's exact drops: logged after its stage drops
    near_log = tmp / ".near-drops.jsonl"
    repeated_log = tmp / ".repeated-drops.jsonl"
    kept_sigs = tmp / ".kept-signatures.bin"
    kept_ids: list[str] = []
    todo = _decisions(decisions)
    upcoming = next(todo, None)
    last = -1
    with open(near_log, "wb") as nfh, open(repeated_log, "wb") as rfh, open(kept_sigs, "wb") as sfh:

        def flush() -> None:
            for doc_id, outcome, reason in pending:
                sink.route(doc_id, outcome, reason, None)
            pending.clear()

        def keep(doc: Document) -> None:
            if repeated is None:
                sink.keep(doc)
                return
            outcome = repeated.apply(doc)
            stats.record(repeated.name, doc, outcome)
            if outcome.doc is None:
                reason = drop_key(repeated.name, outcome.reason)
                rfh.write(_dump([doc.id, reason, outcome.note, outcome.info]) + b"\n")
            else:
                sink.keep(outcome.doc)

        for batch in mapped():
            for row in batch.to_pylist():
                idx = row["idx"]
                if idx <= last:
                    raise BuildError(f"engine ray: records out of input order ({idx} after {last})")
                if idx >> FILE_SHIFT != last >> FILE_SHIFT:
                    if event is not None:
                        event("final_write", idx >> FILE_SHIFT)
                last = idx
                part = where(idx >> FILE_SHIFT)
                if row["stats"]:
                    counts = _decode_stats(row["stats"], part)
                    for key in [k for k in counts if k.startswith(SECONDS)]:
                        stats.seconds[key[len(SECONDS) :]] += counts.pop(key)
                    stats.update(counts)
                if read % chunk_docs == 0:
                    flush()
                read += 1
                ledger.count_read(1, bool(row["invalid"]))
                value = _decode(row["kind"], row["payload"], part)
                if row["kind"] == QUARANTINED:
                    ledger.quarantine(value)
                    continue
                if row["kind"] == SKIPPED:
                    ledger.skip(value[0])
                    continue
                if row["kind"] == DROPPED:
                    sink.drop(*value)
                    continue
                doc: Document = value
                decided = None
                if upcoming is not None and upcoming[0] == idx:
                    decided = upcoming[1]
                    upcoming = next(todo, None)
                step, outcome = _survivor(doc, decided, exact, near)
                if step == "exact":
                    stats.record(exact.name, doc, outcome)
                    pending.append((doc.id, outcome, drop_key(exact.name, outcome.reason)))
                    continue
                if exact is not None:
                    stats.record(exact.name, doc, Outcome(doc))
                if outcome is None:
                    keep(doc)
                    continue
                stats.record(near.name, doc, outcome)
                if outcome.doc is None:
                    note = outcome.note
                    reason = drop_key(near.name, outcome.reason)
                    nfh.write(_dump([doc.id, reason, note, outcome.info]) + b"\n")
                else:
                    sfh.write(row["sig"])  # the near index holds what near dedup kept (as local)
                    kept_ids.append(doc.id)
                    keep(outcome.doc)
        flush()
        if upcoming is not None:
            raise BuildError(f"engine ray: a decision for idx {upcoming[0]} matches no record")
        nfh.close()
        rfh.close()
        for log in (near_log, repeated_log):
            with open(log, "rb") as fh:
                for line in fh:
                    sink.drop(*json.loads(line))
    near_log.unlink()
    repeated_log.unlink()
    saved: list[Path] = []
    if near is not None:
        sigs = np.fromfile(kept_sigs, dtype=np.uint32).reshape(len(kept_ids), near.num_perm)
        folder = save_index(tmp / INDEX_DIR, sigs, kept_ids, near.params())
        saved = sorted(p for p in folder.iterdir() if p.is_file())
    kept_sigs.unlink()
    return stats, saved
