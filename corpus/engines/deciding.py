"""The decide phase: what the corpus steps make of every survivor of the map, as *fates* per block.

A fate is a row ``(idx, payload)`` of ``decide/block-NNNNNN.parquet``, only for a survivor that a
corpus step drops or changes (a survivor with no fate is kept as the map left it). Payloads
(JSON, never pickle; ``decode_fate`` checks them):

- ``["drop", "stage.reason", note, info]``: dropped by a step (``info`` goes to dropped.jsonl);
- ``["doc", [id, text, source, url, lang, lang_score, meta, quality_signals, quality_failed]]``:
  kept, changed by a step;
- ``["exact", kept_id]``, ``["near", keep, kept_id, cluster_size, similarity]``: the decisions of
  the distributed exact and near dedup (``corpus.dedup.distributed``), which the write phase
  turns into outcomes the way the steps themselves do (``outcome_of``).

``decide_here`` is the general form, any corpus steps in any order, in one process: the
streaming steps (``phases.admit``) and then each global step's pass (``phases.global_pass``), in
input order, exactly as ``phases.run`` chains them, over the survivors read back from the map
parts; each pass's survivors go to a spool in the work folder, not memory. The local engine runs
it in its main process; the Ray engine runs it in one task when a step has no distributed form.
What a step saves for later builds (the near-duplicate index) is saved to ``decide/saved/``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.dedup.base import apply_verdict
from corpus.dedup.exact import duplicate_of
from corpus.dedup.verdicts import verdict
from corpus.document import Document, quality_columns
from corpus.engines import phases
from corpus.engines.keys import KeyCodec
from corpus.engines.mapping import (
    DOC_COLUMNS,
    QUALITY_COLUMNS,
    SHIFT,
    SURVIVED,
    documents,
    quality_type,
    read_part,
)
from corpus.engines.work import DECIDED, WorkFolder, block_name, dump
from corpus.errors import BuildError
from corpus.report.profile import RecordingStats, Removals
from corpus.stages.base import Outcome

FATE = pa.schema([("idx", pa.int64()), ("fate", pa.binary())])
SAVED = "decide/saved"


def doc_payload(doc: Document) -> list[Any]:
    """Every field of ``doc``, in Document's order: a changed document keeps its quality signals."""
    return [
        doc.id,
        doc.text,
        doc.source,
        doc.url,
        doc.lang,
        doc.lang_score,
        doc.meta,
        doc.quality_signals,
        doc.quality_failed,
    ]


def decode_fate(raw: bytes, where: str) -> list[Any]:
    """A fate payload back; BuildError naming ``where`` for anything this toolkit does not write."""
    try:
        fate = json.loads(raw)
    except ValueError:
        fate = None
    ok = isinstance(fate, list) and bool(fate)
    kind = fate[0] if ok else None
    if kind == "drop":
        ok = len(fate) == 4 and isinstance(fate[1], str) and isinstance(fate[3], dict)
    elif kind == "doc":
        ok = len(fate) == 2 and _is_doc(fate[1])
    elif kind == "exact":
        ok = len(fate) == 2
    elif kind == "near":
        ok = len(fate) == 5
    else:
        ok = False
    if not ok:
        raise BuildError(f"{where}: a decision this toolkit did not write; remove the work folder, run again")
    return fate


def _is_doc(fields: Any) -> bool:
    """A ``doc`` payload's fields have the types of a Document's (``doc_payload``)."""
    if not isinstance(fields, list) or len(fields) != 9:
        return False
    doc_id, text, source, url, lang, score, meta, signals, failed = fields
    return (
        isinstance(signals, dict)
        and isinstance(failed, list)
        and all(isinstance(v, str) for v in (doc_id, text))
        and all(v is None or isinstance(v, str) for v in (source, url, lang))
        and (score is None or (isinstance(score, (int, float)) and not isinstance(score, bool)))
        and isinstance(meta, dict)
    )


def dropped_by(fate: list[Any]) -> Outcome:
    """The outcome of a ``drop`` fate (its reason is already ``stage.reason``)."""
    out = Outcome.drop(fate[1])
    out.note, out.info = fate[2], fate[3]
    return out


