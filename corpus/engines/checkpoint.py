"""Checkpoints of a build: the work directory and its chunk parts.

The input stream (every record of every input file, in stable order) is cut
into chunks of ``checkpoint_docs`` records. When the per-document stages have
run over a whole chunk, its part is committed to the work directory beside
the output (``.{name}.work/``):

* ``chunk-NNNNNN.parquet``: the chunk's survivors (Document rows, input order);
* ``chunk-NNNNNN.pkl``: what the reduce phase needs besides the text: the
  corpus steps' fingerprints, per-stage counters, drop and quarantine records,
  the number of records read. Renamed into place last: it is the commit mark.

A part without its ``.pkl`` is half-written and ignored. A rerun of the same
build (same config, same input files, same bytes) finds the committed parts
and processes only the remaining chunks; anything else starts afresh. The
work directory is deleted once the output is in place.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from corpus.document import Document, features, to_table
from corpus.io.shards import read_documents
from corpus.stats import Stats

RUN_FILE = "run.json"


@dataclass
class ChunkPart:
    """What one chunk left for the reduce phase (everything but the survivors' text)."""

    index: int
    read: int = 0
    keys: list[list[Any]] = field(default_factory=list)  # per survivor, per worker step
    stats: Stats = field(default_factory=Stats)
    drops: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    invalid_utf8: int = 0


class WorkDir:
    """The work directory of one output: committed chunk parts and the run they belong to."""

    suffix = ".work"

    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir.parent / f".{out_dir.name}{self.suffix}"

    def committed(self) -> set[int]:
        """The indexes of the parts under their final names (whole: the rename is the commit)."""
        return {int(p.stem.split("-")[1]) for p in self.root.glob("chunk-*.pkl")}

    def open(self, run: dict[str, Any]) -> set[int]:
        """Prepare for ``run``; returns the indexes of parts already committed by the same run."""
        marker = self.root / RUN_FILE
        if marker.is_file():
            try:
                same = json.loads(marker.read_text(encoding="utf-8")) == run
            except ValueError:
                same = False
            if same:
                return self.committed()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        _atomic_write(marker, json.dumps(run, sort_keys=True).encode("utf-8"))
        return set()

    def path(self, index: int, suffix: str) -> Path:
        return self.root / f"chunk-{index:06d}{suffix}"

    def writer(self, index: int) -> ChunkWriter:
        return ChunkWriter(self, index)

    def load(self, index: int) -> ChunkPart:
        with open(self.path(index, ".pkl"), "rb") as fh:
            return pickle.load(fh)  # our own file, written by commit()

    def survivors(self, index: int) -> Iterator[Document]:
        """A committed chunk's survivors, in input order, a record batch at a time."""
        return read_documents(self.path(index, ".parquet"))

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class ChunkWriter:
    """Streams one chunk's survivors to disk as batches come back; ``commit`` seals the part."""

    def __init__(self, work: WorkDir, index: int) -> None:
        self.work = work
        self.part = ChunkPart(index)
        self._tmp = work.path(index, ".parquet.tmp")
        self._schema = features().arrow_schema
        self._writer = pq.ParquetWriter(self._tmp, self._schema, compression="none")

    def add(self, docs: list[Document]) -> None:
        if docs:
            self._writer.write_table(to_table(docs, self._schema))

    def commit(self) -> None:
        """Survivors first, then the metadata (the commit mark), each renamed into place atomically."""
        self._writer.close()
        os.replace(self._tmp, self.work.path(self.part.index, ".parquet"))
        data = pickle.dumps(self.part, protocol=pickle.HIGHEST_PROTOCOL)
        _atomic_write(self.work.path(self.part.index, ".pkl"), data)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
