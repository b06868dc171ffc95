"""The reduce phase: corpus-level steps over the committed chunks, in input order, then the output.

Streaming steps (exact dedup) decide document by document; global steps
(near dedup, repeated lines) collect every survivor, then decide in one more
pass each over a spool; the last pass feeds the shard writer. Everything is
written into a temporary directory (``tmp``); the caller swaps it into place.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import corpus
from corpus.document import Document
from corpus.engines.checkpoint import WorkDir
from corpus.engines.inputs import recorded_config
from corpus.errors import BuildError
from corpus.io.write.card import render_card
from corpus.io.write.manifest import config_hash, dependency_versions, write_json
from corpus.io.write.shards import DatasetWriter, ShardWriter, read_documents, sha256_file
from corpus.stages.base import Outcome
from corpus.stats import Stats

Event = Callable[[str, int], None]
DUPLICATE_ID_EXAMPLES = 10


def open_log(path: Path) -> IO[str]:
    """A JSON-lines log (quarantine, drops); a lone surrogate is written as its JSON escape."""
    return open(path, "w", encoding="utf-8", errors="backslashreplace")


class Sink:
    """Where decided documents go: shards for kept ones, dropped.jsonl for the others, with counts."""

    def __init__(self, writer: DatasetWriter, dropped: IO[str]) -> None:
        self.writer = writer
        self.dropped = dropped
        self.drops: Counter[str] = Counter()
        self.langs: Counter[str] = Counter()
        self.splits: Counter[str] = Counter()
        self.lengths = array("q")
        self._ids: set[int] = set()  # 8-byte hashes of the kept ids, to report ids kept twice
        self.duplicate_ids = 0
        self.duplicate_id_examples: list[str] = []

    def keep(self, doc: Document) -> None:
        key = int.from_bytes(hashlib.blake2b(doc.id.encode("utf-8", "surrogatepass"), digest_size=8).digest())
        if key in self._ids:
            self.duplicate_ids += 1
            if len(self.duplicate_id_examples) < DUPLICATE_ID_EXAMPLES:
                self.duplicate_id_examples.append(doc.id)
        self._ids.add(key)
        self.splits[self.writer.write(doc)] += 1
        self.langs[doc.lang] += 1
        self.lengths.append(len(doc.text))

    def route(self, doc_id: str, outcome: Outcome, reason: str, spool: ShardWriter | None) -> None:
        """A decided document: to the drop log, to the next pass's spool, or to the shards."""
        if outcome.doc is None:
            self.drop(doc_id, reason, outcome.edits[0].after if outcome.edits else "", outcome.info)
        elif spool is not None:
            spool.write(outcome.doc)
        else:
            self.keep(outcome.doc)

    def drop(self, doc_id: str, reason: str, note: str = "", info: dict[str, Any] | None = None) -> None:
        self.drops[reason] += 1
        record = {"id": doc_id, "dropped_by": reason, **(info or {}), **({"note": note} if note else {})}
        self.dropped.write(json.dumps(record, ensure_ascii=False) + "\n")


def reduce_build(
    pipeline: Any, work: WorkDir, chunks: int, inputs: list[dict[str, Any]], tmp: Path, event: Event
) -> tuple[dict[str, Any], Stats]:
    """Run the corpus-level steps over chunks 0..chunks-1 and write the whole build into ``tmp``."""
    config = pipeline.config
    stats = Stats()
    for step in pipeline.corpus_steps:
        step.reset()
    writer = DatasetWriter(tmp, config["output"])
    # With global steps, the first decide pass reads the survivors again from the chunk files
    # (``passed`` says which of them the streaming steps kept); only a document a streaming
    # step changed is spooled.
    passed: list[bytearray] | None = [] if pipeline.global_steps else None
    changed = (
        ShardWriter(tmp / ".spool-0", split="spool", compression="none") if pipeline.global_steps else None
    )
    read = quarantined = invalid = 0
    skipped: Counter[str] = Counter()
    with open_log(tmp / "quarantine.jsonl") as qfh, open_log(tmp / "dropped.jsonl") as dfh:
        sink = Sink(writer, dfh)
        for i in range(chunks):
            event("reduce_chunk", i)
            part = work.load(i)
            stats.update(part.stats)
            read += part.read
            invalid += part.invalid_utf8
            quarantined += len(part.quarantine)
            skipped.update(part.skipped)
            for record in part.quarantine:
                qfh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            for record in part.drops:
                sink.drop(record["id"], record["dropped_by"])
            flags = bytearray()
            for doc, keys in zip(work.survivors(i), part.keys, strict=True):
                outcome, reason = pipeline.admit(doc, keys, stats)
                if passed is None or outcome.doc is None:
                    sink.route(doc.id, outcome, reason, None)
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
    saved = [p for step in pipeline.global_steps for p in step.save(tmp)]
    counts = {"read": read, "quarantined": quarantined, "invalid_utf8_replaced": invalid, "skipped": skipped}
    recorded = recorded_config(config, pipeline.config_dir)
    return finish_build(recorded, inputs, writer, sink, stats, counts, tmp, saved), stats


