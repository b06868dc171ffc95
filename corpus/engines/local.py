"""The local engine: streaming reads, worker processes, ordered results, atomic output.

The main process reads inputs in stable order and cuts them into batches; worker
processes run the per-document stages and compute the corpus steps'
fingerprints; the main process takes results back *in input order*, lets the
corpus steps decide (so "keep the first copy" is deterministic whatever the
worker count), and streams survivors into Parquet shards. At most
``2 x workers`` batches are in flight, so memory is bounded by the batch size,
not the corpus size. Everything is written into a temporary directory that
replaces the output directory only when the build is complete.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import statistics
import time
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

import corpus
from corpus.document import Document
from corpus.errors import BuildError, ConfigError
from corpus.io.card import render_card
from corpus.io.manifest import config_hash, dependency_versions, write_json
from corpus.io.readers import Quarantined, expand_inputs, read_input
from corpus.io.shards import DatasetWriter, ShardWriter, sha256_file
from corpus.stats import Stats

_WORKER_PIPELINE: Any = None


@dataclass
class BuildResult:
    output: Path
    manifest: dict[str, Any]
    stats: Stats = field(repr=False)
    seconds: float = 0.0

    def summary(self) -> str:
        c = self.manifest["counts"]
        lines = [
            f"built {self.output} in {self.seconds:.1f}s: read {c['read']}, kept {c['kept']}, "
            f"dropped {sum(c['dropped'].values())}, quarantined {c['quarantined']}",
        ]
        lines += [f"  dropped {reason}: {n}" for reason, n in c["dropped"].items()]
        for stage, counters in self.manifest["stages"].items():
            parts = ", ".join(f"{k} {v}" for k, v in counters.items())
            lines.append(f"  {stage}: {parts}")
        lines.append(f"  shards: {', '.join(s['path'] for s in self.manifest['shards'])}")
        return "\n".join(lines)


def _init_worker(pipeline: Any) -> None:
    global _WORKER_PIPELINE
    _WORKER_PIPELINE = pipeline
    pipeline.setup()


def _process_batch(docs: list[Document]) -> tuple[list[tuple[Any, list[Any], str, str]], Stats]:
    stats = Stats()
    processed = _WORKER_PIPELINE.process_batch(docs, stats)
    return [
        (out, keys, dropped, doc.id) for (out, keys, dropped), doc in zip(processed, docs, strict=True)
    ], stats


def _resolve_workers(value: Any) -> int:
    if value in (None, "auto"):
        return os.cpu_count() or 1
    return int(value)


class _Inputs:
    """Reads every input file in order, cutting documents into batches; quarantines bad records."""

    def __init__(self, config: dict[str, Any], quarantine: IO[str], batch_size: int) -> None:
        self.config = config
        self.files = expand_inputs(config["paths"])
        self.quarantine = quarantine
        self.batch_size = batch_size
        self.read = 0
        self.quarantined = 0
        self.invalid_utf8 = 0

    def batches(self) -> Iterator[list[Document]]:
        batch: list[Document] = []
        for f in self.files:
            for item in read_input(f, self.config):
                self.read += 1
                if isinstance(item, Quarantined):
                    self.quarantined += 1
                    self.quarantine.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
                    where = f"{item.path}:{item.line}" if item.line else item.path
                    tqdm.write(f"quarantined {where}: {item.error}")
                    continue
                if item.meta.get("invalid_utf8"):
                    self.invalid_utf8 += 1
                batch.append(item)
                if len(batch) >= self.batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch


def _ordered_map(pipeline: Any, batches: Iterable[list[Document]], workers: int) -> Iterator[Any]:
    """Process batches in worker processes, yielding results in input order, at most 2*workers in flight."""
    if workers <= 0:
        _init_worker(pipeline)
        for batch in batches:
            yield _process_batch(batch)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(pipeline,)) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.submit(_process_batch, batch))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _peek(
    iterator: Iterator[list[Document]], n: int
) -> tuple[list[list[Document]], Iterator[list[Document]]]:
    head = []
    for batch in iterator:
        head.append(batch)
        if len(head) >= n:
            break
    return head, iterator


def run_build(
    pipeline: Any,
    *,
    workers: int | str | None = None,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build the dataset described by ``pipeline.config`` (input, output) and return its manifest."""
    config = pipeline.config
    if "input" not in config or "output" not in config:
        raise ConfigError("pipeline config needs 'input' and 'output' to build (use Pipeline.from_yaml)")
    started = time.perf_counter()
    out_cfg = config["output"]
    out_dir = Path(output or out_cfg["path"])
    if out_dir.exists() and not out_cfg.get("overwrite", True):
        raise BuildError(f"{out_dir}: output exists and output.overwrite is false")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        manifest, stats = _build_into(pipeline, tmp, workers, progress)
        _swap(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out_dir, manifest, stats, time.perf_counter() - started)


class _Sink:
    """Where decided documents go: shards for kept ones, dropped.jsonl for the others, with counts."""

    def __init__(self, writer: DatasetWriter, dropped: IO[str]) -> None:
        self.writer = writer
        self.dropped = dropped
        self.drops: Counter[str] = Counter()
        self.langs: Counter[str] = Counter()
        self.splits: Counter[str] = Counter()
        self.lengths = array("q")

    def keep(self, doc: Document) -> None:
        self.splits[self.writer.write(doc)] += 1
        self.langs[doc.lang] += 1
        self.lengths.append(len(doc.text))

    def drop(self, doc_id: str, reason: str, note: str = "", info: dict[str, Any] | None = None) -> None:
        self.drops[reason] += 1
        record = {"id": doc_id, "dropped_by": reason, **(info or {}), **({"note": note} if note else {})}
        self.dropped.write(json.dumps(record, ensure_ascii=False) + "\n")