def exact_outcome(doc: Document, fate: list[Any] | None) -> Outcome:
    """Exact dedup's outcome for a survivor, from its distributed decision (None: kept)."""
    if fate is not None and fate[0] == "exact":
        return duplicate_of(doc, fate[1])
    return Outcome(doc)


def near_outcome(doc: Document, fate: list[Any] | None, annotate: bool) -> Outcome:
    """Near dedup's outcome for a survivor exact dedup kept (no decision: alone in its cluster)."""
    _, keep, kept_id, size, sim = (
        fate if fate is not None and fate[0] == "near" else ("near", True, doc.id, 1, 1.0)
    )
    return apply_verdict(doc, verdict(keep, kept_id, size, sim, annotate=annotate))


class _Fates:
    """Fates collected per block, written as one Parquet file per block at the end."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, bytes]] = {}

    def set(self, idx: int, fate: list[Any]) -> None:
        self.rows.setdefault(idx >> SHIFT, {})[idx] = dump(fate)

    def write(self, work: WorkFolder, blocks: int) -> None:
        for b in range(blocks):
            got = self.rows.get(b, {})
            order = sorted(got)
            table = pa.table(
                [pa.array(order, pa.int64()), pa.array([got[i] for i in order], pa.binary())], schema=FATE
            )
            fs, path = work.loc.arrow(block_name("decide", b, ".parquet"))
            pq.write_table(table, path, filesystem=fs, compression="none")


def _survivors(pipeline: Any, work: WorkFolder, blocks: int) -> Iterator[tuple[int, Document, list[Any]]]:
    """Every survivor of the map in input order: (idx, document, its fingerprints)."""
    codecs = [KeyCodec.of(step) for step in pipeline.worker_steps]
    keys = [f"key{k}" for k in range(len(codecs))]
    for b in range(blocks):
        t = read_part(work, b, ["idx", "kind", *DOC_COLUMNS, *QUALITY_COLUMNS, *keys])
        idxs = t["idx"].to_pylist()
        cols = [t[k].to_pylist() for k in keys]
        for i, doc in enumerate(documents(t)):
            if doc is not None:
                try:
                    fingerprints = [c.decode(col[i]) for c, col in zip(codecs, cols, strict=True)]
                except (ValueError, TypeError) as exc:  # a key this toolkit would not write
                    raise work.not_ours(block_name("map", b, ".parquet"), exc) from None
                yield idxs[i], doc, fingerprints


def _spool_docs(work: WorkFolder, name: str) -> Iterator[tuple[int, Document]]:
    fs, path = work.loc.arrow(name)
    reader = pq.ParquetFile(fs.open_input_file(path))
    for batch in reader.iter_batches(batch_size=1_000):
        t = pa.Table.from_batches([batch])
        yield from zip(t["idx"].to_pylist(), documents(t), strict=True)


class _Spool:
    """The survivors of one pass, (idx, Document), in order, in the work folder."""

    SCHEMA = pa.schema(
        [("idx", pa.int64()), ("kind", pa.int8())]
        + [(n, pa.float64() if n == "lang_score" else pa.string()) for n in DOC_COLUMNS]
        + [("quality_signals", quality_type()), ("quality_failed", pa.list_(pa.string()))]
    )

    def __init__(self, work: WorkFolder, name: str) -> None:
        self.work, self.name = work, name
        fs, path = work.loc.arrow(name)
        self.stream = fs.open_output_stream(path)
        self.writer = pq.ParquetWriter(self.stream, self.SCHEMA, compression="none")
        self.rows: list[tuple[int, Document]] = []

    def add(self, idx: int, doc: Document) -> None:
        self.rows.append((idx, doc))
        if len(self.rows) >= 1_000:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            cols: dict[str, list[Any]] = {
                "idx": [i for i, _ in self.rows],
                "kind": [SURVIVED] * len(self.rows),
            }
            for name in DOC_COLUMNS:
                cols[name] = [
                    (json.dumps(d.meta, sort_keys=True, ensure_ascii=True) if d.meta else "{}")
                    if name == "meta"
                    else getattr(d, name)
                    for _, d in self.rows
                ]
            cols["quality_signals"], cols["quality_failed"] = quality_columns(d for _, d in self.rows)
            self.writer.write_table(pa.Table.from_pydict(cols, schema=self.SCHEMA))
            self.rows = []

    def close(self) -> Iterator[tuple[int, Document]]:
        self.flush()
        self.writer.close()
        self.stream.close()
        yield from _spool_docs(self.work, self.name)
        self.work.loc.remove(self.name)


def _counted(items: Iterator[Any], progress: Callable[[int, int], None] | None) -> Iterator[Any]:
    """``items`` as they are; ``progress(0, 1000)`` every 1,000 of them, ``progress(1, rest)`` at the end."""
    n = 0
    for item in items:
        yield item
        n += 1
        if n == 1000 and progress is not None:
            progress(0, n)
            n = 0
    if progress is not None:
        progress(1, n)


DECIDE_PROFILE = "profile/decide.json"  # the lines decide_here's steps removed (the build profile's piece)


def decide_here(
    pipeline: Any, work: WorkFolder, blocks: int, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """The general decide phase in this process; writes the fates and ``decide/done.json``.

    ``progress(passes, docs)`` hears of the documents each pass reads (one pass for the streaming
    steps, then one per global step)."""
    started = time.process_time()
    removals = Removals()
    stats = RecordingStats(removals)
    fates = _Fates()
    phases.reduce_start(pipeline)
    globals_ = pipeline.global_steps
    changed: set[int] = set()
    spool = _Spool(work, "decide/spool-0.parquet") if globals_ else None
    for idx, doc, keys in _counted(_survivors(pipeline, work, blocks), progress):
        outcome, reason = phases.admit(pipeline, doc, keys, stats)
        if outcome.doc is None:
            fates.set(idx, ["drop", reason, outcome.note, outcome.info or {}])
            continue
        if outcome.doc is not doc:
            changed.add(idx)
        if spool is not None:
            spool.add(idx, outcome.doc)
        elif idx in changed:
            fates.set(idx, ["doc", doc_payload(outcome.doc)])
    for k in range(len(globals_)):
        docs = _counted(spool.close(), progress)
        last = k + 1 == len(globals_)
        nxt = None if last else _Spool(work, f"decide/spool-{k + 1}.parquet")
        order: list[int] = []

        def inputs(
            source: Iterator[tuple[int, Document]] = docs, order: list[int] = order
        ) -> Iterator[Document]:
            for idx, doc in source:
                order.append(idx)
                yield doc

        for i, (doc, outcome, reason) in enumerate(phases.global_pass(pipeline, k, inputs(), stats)):
            idx = order[i]
            if outcome.doc is None:
                fates.set(idx, ["drop", reason, outcome.note, outcome.info or {}])
                continue
            if outcome.doc is not doc:
                changed.add(idx)
            if nxt is not None:
                nxt.add(idx, outcome.doc)
            elif idx in changed:
                fates.set(idx, ["doc", doc_payload(outcome.doc)])
        spool = nxt
    fates.write(work, blocks)
    work.write_json(DECIDE_PROFILE, {"removed": removals.samples})
    saved = _save(pipeline, work)
    stats.seconds["phase.decide"] += time.process_time() - started
    summary = {"stats": dict(stats), "saved": saved, "form": "here"}
    work.write_json(DECIDED, summary)
    return {**summary, "seconds": dict(stats.seconds)}


def _save(pipeline: Any, work: WorkFolder) -> list[str]:
    """What the steps save for later builds, into ``decide/saved/`` of the work folder."""
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="corpus-saved-") as tmp:
        root = Path(tmp)
        for step in pipeline.global_steps:
            for path in step.save(root):
                name = path.relative_to(root).as_posix()
                work.loc.write_bytes(f"{SAVED}/{name}", path.read_bytes())
                names.append(name)
    return names


def read_fates(work: WorkFolder, number: int) -> dict[int, list[Any]]:
    """Block ``number``'s fates, by idx."""
    name = block_name("decide", number, ".parquet")
    if not work.loc.exists(name):
        return {}
    t = work.read_table(name, None, {"idx": pa.int64(), "fate": pa.binary()})
    where = work.loc.url_of(name)
    return {
        idx: decode_fate(raw, where)
        for idx, raw in zip(t["idx"].to_pylist(), t["fate"].to_pylist(), strict=True)
    }
