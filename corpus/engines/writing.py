"""The write phase of one block, run by a worker: its shards, its log pieces, its summary.

``write_block`` reads the block's map part and its fates (``corpus.engines.deciding``), decides
each record's end in input order and writes:

- into the output being built (``staging``): ``data/{split}-{block:05d}-of-{blocks:05d}.parquet``,
  one shard per block and split (an empty block still writes its empty shards, so every name of
  the ``-of-`` set exists); the same rows give the same bytes on either engine;
- into the work folder: ``logs/{quarantine,dropped}-NNNNNN.jsonl`` (the finish step joins them
  in block order into quarantine.jsonl and dropped.jsonl), ``ids/block-NNNNNN.parquet`` (the
  kept ids, for the duplicate-id check; and the signatures near dedup kept, for its index),
  ``profile/block-NNNNNN.write.json`` (its piece of the build profile: kept distributions,
  sources, quality signals, tokens by split, the corpus steps' dropped samples) and, last,
  ``write/block-NNNNNN.json``: the block's summary (counts, languages, lengths, shard hashes),
  which the driver reads with the profile pieces.

With decisions from the distributed steps (``form: distributed``), exact and near dedup's
outcomes and repeated_lines' removals are applied here, with their counters; with fates from
``decide_here`` they were decided and counted already.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.dedup.exact import ExactDedup
from corpus.dedup.lines import RepeatedLines
from corpus.dedup.near import NearDedup
from corpus.dedup.sketch import Sketches
from corpus.document import Document, features, to_table
from corpus.engines.deciding import (
    decode_fate,
    dropped_by,
    exact_outcome,
    near_outcome,
    read_fates,
)
from corpus.engines.mapping import DROPPED, QUARANTINED, SKIPPED, documents, profile_name, read_part
from corpus.engines.work import WorkFolder, block_name
from corpus.io.fs import Location
from corpus.io.write.jsonl import JsonlShard
from corpus.io.write.layout import output_layout, partition_name
from corpus.io.write.layout import shard_name as _shard_name
from corpus.io.write.shards import ROW_GROUP_BYTES, ROW_GROUP_ROWS, assign_split, parse_size
from corpus.report.profile import RecordingStats, WritePiece, candidate_positions
from corpus.stats import drop_key

# kept: in the shards; near: kept by near dedup (in its index, even if a later step dropped it)
IDS = pa.schema(
    [
        ("hash", pa.uint64()),
        ("id", pa.string()),
        ("kept", pa.bool_()),
        ("near", pa.bool_()),
        ("sig", pa.binary()),
    ]
)


@functools.cache
def _schema() -> pa.Schema:
    """The shards' Arrow schema, with the datasets Features in its metadata (``load_dataset``)."""
    return features().arrow_schema


def shard_name(split: str, number: int, blocks: int) -> str:
    """``data/train-00003-of-00010.parquet``: block ``number`` of ``blocks`` (other formats and
    partitions: ``corpus.io.write.layout``)."""
    return _shard_name(split, number, blocks)


def id_hash(doc_id: str) -> int:
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class _Shard:
    """One block's shard of one split: row groups of ROW_GROUP_ROWS rows or ``group_bytes`` of text."""

    def __init__(self, staging: Location, name: str, compression: str | None, group_bytes: int) -> None:
        self.staging, self.name = staging, name
        self.schema = _schema()
        fs, path = staging.arrow(name)
        self.stream = fs.open_output_stream(path)
        self.writer = pq.ParquetWriter(self.stream, self.schema, compression=compression)
        self.group_bytes = group_bytes
        self.buffer: list[Document] = []
        self.buffered = 0
        self.rows = 0
        self.num_bytes = 0  # the rows' Arrow size: the card's num_bytes

    def add(self, doc: Document) -> None:
        self.buffer.append(doc)
        self.buffered += len(doc.text)
        if len(self.buffer) >= ROW_GROUP_ROWS or self.buffered >= self.group_bytes:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            table = to_table(self.buffer, self.schema)
            self.writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self.num_bytes += table.nbytes
            self.rows += len(self.buffer)
            self.buffer, self.buffered = [], 0

    def close(self, split: str) -> dict[str, Any]:
        self.flush()
        self.writer.close()
        self.stream.close()
        return {
            "path": self.name,
            "split": split,
            "rows": self.rows,
            "bytes": self.staging.size(self.name),
            "sha256": self.staging.sha256(self.name),
            "num_bytes": self.num_bytes,
        }