def _build_into(
    pipeline: Any, tmp: Path, workers: Any, progress: bool | None
) -> tuple[dict[str, Any], Stats]:
    config = pipeline.config
    out_cfg = config["output"]
    stats = Stats()
    for step in pipeline.corpus_steps:
        step.reset()
    global_steps = pipeline.global_steps

    writer = DatasetWriter(tmp, out_cfg)
    # With global steps, survivors wait in a spool until every document has been seen.
    spool = ShardWriter(tmp / ".spool-0", split="spool", compression="none") if global_steps else None
    with (
        open(tmp / "quarantine.jsonl", "w", encoding="utf-8") as qfh,
        open(tmp / "dropped.jsonl", "w", encoding="utf-8") as dfh,
    ):
        sink = _Sink(writer, dfh)
        inputs = _Inputs(config["input"], qfh, config.get("batch_size", 256))
        head, rest = _peek(inputs.batches(), 2)
        n_workers = _resolve_workers(workers if workers is not None else config.get("workers"))
        if len(head) < 2:
            n_workers = 0  # one batch: worker start-up would cost more than it saves

        def all_batches() -> Iterator[list[Document]]:
            yield from head
            yield from rest

        bar = tqdm(desc="documents", unit="doc", disable=None if progress is None else not progress)
        for results, worker_stats in _ordered_map(pipeline, all_batches(), n_workers):
            stats.update(worker_stats)
            for out, keys, dropped, doc_id in results:
                bar.update(1)
                if out is None:
                    sink.drop(doc_id, dropped)
                    continue
                outcome, reason = pipeline.admit(out, keys, stats)
                if outcome.doc is None:
                    note = outcome.edits[0].after if outcome.edits else ""
                    sink.drop(doc_id, reason, note, outcome.info)
                elif spool is not None:
                    spool.write(outcome.doc)
                else:
                    sink.keep(outcome.doc)
        bar.close()
        if spool is not None:
            _global_passes(pipeline, spool, sink, stats, tmp)
    shards = writer.close()
    kept = len(sink.lengths)
    drops = sink.drops
    if inputs.read != kept + sum(drops.values()) + inputs.quarantined:
        raise BuildError(
            f"accounting does not close: read {inputs.read} != kept {kept} + dropped {sum(drops.values())} "
            f"+ quarantined {inputs.quarantined}"
        )
    for name in ("quarantine.jsonl", "dropped.jsonl"):
        if (tmp / name).stat().st_size == 0:
            (tmp / name).unlink()
    manifest = {
        "toolkit_version": corpus.__version__,
        "dependencies": dependency_versions(),
        "config": config,
        "config_sha256": config_hash(config),
        "inputs": [{"path": f.path, "sha256": sha256_file(f.path)} for f in inputs.files],
        "shards": shards,
        "counts": {
            "read": inputs.read,
            "kept": kept,
            "dropped": dict(sorted(drops.items())),
            "quarantined": inputs.quarantined,
            "invalid_utf8_replaced": inputs.invalid_utf8,
            "splits": {name: sink.splits[name] for name in writer.ratios},
        },
        "languages": dict(sorted(sink.langs.items(), key=lambda kv: (-kv[1], kv[0]))),
        "length_chars": _length_stats(sink.lengths),
        "stages": stats.by_stage(),
    }
    (tmp / "README.md").write_text(render_card(manifest), encoding="utf-8")
    names = [name for name in ("README.md", "dropped.jsonl", "quarantine.jsonl") if (tmp / name).exists()]
    names += [p.relative_to(tmp).as_posix() for step in pipeline.global_steps for p in step.save(tmp)]
    manifest["files"] = [
        {"path": name, "bytes": (tmp / name).stat().st_size, "sha256": sha256_file(tmp / name)}
        for name in names
    ]
    write_json(tmp / "manifest.json", manifest)
    return manifest, stats


def _global_passes(pipeline: Any, spool: ShardWriter, sink: _Sink, stats: Stats, tmp: Path) -> None:
    """One pass over the spooled survivors per global step, in input order; the last feeds the sink."""
    import pyarrow.parquet as pq

    count = len(pipeline.global_steps)
    for k in range(count):
        nxt = (
            ShardWriter(tmp / f".spool-{k + 1}", split="spool", compression="none") if k + 1 < count else None
        )

        def spooled(writer: ShardWriter = spool) -> Iterator[Document]:
            for part in writer.close():
                for batch in pq.ParquetFile(writer.root / part["path"]).iter_batches():
                    yield from (Document.from_dict(row) for row in batch.to_pylist())

        for doc, outcome, reason in pipeline.global_pass(k, spooled(), stats):
            if outcome.doc is None:
                sink.drop(doc.id, reason, outcome.edits[0].after if outcome.edits else "", outcome.info)
            elif nxt is not None:
                nxt.write(outcome.doc)
            else:
                sink.keep(outcome.doc)
        shutil.rmtree(spool.root)
        spool = nxt


def _length_stats(lengths: array) -> dict[str, Any]:
    if not lengths:
        return {"min": 0, "max": 0, "mean": 0, "median": 0, "total": 0}
    return {
        "min": min(lengths),
        "max": max(lengths),
        "mean": round(sum(lengths) / len(lengths), 1),
        "median": statistics.median(lengths),
        "total": sum(lengths),
    }


def _swap(tmp: Path, out_dir: Path) -> None:
    """Replace out_dir with tmp; the old build stays whole until the new one is in place."""
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
