"""The map phase of one block, run by a worker: read it, run the stages, commit its part.

``map_block`` reads the block itself (``corpus.io.read.blocks.read_block``: the worker, not the
driver, opens and parses the input, HTML and WARC extraction included), runs
``phases.map_batch`` over its documents a batch at a time, and writes into the work folder:

- ``map/block-NNNNNN.parquet``: one row per input record, in input order (``PART``): its
  ``idx`` (block << 32 | position: the build's stable order), its ``kind``, the cleaned
  document (survivors), ``info`` (JSON: the drop reason, the quarantine record or the skip
  reason) and one binary column per corpus step with its fingerprint (``corpus.engines.keys``);
- ``profile/block-NNNNNN.map.json``: its piece of the build profile (``corpus.report.profile``:
  removed lines and drops by the stages, the kept-sample candidates with their text as read);
- ``map/block-NNNNNN.json``, last: the block's summary (records read, invalid UTF-8 replaced,
  stage counters). Its presence is the commit.

It returns the summary (a small dict), which is all the driver ever receives from a map task.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.document import Document, quality_cells, quality_from_cells
from corpus.engines import phases
from corpus.engines.keys import KeyCodec
from corpus.engines.work import WorkFolder, block_name, dump
from corpus.io.read import Quarantined, Skipped
from corpus.report.profile import MapPiece, RecordingStats

QUARANTINED, DROPPED, SURVIVED, SKIPPED = 0, 1, 2, 3
SHIFT = 32  # idx = block << 32 | position in the block
DOC_COLUMNS = ["id", "text", "source", "url", "lang", "lang_score", "meta"]
QUALITY_COLUMNS = ["quality_signals", "quality_failed"]  # what tag-mode quality stages recorded


def part_schema(steps: int) -> pa.Schema:
    """A map part's columns: idx, kind, the document's fields, its length, info, key0..key{steps-1}."""
    return pa.schema(
        [
            ("idx", pa.int64()),
            ("kind", pa.int8()),
            ("id", pa.string()),
            ("text", pa.string()),
            ("source", pa.string()),
            ("url", pa.string()),
            ("lang", pa.string()),
            ("lang_score", pa.float64()),
            ("meta", pa.string()),
            ("quality_signals", quality_type()),
            ("quality_failed", pa.list_(pa.string())),
            ("length", pa.int64()),
            ("info", pa.binary()),
            *[(f"key{k}", pa.binary()) for k in range(steps)],
        ]
    )


def quality_type() -> pa.DataType:
    from corpus.document import arrow_schema

    return arrow_schema().field("quality_signals").type


def _meta(meta: dict[str, Any]) -> str:
    # ensure_ascii keeps lone surrogates storable; the shards re-serialise meta their own way
    return json.dumps(meta, sort_keys=True, ensure_ascii=True) if meta else "{}"


class _Rows:
    """The columns of a part being built, flushed to the Parquet writer a batch at a time."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.clear()

    def clear(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in part_schema(self.steps).names}

    def add(self, idx: int, kind: int, doc: Document | None, info: Any, keys: list[bytes] | None) -> None:
        c = self.cols
        c["idx"].append(idx)
        c["kind"].append(kind)
        if doc is not None:
            for name in DOC_COLUMNS[:6]:
                c[name].append(getattr(doc, name))
            c["meta"].append(_meta(doc.meta))
            signals, failed = quality_cells(doc)
            c["quality_signals"].append(signals)
            c["quality_failed"].append(failed)
            c["length"].append(len(doc.text))
        else:
            c["length"].append(None)
            for name in DOC_COLUMNS:
                c[name].append(None)
            c["quality_signals"].append(None)
            c["quality_failed"].append(None)
            if kind == DROPPED:
                c["id"][-1] = info[0]
        c["info"].append(None if info is None else dump(info))
        for k in range(self.steps):
            c[f"key{k}"].append(keys[k] if keys else None)

    def table(self, schema: pa.Schema) -> pa.Table:
        return pa.Table.from_pydict(self.cols, schema=schema)