class _Steps:
    """The corpus steps the write phase applies itself (distributed decisions only)."""

    def __init__(self, pipeline: Any, work: WorkFolder) -> None:
        self.exact = next((s for s in pipeline.streaming_steps if isinstance(s, ExactDedup)), None)
        self.near = next((s for s in pipeline.global_steps if isinstance(s, NearDedup)), None)
        self.repeated = next((s for s in pipeline.global_steps if isinstance(s, RepeatedLines)), None)
        if self.repeated is not None:
            from corpus.engines.repeated import load_learned

            load_learned(self.repeated, work)


def write_block(
    pipeline: Any, number: int, blocks: int, work: WorkFolder, staging: Location, form: str
) -> dict[str, Any]:
    """Write block ``number`` of ``blocks``; commit and return its summary."""
    started = time.process_time()
    output = pipeline.settings.output
    ratios: dict[str, float] = dict(output.splits or {output.split: 1.0})
    compression = None if output.compression == "none" else output.compression
    max_bytes = parse_size(output.max_shard_size) if output.max_shard_size else None
    group_bytes = min(ROW_GROUP_BYTES, max_bytes // 4) if max_bytes else ROW_GROUP_BYTES
    suffix, partitioned = output_layout(output)

    def open_shard(split: str, part: str | None = None) -> _Shard | JsonlShard:
        name = _shard_name(split, number, blocks, suffix=suffix, part=part)
        if suffix == "parquet":
            return _Shard(staging, name, compression, group_bytes)
        return JsonlShard(staging, name, output.compression, group_bytes)

    # (split, partition): every split's shard, even empty; partitioned, those with documents only
    shards = {} if partitioned else {(s, None): open_shard(s) for s in ratios}
    steps = _Steps(pipeline, work) if form == "distributed" else None
    fates = read_fates(work, number)
    where = work.loc.url_of(block_name("decide", number, ".parquet"))
    piece = WritePiece(_candidates(work, number), _token_counter(output))
    stats = RecordingStats(piece.removals)
    drops: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    lengths: Counter[int] = Counter()
    splits: Counter[str] = Counter()
    quarantine_log: list[str] = []
    dropped_log: list[str] = []
    ids: dict[str, list[Any]] = {name: [] for name in IDS.names}
    near_key = _near_key(pipeline)

    def drop(
        doc_id: str,
        reason: str,
        note: str = "",
        info: dict[str, Any] | None = None,
        doc: Document | None = None,
    ) -> None:
        drops[reason] += 1
        if doc is not None:  # a survivor of the map phase (map drops are in the map piece)
            piece.drop(reason, doc, note)
        record = {"id": doc_id, "dropped_by": reason, **(info or {}), **({"note": note} if note else {})}
        dropped_log.append(json.dumps(record, ensure_ascii=False) + "\n")

    t = read_part(work, number)
    kinds = t["kind"].to_pylist()
    infos = t["info"].to_pylist()
    idxs = t["idx"].to_pylist()
    sigs = t[near_key].to_pylist() if near_key else None
    for i, doc in enumerate(documents(t)):
        kind = kinds[i]
        if doc is None:
            try:
                info = json.loads(infos[i])
            except (TypeError, ValueError) as exc:
                raise work.not_ours(block_name("map", number, ".parquet"), f"row {i}: info {exc}") from None
            if kind == QUARANTINED:
                quarantine_log.append(json.dumps(info, ensure_ascii=False, sort_keys=True) + "\n")
            elif kind == SKIPPED:
                skipped[info[0]] += 1
            elif kind == DROPPED:
                drop(info[0], info[1])
            continue
        fate = fates.get(idxs[i])
        near_kept = False
        if steps is None:  # decided in one process: the fate says it all
            if fate is not None:
                if fate[0] == "drop":
                    out = dropped_by(fate)
                    drop(doc.id, fate[1], out.note, out.info, doc)
                    continue
                if fate[0] != "doc":
                    decode_fate(b"[]", where)  # a distributed decision in a here-decided build
                doc = Document(*fate[1])
        else:
            if steps.exact is not None:
                out = exact_outcome(doc, fate)
                stats.record(steps.exact.name, doc, out)
                if out.doc is None:
                    drop(doc.id, drop_key(steps.exact.name, out.reason), out.note, out.info, doc)
                    continue
            if steps.near is not None:
                out = near_outcome(doc, fate, steps.near.annotate)
                stats.record(steps.near.name, doc, out)
                if out.doc is None:
                    drop(doc.id, drop_key(steps.near.name, out.reason), out.note, out.info, doc)
                    continue
                near_kept = True
                _remember(ids, doc.id, kept=False, near=True, sig=sigs[i] if sigs is not None else b"")
                doc = out.doc
            if steps.repeated is not None:
                out = steps.repeated.apply(doc)
                stats.record(steps.repeated.name, doc, out)
                if out.doc is None:
                    drop(doc.id, drop_key(steps.repeated.name, out.reason), out.note, out.info, doc)
                    continue
                doc = out.doc
        split = assign_split(doc.id, ratios) if len(ratios) > 1 else next(iter(ratios))
        key = (split, partition_name(doc.lang) if partitioned else None)
        if key not in shards:
            shards[key] = open_shard(*key)
        shards[key].add(doc)
        splits[split] += 1
        langs[doc.lang] += 1
        lengths[len(doc.text)] += 1
        piece.kept(idxs[i], doc, split)
        if near_kept:  # the near entry is this document's: now kept
            ids["kept"][-1] = True
        else:
            _remember(ids, doc.id, kept=True, near=False, sig=b"")
    order = sorted(shards, key=lambda k: (list(ratios).index(k[0]), k[1] or ""))
    written = [{**shards[k].close(k[0]), **({"config": k[1]} if k[1] else {})} for k in order]
    work.loc.write_bytes(f"logs/quarantine-{number:06d}.jsonl", _utf8("".join(quarantine_log)))
    work.loc.write_bytes(f"logs/dropped-{number:06d}.jsonl", _utf8("".join(dropped_log)))
    fs, path = work.loc.arrow(block_name("ids", number, ".parquet"))
    pq.write_table(pa.Table.from_pydict(ids, schema=IDS), path, filesystem=fs, compression="none")
    work.write_json(profile_name(number, "write"), piece.to_json())
    stats.seconds["phase.write"] += time.process_time() - started
    summary = {
        "block": number,
        "kept": sum(splits.values()),
        "splits": dict(splits),
        "drops": dict(drops),
        "quarantined": len(quarantine_log),
        "skipped": dict(skipped),
        "langs": dict(langs),
        "lengths": [[k, v] for k, v in sorted(lengths.items())],
        "shards": written,
        "stats": dict(stats),
    }
    work.write_json(block_name("write", number, ".json"), summary)
    return {**summary, "seconds": dict(stats.seconds)}


def _remember(ids: dict[str, list[Any]], doc_id: str, *, kept: bool, near: bool, sig: bytes) -> None:
    ids["hash"].append(id_hash(doc_id))
    ids["id"].append(doc_id)
    ids["kept"].append(kept)
    ids["near"].append(near)
    ids["sig"].append(sig)


def _candidates(work: WorkFolder, number: int) -> set[int]:
    """The positions of the block's kept-sample candidates, from its map piece of the profile."""
    name = profile_name(number, "map")
    piece = work.read_json(name)
    try:
        return candidate_positions(piece)
    except (KeyError, TypeError) as exc:
        raise work.not_ours(name, f"not a profile piece: {exc!r}") from None


def _token_counter(output: Any) -> str | None:
    """How the kept documents' tokens are counted: ``exact``, ``sample`` or None (off); the
    tokenizer is loaded when a first document is counted."""
    from corpus.report import tokens

    return tokens.method(output.count_tokens)


def _near_key(pipeline: Any) -> str | None:
    for k, step in enumerate(pipeline.worker_steps):
        if isinstance(step, NearDedup):
            return f"key{k}"
    return None


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")


def kept_signatures(work: WorkFolder, blocks: int, num_perm: int) -> tuple[Sketches, list[str]]:
    """The fingerprints (signatures, and shingle sets when kept) and ids near dedup kept, in input
    order (for its index; distributed form)."""
    keys: list[np.ndarray] = []
    names: list[str] = []
    for b in range(blocks):
        t = work.read_table(
            block_name("ids", b, ".parquet"), ["id", "near", "sig"], {f.name: f.type for f in IDS}
        )
        for doc_id, near, sig in zip(
            t["id"].to_pylist(), t["near"].to_pylist(), t["sig"].to_pylist(), strict=True
        ):
            if near:
                keys.append(np.frombuffer(sig, dtype=np.uint32))
                names.append(doc_id)
    return Sketches.from_keys(keys, num_perm), names
