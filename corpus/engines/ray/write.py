"""The ordered write: the committed parts and the dedup decisions, written as the local engine would.

The driver reads the parts back in input order, merges in the decisions, and feeds the local
engine's ``Sink``/``DatasetWriter``/``finish_build``, replaying the local reduce's order of
records (quarantine, drop log by chunk, then near drops), so shards, card, manifest and index
are byte for byte the local engine's.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup import distributed as dist
from corpus.dedup.base import apply_verdict
from corpus.dedup.exact import duplicate_of
from corpus.dedup.near import INDEX_DIR, save_index, verdict
from corpus.document import Document
from corpus.engines.inputs import recorded_config
from corpus.engines.local import CHECKPOINT_DOCS
from corpus.engines.ray.dedup import check_supported
from corpus.engines.ray.work import DROPPED, FILE_SHIFT, QUARANTINED, SKIPPED, _decode, _decode_stats, _dump
from corpus.engines.reduce import Sink, finish_build, open_log
from corpus.errors import BuildError
from corpus.io.write.shards import DatasetWriter
from corpus.stages.base import Outcome
from corpus.stats import Stats


def _decisions(ds: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    if ds is None:
        return
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for idx, payload in zip(batch["idx"].to_pylist(), batch["payload"].to_pylist(), strict=True):
            yield idx, dist.decode(payload)


def _write(
    pipeline: Any,
    mapped: Iterable[Any],
    decisions: Any,
    tmp: Path,
    inputs: list[dict[str, Any]],
    where: Callable[[int], str] = str,
    event: Callable[[str, int], None] | None = None,
) -> tuple[dict[str, Any], Stats]:
    """Everything after the distributed steps, in the local reduce's order of writes.

    ``mapped``: the map output's record batches in input order (the committed parts);
    ``where(file number)`` names a part in an error about its contents; ``event("final_write",
    file number)`` is called as each input file's records start being written.
    """
    config = pipeline.config
    exact, near = check_supported(pipeline)
    chunk_docs = config.get("checkpoint_docs", CHECKPOINT_DOCS)
    stats = Stats()
    writer = DatasetWriter(tmp, config["output"])
    read = quarantined = invalid = 0
    skipped: Counter[str] = Counter()
    pending: list[tuple[str, Outcome, str]] = []  # this chunk's exact drops: logged after its stage drops
    near_log = tmp / ".near-drops.jsonl"
    kept_sigs = tmp / ".kept-signatures.bin"
    kept_ids: list[str] = []
    todo = _decisions(decisions)
    upcoming = next(todo, None)
    last = -1
    with (
        open_log(tmp / "quarantine.jsonl") as qfh,
        open_log(tmp / "dropped.jsonl") as dfh,
        open(near_log, "wb") as nfh,
        open(kept_sigs, "wb") as sfh,
    ):
        sink = Sink(writer, dfh)

        def flush() -> None:
            for doc_id, outcome, reason in pending:
                sink.route(doc_id, outcome, reason, None)
            pending.clear()

        for batch in mapped:
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
                    stats.update(_decode_stats(row["stats"], part))
                if read % chunk_docs == 0:
                    flush()
                read += 1
                invalid += bool(row["invalid"])
                value = _decode(row["kind"], row["payload"], part)
                if row["kind"] == QUARANTINED:
                    quarantined += 1
                    # sorted keys, as the local engine's JSON checkpoint gives them back
                    qfh.write(json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n")
                    continue
                if row["kind"] == SKIPPED:
                    skipped[value[0]] += 1
                    continue
                if row["kind"] == DROPPED:
                    sink.drop(*value)
                    continue
                doc: Document = value
                decided = None
                if upcoming is not None and upcoming[0] == idx:
                    decided = upcoming[1]
                    upcoming = next(todo, None)
                if exact is not None:
                    if decided is not None and decided[0] == "exact":
                        outcome = duplicate_of(doc, decided[1])
                        stats.record(exact.name, doc, outcome)
                        pending.append((doc.id, outcome, f"{exact.name}.exact_duplicate"))
                        continue
                    stats.record(exact.name, doc, Outcome(doc))
                if near is None:
                    sink.keep(doc)
                    continue
                _, keep, kept_id, size, sim = decided or ("near", True, doc.id, 1, 1.0)
                outcome = apply_verdict(doc, verdict(keep, kept_id, size, sim, annotate=near.annotate))
                stats.record(near.name, doc, outcome)
                if outcome.doc is None:
                    note = outcome.edits[0].after if outcome.edits else ""
                    reason = f"{near.name}.{outcome.reason}"
                    nfh.write(_dump([doc.id, reason, note, outcome.info]) + b"\n")
                else:
                    sink.keep(outcome.doc)
                    sfh.write(row["sig"])
                    kept_ids.append(doc.id)
        flush()
        if upcoming is not None:
            raise BuildError(f"engine ray: a decision for idx {upcoming[0]} matches no record")
        nfh.close()
        with open(near_log, "rb") as fh:
            for line in fh:
                sink.drop(*json.loads(line))
    near_log.unlink()
    saved: list[Path] = []
    if near is not None:
        sigs = np.fromfile(kept_sigs, dtype=np.uint32).reshape(len(kept_ids), near.num_perm)
        folder = save_index(tmp / INDEX_DIR, sigs, kept_ids, near.params())
        saved = sorted(p for p in folder.iterdir() if p.is_file())
    kept_sigs.unlink()
    counts = {"read": read, "quarantined": quarantined, "invalid_utf8_replaced": invalid, "skipped": skipped}
    recorded = recorded_config(config, pipeline.config_dir)
    return finish_build(recorded, inputs, writer, sink, stats, counts, tmp, saved), stats