def map_block(
    pipeline: Any, number: int, block: Any, files: list[Any], work: WorkFolder, limit: int | None = None
) -> dict[str, Any]:
    """Read and map block ``number`` (its first ``limit`` records only, if given); commit its part;
    return its summary. ``input.sample`` turns the records outside the sample into skipped ones."""
    from corpus.engines.sampling import sampler
    from corpus.io.read.blocks import read_block

    started = time.process_time()
    pipeline.setup()
    steps = pipeline.worker_steps
    codecs = [KeyCodec.of(step) for step in steps]
    schema = part_schema(len(steps))
    config = dict(pipeline.settings.input)
    batch_size = pipeline.settings.batch_size
    piece = MapPiece()  # the block's part of the build profile (report.json)
    stats = RecordingStats(piece)
    rows = _Rows(len(steps))
    pending: list[tuple[int, Document]] = []
    read = invalid = survivors = 0
    fs, path = work.loc.arrow(block_name("map", number, ".parquet"))
    base = number << SHIFT

    with fs.open_output_stream(path) as sink, pq.ParquetWriter(sink, schema, compression="none") as writer:

        def run_pending() -> None:
            nonlocal survivors
            if not pending:
                return
            results = phases.map_batch(pipeline, [doc for _, doc in pending], stats)
            for (idx, doc), (out, keys, dropped) in zip(pending, results, strict=True):
                if out is None:
                    rows.add(idx, DROPPED, None, [doc.id, dropped], None)
                    if dropped == phases.EMPTY:  # the stages' drops are recorded as they happen
                        piece.drop(dropped, doc.id, doc.text)
                else:
                    survivors += 1
                    piece.candidate(idx, doc.id, doc.text)
                    rows.add(
                        idx, SURVIVED, out, None, [c.encode(k) for c, k in zip(codecs, keys, strict=True)]
                    )
            pending.clear()

        def flush() -> None:
            run_pending()
            if rows.cols["idx"]:
                writer.write_table(rows.table(schema))
                rows.clear()

        pick = sampler(config)
        for position, item in enumerate(read_block(block, files, config)):
            if limit is not None and position >= limit:
                break
            item = item if pick is None else pick(item)
            idx = base | position
            read += 1
            if isinstance(item, Quarantined):
                run_pending()  # rows stay in input order
                rows.add(idx, QUARANTINED, None, item.to_dict(), None)
            elif isinstance(item, Skipped):
                run_pending()
                rows.add(idx, SKIPPED, None, [item.reason], None)
            else:
                invalid += bool(item.meta.get("invalid_utf8"))
                pending.append((idx, item))
                if len(pending) >= batch_size:
                    run_pending()
            if len(rows.cols["idx"]) >= batch_size:
                flush()
        flush()
    work.write_json(profile_name(number, "map"), piece.to_json())
    stats.seconds["phase.map"] += time.process_time() - started
    summary = {
        "block": number,
        "read": read,
        "invalid_utf8": invalid,
        "survivors": survivors,
        "stats": dict(stats),
    }
    work.write_json(block_name("map", number, ".json"), summary)
    return {**summary, "seconds": dict(stats.seconds)}


def profile_name(number: int, phase: str) -> str:
    """``profile/block-000012.map.json``: a block's piece of the build profile, written by ``phase``."""
    return block_name("profile", number, f".{phase}.json")


def read_part(work: WorkFolder, number: int, columns: list[str] | None = None) -> pa.Table:
    """A committed map part (or some of its columns); BuildError naming it when it is not ours."""
    name = block_name("map", number, ".parquet")
    schema = part_schema(0)
    types = {field.name: field.type for field in schema}
    keys = [c for c in columns or [] if c.startswith("key")]
    t = work.read_table(name, columns, {**types, **{k: pa.binary() for k in keys}})
    for column in t.column_names:
        if column.startswith("key") and t.schema.field(column).type != pa.binary():
            raise work.not_ours(name, f"column {column!r}")
    return t


def documents(t: pa.Table) -> list[Document | None]:
    """The survivors of a part's rows as Documents (None for other rows), in row order."""
    kinds = t["kind"].to_pylist()
    cols = [t[name].to_pylist() for name in DOC_COLUMNS]
    tagged = "quality_signals" in t.column_names and t["quality_signals"].null_count < len(t)
    signals = t["quality_signals"].to_pylist() if tagged else None
    failed = t["quality_failed"].to_pylist() if tagged else None
    out: list[Document | None] = []
    for i, kind in enumerate(kinds):
        if kind != SURVIVED:
            out.append(None)
            continue
        doc_id, text, source, url, lang, score, meta = (col[i] for col in cols)
        doc = Document(doc_id, text, source, url, lang, score, json.loads(meta) if meta != "{}" else {})
        if signals is not None:
            doc.quality_signals, doc.quality_failed = quality_from_cells(signals[i], failed[i])
        out.append(doc)
    return out