def finish_build(
    config: dict[str, Any],
    inputs: list[dict[str, Any]],
    writer: DatasetWriter,
    sink: Sink,
    stats: Stats,
    counts: dict[str, int],
    tmp: Path,
    saved: list[Path],
) -> dict[str, Any]:
    """Close the shards, check the accounting, write the card and the manifest into ``tmp``.

    Shared by the engines so their outputs are the same bytes. ``counts`` holds ``read``,
    ``quarantined``, ``invalid_utf8_replaced`` and ``skipped`` (by reason); ``saved`` the files
    global steps wrote. Every record read is kept, dropped, quarantined or skipped, or the build
    fails; so does a build that read documents and kept none, unless ``output.allow_empty``.
    """
    read, quarantined, invalid = counts["read"], counts["quarantined"], counts["invalid_utf8_replaced"]
    skipped = dict(sorted(counts.get("skipped", {}).items()))
    shards = writer.close()
    kept = len(sink.lengths)
    dropped = sum(sink.drops.values())
    if read != kept + dropped + quarantined + sum(skipped.values()):
        raise BuildError(
            f"accounting does not close: read {read} != kept {kept} + dropped {dropped} "
            f"+ quarantined {quarantined} + skipped {sum(skipped.values())}"
        )
    if kept == 0 and read > 0 and not config["output"].get("allow_empty", False):
        reasons = [f"{n} {why}" for why, n in sorted(sink.drops.items())]
        reasons += [f"{quarantined} quarantined"] * bool(quarantined)
        reasons += [f"{n} skipped ({why})" for why, n in skipped.items()]
        raise BuildError(
            f"read {read} records and kept none ({', '.join(reasons)}); nothing was written. "
            "Check the config (a language keep-list, the text field), or set output.allow_empty: true "
            "(--allow-empty) to write an empty dataset"
        )
    for name in ("quarantine.jsonl", "dropped.jsonl"):
        if (tmp / name).stat().st_size == 0:
            (tmp / name).unlink()
    manifest = {
        "toolkit_version": corpus.__version__,
        "dependencies": dependency_versions(),
        "config": config,
        "config_sha256": config_hash(config),
        "inputs": inputs,
        "shards": shards,
        "counts": {
            "read": read,
            "kept": kept,
            "dropped": dict(sorted(sink.drops.items())),
            "quarantined": quarantined,
            "skipped": skipped,
            "invalid_utf8_replaced": invalid,
            "duplicate_ids": sink.duplicate_ids,
            "splits": {name: sink.splits[name] for name in writer.ratios},
        },
        **({"duplicate_id_examples": sink.duplicate_id_examples} if sink.duplicate_ids else {}),
        "languages": dict(sorted(sink.langs.items(), key=lambda kv: (-kv[1], kv[0]))),
        "length_chars": _length_stats(sink.lengths),
        "stages": stats.by_stage(),
    }
    (tmp / "README.md").write_text(render_card(manifest), encoding="utf-8")
    names = [name for name in ("README.md", "dropped.jsonl", "quarantine.jsonl") if (tmp / name).exists()]
    names += [p.relative_to(tmp).as_posix() for p in saved]
    manifest["files"] = [
        {"path": name, "bytes": (tmp / name).stat().st_size, "sha256": sha256_file(tmp / name)}
        for name in names
    ]
    write_json(tmp / "manifest.json", manifest)
    return manifest


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
        for doc, outcome, reason in pipeline.global_pass(k, docs, stats):
            sink.route(doc.id, outcome, reason, nxt)
        if nxt is not None:
            docs = _drain(nxt)


def _drain(spool: ShardWriter) -> Iterator[Document]:
    """A spool's documents in order; its directory is removed once they are read."""
    root, parts = spool.root, spool.close()
    for part in parts:
        yield from read_documents(root / part["path"])
    shutil.rmtree(root)


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
